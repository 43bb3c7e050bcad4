"""Alerts: what happened, why it was flagged, the agent, tool and integration, a severity, and the
evidence event ids. Repeats of one alert (same rule, session and tool) within a window aggregate
into it instead of flooding: the first is raised at once, repeats only at counts 10, 100, 1000,
and a window that closes with unreported repeats is summed up once. Pure: time is passed in.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from agentd.events import AgentRef, Alert, Severity, Stamper

WINDOW_SECONDS = 600.0
MAX_EVIDENCE = 20
MAX_GROUPS = 5000
_REPORT_AT = frozenset({10, 100, 1000, 10_000})


@dataclass(frozen=True, slots=True)
class AlertSpec:
    """One occurrence of something alert-worthy."""

    rule_id: str
    title: str
    reason: str
    severity: Severity
    session_id: str | None
    agent: AgentRef
    tool: str | None = None
    integration: str | None = None
    evidence: tuple[str, ...] = ()


@dataclass(slots=True)
class _Group:
    alert_id: str
    spec: AlertSpec
    first: float
    count: int = 1
    reported: int = 1
    evidence: list[str] = field(default_factory=list)


class AlertBook:
    """Open alert groups; ``raise_alert`` returns the Alert events to emit now (maybe none)."""

    def __init__(self, stamp: Stamper, window_seconds: float = WINDOW_SECONDS) -> None:
        self._stamp = stamp
        self.window = window_seconds
        self._groups: dict[tuple[str, str | None, str | None], _Group] = {}

    def raise_alert(self, spec: AlertSpec, now: datetime) -> list[Alert]:
        out = self.flush(now)
        key = (spec.rule_id, spec.session_id, spec.tool)
        group = self._groups.get(key)
        if group is None:
            if len(self._groups) >= MAX_GROUPS:
                oldest = min(self._groups, key=lambda k: self._groups[k].first)
                del self._groups[oldest]
            alert = self._alert(spec, now, count=1, evidence=spec.evidence, alert_id=None)
            self._groups[key] = _Group(
                alert_id=alert.alert_id, spec=spec, first=now.timestamp(), evidence=list(spec.evidence)
            )
            out.append(alert)
            return out
        group.count += 1
        room = MAX_EVIDENCE - len(group.evidence)
        group.evidence.extend(spec.evidence[: max(room, 0)])
        if group.count in _REPORT_AT:
            group.reported = group.count
            out.append(self._alert(group.spec, now, group.count, tuple(group.evidence), group.alert_id))
        return out

    def flush(self, now: datetime) -> list[Alert]:
        """Close the windows that have run out; one summary for each with unreported repeats."""
        out = []
        moment = now.timestamp()
        for key, group in list(self._groups.items()):
            if moment - group.first >= self.window:
                if group.count > group.reported:
                    out.append(
                        self._alert(group.spec, now, group.count, tuple(group.evidence), group.alert_id)
                    )
                del self._groups[key]
        return out

    def _alert(
        self, spec: AlertSpec, now: datetime, count: int, evidence: tuple[str, ...], alert_id: str | None
    ) -> Alert:
        alert = self._stamp(
            Alert,
            now,
            severity=spec.severity,
            session_id=spec.session_id,
            agent=spec.agent,
            alert_id=alert_id or "pending",
            rule_id=spec.rule_id,
            title=spec.title,
            reason=spec.reason,
            tool=spec.tool,
            integration=spec.integration,
            evidence=evidence,
            count=count,
        )
        if alert_id is None:  # a new group is named after its first event
            alert = alert.model_copy(update={"alert_id": alert.id})
        return alert

    def open_groups(self) -> int:
        return len(self._groups)

    def to_json(self) -> list[dict[str, Any]]:
        return [
            {
                "alert_id": g.alert_id,
                "first": g.first,
                "count": g.count,
                "reported": g.reported,
                "evidence": g.evidence,
                "spec": {
                    "rule_id": g.spec.rule_id,
                    "title": g.spec.title,
                    "reason": g.spec.reason,
                    "severity": str(g.spec.severity),
                    "session_id": g.spec.session_id,
                    "agent": g.spec.agent.model_dump(mode="json"),
                    "tool": g.spec.tool,
                    "integration": g.spec.integration,
                },
            }
            for g in self._groups.values()
        ]

    @classmethod
    def from_json(cls, data: object, stamp: Stamper, window_seconds: float = WINDOW_SECONDS) -> "AlertBook":
        book = cls(stamp, window_seconds)
        if not isinstance(data, list):
            return book
        for item in data[-MAX_GROUPS:]:
            try:
                spec_data: Mapping[str, Any] = item["spec"]
                spec = AlertSpec(
                    rule_id=str(spec_data["rule_id"]),
                    title=str(spec_data["title"]),
                    reason=str(spec_data["reason"]),
                    severity=Severity(spec_data["severity"]),
                    session_id=spec_data.get("session_id"),
                    agent=AgentRef.model_validate(spec_data.get("agent") or {}),
                    tool=spec_data.get("tool"),
                    integration=spec_data.get("integration"),
                )
                group = _Group(
                    alert_id=str(item["alert_id"]),
                    spec=spec,
                    first=float(item["first"]),
                    count=int(item["count"]),
                    reported=int(item["reported"]),
                    evidence=[str(e) for e in item.get("evidence", [])][:MAX_EVIDENCE],
                )
            except (KeyError, TypeError, ValueError):
                continue
            book._groups[(spec.rule_id, spec.session_id, spec.tool)] = group
        return book
