"""The governor: the decide layer's one entry point for the pipeline and the hook service.

It observes what enters a session (prompts, tool definitions, tool results) and decides each
tool call: facts -> Cedar -> outcome (deny wins over requires_approval; monitor-mode rules only
record), an approval lookup, a risk score and alerts. It returns values (a Verdict with the
events to emit) and never emits, stores or reads the clock itself.
"""

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from agentd.decide.alerts import AlertBook, AlertSpec
from agentd.decide.approvals import Approval, ApprovalBook, ApprovalState
from agentd.decide.catalog import Catalog, ToolClass, split_name
from agentd.decide.engine import PolicyEngine, Rule
from agentd.decide.facts import CallFacts, call_facts, cedar_context, resource_entity
from agentd.decide.inventory import ToolInventory
from agentd.decide.risk import RiskSettings, score, severity
from agentd.decide.shell import DEFAULT_PRODUCTION_PATTERNS, ShellContext
from agentd.decide.state import Label, SessionState
from agentd.events import (
    AgentRef,
    ApprovalDenied,
    ApprovalGranted,
    ApprovalRequested,
    Decision,
    EnforcementPoint,
    Event,
    Finding,
    InternalError,
    Outcome,
    PolicyMode,
    Risk,
    Severity,
    Stamper,
    ToolChanged,
)
from agentd.normalize.model import ToolSpec

MAX_ARGUMENT_CHARS = 16 * 1024 * 1024  # larger arguments are not parsed; facts say truncated
UNKNOWN_AGENT = AgentRef()


@dataclass(frozen=True, slots=True)
class GovernorSettings:
    mode: PolicyMode = PolicyMode.ENFORCE  # monitor: every rule only records
    production_patterns: tuple[str, ...] = DEFAULT_PRODUCTION_PATTERNS
    risk: RiskSettings = field(default_factory=RiskSettings)
    host: str = ""  # this machine's name, the principal's `host`


@dataclass(frozen=True, slots=True)
class CallRequest:
    """One tool call to decide, as either enforcement point sees it."""

    session_id: str
    tool: str
    arguments: str  # JSON text as sent ("" when there are none)
    call_id: str | None = None
    server: str | None = None
    agent: AgentRef = UNKNOWN_AGENT
    point: EnforcementPoint = EnforcementPoint.NETWORK
    cwd: str | None = None  # the agent's working directory, when the hook says
    home: str | None = None
    findings: tuple[Finding, ...] = ()  # found in the arguments
    evidence: tuple[str, ...] = ()  # ids of the events behind the call (its tool_call, findings)
    can_ask: bool = False  # the agent can ask its user natively (Claude Code and Cursor hooks)


@dataclass(frozen=True, slots=True)
class Verdict:
    decision: Decision
    risk: Risk
    tool: ToolClass
    facts: CallFacts
    fired: tuple[Rule, ...]  # every rule that fired, enforced or monitored
    input_hash: str
    context: Mapping[str, Any] = field(default_factory=dict)  # the Cedar context it was decided on
    approval: Approval | None = None
    events: tuple[Event, ...] = ()  # alerts, approval requests, internal errors: to emit
    errors: tuple[str, ...] = ()

    @property
    def blocked(self) -> bool:
        """The call must not run (an enforced deny or an unanswered approval)."""
        return self.decision.enforced and self.decision.outcome is not Outcome.ALLOW

    @property
    def message(self) -> str:
        """What the agent is told when the call is blocked (and what the user can do)."""
        reasons = "; ".join(self.decision.reasons) or "policy"
        rules = ", ".join(self.decision.policy_ids)
        if self.decision.outcome is Outcome.DENY:
            return f"agentd denied this call: {reasons} (policy {rules})."
        if self.approval is not None:
            return (
                f"agentd: this call needs a person's approval: {reasons} (policy {rules}). "
                f"To allow it, run `agentd approve {self.approval.id}` (add `--for 10m` to limit it), "
                f"then retry the same call."
            )
        return f"agentd: this call needs your approval: {reasons} (policy {rules})."


def input_hash(arguments: str, parsed: Any = None) -> str:
    """sha256 of the arguments' canonical JSON (of the text itself when it is not JSON), so the
    network and the hook path hash the same call alike. ``parsed``: the arguments already parsed."""
    try:
        value = parsed if parsed is not None else json.loads(arguments or "{}")
        canonical = json.dumps(value, sort_keys=True, separators=(",", ":"))
    except (ValueError, RecursionError):
        canonical = arguments
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


class Governor:
    def __init__(
        self,
        engine: PolicyEngine,
        stamp: Stamper,
        *,
        catalog: Catalog | None = None,
        settings: GovernorSettings | None = None,
        inventory: ToolInventory | None = None,
        approvals: ApprovalBook | None = None,
        alerts: AlertBook | None = None,
    ) -> None:
        self.engine = engine
        self.stamp = stamp
        self.catalog = catalog or Catalog()
        self.settings = settings or GovernorSettings()
        self.inventory = inventory or ToolInventory()
        self.approvals = approvals or ApprovalBook()
        self.alerts = alerts or AlertBook(stamp)
        self.decisions = 0
        self.denied = 0
        self.approvals_requested = 0

    # --- observing ------------------------------------------------------------------------------

    def observe_prompt(self, state: SessionState, text: str, findings: Sequence[Finding] = ()) -> list[Label]:
        """The user's own prompt: destinations named in it become trusted. Returns new labels."""
        return state.observe_prompt(text, findings)

    def observe_result(
        self, state: SessionState, call_id: str | None, content: str, findings: Sequence[Finding] = ()
    ) -> list[Label]:
        """A tool result entered the session. Returns the labels it set."""
        return state.observe_result(call_id, content, findings)

    def observe_tools(
        self,
        specs: Sequence[ToolSpec],
        now: datetime,
        *,
        session_id: str | None = None,
        agent: AgentRef = UNKNOWN_AGENT,
    ) -> list[ToolChanged]:
        """Tool definitions offered or listed; a ToolChanged event for each new or changed MCP tool."""
        return [
            self.stamp(
                ToolChanged,
                now,
                severity=Severity.INFO if change.previous_hash is None else Severity.MEDIUM,
                session_id=session_id,
                agent=agent,
                tool=change.tool,
                server=change.server,
                previous_hash=change.previous_hash,
                new_hash=change.new_hash,
            )
            for change in self.inventory.observe(specs)
        ]

    # --- deciding -------------------------------------------------------------------------------

    def classify(self, name: str, server: str | None = None, agent: str | None = None) -> ToolClass:
        server_name, tool = split_name(name, server)
        return self.catalog.classify(name, server, self.inventory.spec(server_name, tool), agent)

    def evaluate(self, state: SessionState, call: CallRequest, now: datetime) -> Verdict:
        """Decide ``call`` in the session ``state`` (which it updates: counts, pending result)."""
        tool = self.classify(call.tool, call.server, str(call.agent.kind))
        arguments = _parse(call.arguments)
        shell_context = ShellContext(
            workspace=call.cwd, home=call.home, production_patterns=self.settings.production_patterns
        )
        facts = call_facts(
            tool, arguments, session=state, findings=call.findings, shell_context=shell_context
        )
        new_server = self.inventory.is_new_server(tool.server)
        changed = self.inventory.changed(tool.server, tool.tool)
        context = cedar_context(facts, state, point=str(call.point), new_server=new_server, changed=changed)
        principal = {
            "id": f"{call.agent.kind}/{call.agent.user or ''}@{self.settings.host}",
            "kind": str(call.agent.kind),
            "user": call.agent.user or "",
            "host": self.settings.host,
        }
        evaluation = self.engine.evaluate(principal, resource_entity(tool), context)
        digest = input_hash(call.arguments, arguments)
        decision, approval, new_request = self._outcome(call, tool, digest, evaluation.fired, now)
        risk = score(facts, state, now, self.settings.risk)
        events = self._events(
            call, tool, decision, risk, approval if new_request else None, now, evaluation.errors
        )

        if not state.knows_call(call.call_id):
            state.record_call(
                call.call_id,
                tool.name,
                (str(c) for c in tool.capabilities),
                now,
                destructive=facts.destructive,
                result=None if _blocks(decision) else facts.result(),
            )
        if not _blocks(decision):
            self.inventory.mark_used(tool.server, tool.tool)
        self.decisions += 1
        self.denied += int(_blocks(decision) and decision.outcome is Outcome.DENY)
        return Verdict(
            decision=decision,
            risk=risk,
            tool=tool,
            facts=facts,
            fired=evaluation.fired,
            input_hash=digest,
            context=context,
            approval=approval,
            events=tuple(events),
            errors=evaluation.errors,
        )

    def _outcome(
        self,
        call: CallRequest,
        tool: ToolClass,
        digest: str,
        fired: tuple[Rule, ...],
        now: datetime,
    ) -> tuple[Decision, Approval | None, bool]:
        enforce = self.settings.mode is PolicyMode.ENFORCE
        enforced = [r for r in fired if enforce and r.mode is PolicyMode.ENFORCE]
        monitored = [r for r in fired if r not in enforced]
        deny = [r for r in enforced if r.outcome is Outcome.DENY]
        ask = [r for r in enforced if r.outcome is Outcome.REQUIRES_APPROVAL]
        base: dict[str, Any] = {"point": call.point, "policy_version": self.engine.version}
        if deny:
            return _decision(Outcome.DENY, deny, enforced=True, **base), None, False
        if ask:
            standing = self.approvals.status(call.session_id, tool.name, digest, now)
            if standing is not None and standing.state is ApprovalState.GRANTED:
                reasons = (f"approved by {standing.decided_by or 'a person'} ({standing.id})",)
                return (
                    Decision(
                        outcome=Outcome.ALLOW,
                        policy_ids=tuple(r.id for r in ask),
                        reasons=reasons,
                        enforced=True,
                        approval_id=standing.id,
                        **base,
                    ),
                    standing,
                    False,
                )
            if standing is not None and standing.state is ApprovalState.DENIED:
                reasons = (f"a person refused this call ({standing.id})",)
                decision = Decision(
                    outcome=Outcome.DENY,
                    policy_ids=tuple(r.id for r in ask),
                    reasons=reasons,
                    enforced=True,
                    approval_id=standing.id,
                    **base,
                )
                return decision, standing, False
            if call.can_ask:
                return _decision(Outcome.REQUIRES_APPROVAL, ask, enforced=True, **base), None, False
            approval, new = self.approvals.request(
                session_id=call.session_id,
                tool=tool.name,
                input_hash=digest,
                reason="; ".join(r.reason for r in ask),
                policy_ids=tuple(r.id for r in ask),
                agent=str(call.agent.kind),
                now=now,
                call_id=call.call_id,
            )
            self.approvals_requested += int(new)
            decision = _decision(
                Outcome.REQUIRES_APPROVAL, ask, enforced=True, approval_id=approval.id, **base
            )
            return decision, approval, new
        if monitored:
            would = [r for r in monitored if r.outcome is Outcome.DENY] or monitored
            outcome = Outcome.DENY if would[0].outcome is Outcome.DENY else Outcome.REQUIRES_APPROVAL
            return _decision(outcome, would, enforced=False, mode=PolicyMode.MONITOR, **base), None, False
        return Decision(outcome=Outcome.ALLOW, enforced=True, **base), None, False

    def _events(
        self,
        call: CallRequest,
        tool: ToolClass,
        decision: Decision,
        risk: Risk,
        new_approval: Approval | None,
        now: datetime,
        errors: tuple[str, ...],
    ) -> list[Event]:
        events: list[Event] = []
        envelope: dict[str, Any] = {"session_id": call.session_id, "agent": call.agent}
        if new_approval is not None:
            events.append(
                self.stamp(
                    ApprovalRequested,
                    now,
                    severity=Severity.MEDIUM,
                    approval_id=new_approval.id,
                    call_id=call.call_id,
                    tool=tool.name,
                    input_hash=new_approval.input_hash,
                    reason=new_approval.reason,
                    **envelope,
                )
            )
        alert: AlertSpec | None = None
        reason = "; ".join(decision.reasons)
        if decision.outcome is Outcome.DENY:
            verb = "Denied" if decision.enforced else "Would deny (monitor)"
            alert = AlertSpec(
                rule_id="policy:" + ",".join(decision.policy_ids),
                title=f"{verb} {tool.name}",
                reason=reason,
                severity=Severity.HIGH if decision.enforced else Severity.MEDIUM,
                session_id=call.session_id,
                agent=call.agent,
                tool=tool.name,
                integration=tool.integration,
                evidence=call.evidence,
            )
        elif (level := severity(risk, str(call.agent.kind), self.settings.risk)) is not None:
            alert = AlertSpec(
                rule_id="risk",
                title=f"High-risk call to {tool.name} (risk {risk.score})",
                reason="; ".join(risk.factors[1:]) or "tool risk",
                severity=level,
                session_id=call.session_id,
                agent=call.agent,
                tool=tool.name,
                integration=tool.integration,
                evidence=call.evidence,
            )
        if alert is not None:
            events.extend(self.alerts.raise_alert(alert, now))
        if errors:
            events.append(
                self.stamp(
                    InternalError,
                    now,
                    severity=Severity.MEDIUM,
                    component="decide",
                    error="PolicyEvaluationError",
                    message="; ".join(errors)[:2000],
                    context=tool.name,
                    **envelope,
                )
            )
        return events

    # --- approvals ------------------------------------------------------------------------------

    def decide_approval(
        self, key: str, *, grant: bool, now: datetime, for_seconds: float | None = None, by: str | None = None
    ) -> tuple[Approval, Event]:
        """A person's answer to a pending approval; ApprovalNotFound when there is none."""
        approval = self.approvals.decide(key, grant=grant, now=now, for_seconds=for_seconds, by=by)
        envelope: dict[str, Any] = {"session_id": approval.session_id, "agent": UNKNOWN_AGENT}
        event: Event
        if grant:
            until = (
                datetime.fromtimestamp(approval.until, now.tzinfo) if approval.until and for_seconds else None
            )
            event = self.stamp(
                ApprovalGranted, now, approval_id=approval.id, by_user=by, until=until, **envelope
            )
        else:
            event = self.stamp(ApprovalDenied, now, approval_id=approval.id, by_user=by, **envelope)
        return approval, event

    # --- persistence and status -----------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Host-wide state to keep across restarts (sessions are kept separately)."""
        return {
            "inventory": self.inventory.to_json(),
            "approvals": self.approvals.to_json(),
            "alerts": self.alerts.to_json(),
        }

    def restore(self, snapshot: Mapping[str, Any]) -> None:
        inventory = snapshot.get("inventory")
        if isinstance(inventory, Mapping):
            self.inventory = ToolInventory.from_json(inventory)
        self.approvals = ApprovalBook.from_json(snapshot.get("approvals"))
        self.alerts = AlertBook.from_json(snapshot.get("alerts"), self.stamp, self.alerts.window)

    def statistics(self, now: datetime) -> dict[str, Any]:
        pending = [a for a in self.approvals.listing(now) if a.state is ApprovalState.PENDING]
        return {
            "version": self.engine.version,
            "mode": str(self.settings.mode),
            "rules": len(self.engine.rules),
            "decisions": self.decisions,
            "denied": self.denied,
            "approvals_pending": len(pending),
            "alert_groups": self.alerts.open_groups(),
        }


def _decision(
    outcome: Outcome,
    rules: Sequence[Rule],
    *,
    enforced: bool,
    mode: PolicyMode = PolicyMode.ENFORCE,
    **fields: Any,
) -> Decision:
    return Decision(
        outcome=outcome,
        policy_ids=tuple(r.id for r in rules),
        reasons=tuple(r.reason for r in rules),
        mode=mode,
        enforced=enforced,
        **fields,
    )


def _blocks(decision: Decision) -> bool:
    return decision.enforced and decision.outcome is not Outcome.ALLOW


def _parse(arguments: str) -> Any:
    if not arguments:
        return {}
    if len(arguments) > MAX_ARGUMENT_CHARS:
        return None
    try:
        return json.loads(arguments)
    except (ValueError, RecursionError):
        return None
