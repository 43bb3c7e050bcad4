"""Approvals: a person's yes or no to one call that policy said needs approval.

An approval covers the identical call (same tool, same argument hash) in the same session, for
the session's lifetime or until ``--for`` runs out. Identifiers are derived from what they cover,
so asking twice for the same call yields the same id. Pure: times are passed in.
"""

import base64
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from agentd.errors import AgentdError

PENDING_SECONDS = 24 * 3600  # an unanswered request lapses after a day
DENIED_SECONDS = 24 * 3600  # a refusal stands for a day, then the call may be asked again
SESSION_GRANT_SECONDS = 7 * 24 * 3600  # "for the session's lifetime", bounded
MAX_APPROVALS = 5000


class ApprovalNotFound(AgentdError):
    """No pending or active approval has that id."""


class ApprovalState(StrEnum):
    PENDING = "pending"
    GRANTED = "granted"
    DENIED = "denied"


@dataclass(frozen=True, slots=True)
class Approval:
    id: str
    session_id: str
    tool: str
    input_hash: str
    reason: str
    policy_ids: tuple[str, ...]
    agent: str
    requested: float  # POSIX seconds
    state: ApprovalState = ApprovalState.PENDING
    until: float | None = None  # a grant's or refusal's end; None for a pending request
    decided_by: str | None = None
    call_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "session_id": self.session_id,
            "tool": self.tool,
            "input_hash": self.input_hash,
            "reason": self.reason,
            "policy_ids": list(self.policy_ids),
            "agent": self.agent,
            "requested": _iso(self.requested),
            "state": str(self.state),
            "until": _iso(self.until) if self.until is not None else None,
            "decided_by": self.decided_by,
            "call_id": self.call_id,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Approval":
        return cls(
            id=str(data["id"]),
            session_id=str(data["session_id"]),
            tool=str(data["tool"]),
            input_hash=str(data["input_hash"]),
            reason=str(data.get("reason", "")),
            policy_ids=tuple(str(p) for p in data.get("policy_ids", [])),
            agent=str(data.get("agent", "unknown")),
            requested=_epoch(data["requested"]),
            state=ApprovalState(data.get("state", "pending")),
            until=_epoch(data["until"]) if data.get("until") else None,
            decided_by=data.get("decided_by"),
            call_id=data.get("call_id"),
        )


def approval_id(session_id: str, tool: str, input_hash: str) -> str:
    """``ap-`` and 10 base32 characters derived from what the approval covers."""
    digest = hashlib.sha256(f"{session_id}\0{tool}\0{input_hash}".encode()).digest()
    return "ap-" + base64.b32encode(digest).decode()[:10].lower()


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|hr|d|day)?s?\s*$", re.I)
_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400, "day": 86400}


def parse_duration(text: str) -> float:
    """``"10m"`` -> 600.0; plain numbers are seconds. ValueError names the bad text."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"not a duration: {text!r} (try 90s, 10m, 2h, 1d)")
    seconds = float(match.group(1)) * _UNITS[(match.group(2) or "s").lower()]
    if not 0 < seconds <= 365 * 86400:
        raise ValueError(f"duration out of range: {text!r}")
    return seconds


class ApprovalBook:
    """Pending requests and decisions, keyed by approval id."""

    def __init__(self) -> None:
        self._items: dict[str, Approval] = {}

    def request(
        self,
        *,
        session_id: str,
        tool: str,
        input_hash: str,
        reason: str,
        policy_ids: tuple[str, ...],
        agent: str,
        now: datetime,
        call_id: str | None = None,
    ) -> tuple[Approval, bool]:
        """The approval for this call, created if needed; True when it is newly pending."""
        self.expire(now)
        key = approval_id(session_id, tool, input_hash)
        existing = self._items.get(key)
        if existing is not None:
            return existing, False
        if len(self._items) >= MAX_APPROVALS:
            oldest = min(self._items.values(), key=lambda a: a.requested)
            del self._items[oldest.id]
        approval = Approval(
            id=key,
            session_id=session_id,
            tool=tool,
            input_hash=input_hash,
            reason=reason,
            policy_ids=policy_ids,
            agent=agent,
            requested=now.timestamp(),
            call_id=call_id,
        )
        self._items[key] = approval
        return approval, True

    def status(self, session_id: str, tool: str, input_hash: str, now: datetime) -> Approval | None:
        """The standing decision or request for this exact call, if any."""
        self.expire(now)
        return self._items.get(approval_id(session_id, tool, input_hash))

    def decide(
        self, key: str, *, grant: bool, now: datetime, for_seconds: float | None = None, by: str | None = None
    ) -> Approval:
        """Grant or refuse ``key``; a grant lasts ``for_seconds`` or the session's lifetime."""
        self.expire(now)
        current = self._items.get(key.strip().lower())
        if current is None:
            raise ApprovalNotFound(f"no approval {key!r} (it may have lapsed; `agentd approvals` lists them)")
        if grant:
            seconds = for_seconds if for_seconds is not None else SESSION_GRANT_SECONDS
            decided = replace(
                current, state=ApprovalState.GRANTED, until=now.timestamp() + seconds, decided_by=by
            )
        else:
            decided = replace(
                current, state=ApprovalState.DENIED, until=now.timestamp() + DENIED_SECONDS, decided_by=by
            )
        self._items[decided.id] = decided
        return decided

    def listing(self, now: datetime) -> list[Approval]:
        """Everything pending or in force, oldest first."""
        self.expire(now)
        return sorted(self._items.values(), key=lambda a: a.requested)

    def expire(self, now: datetime) -> None:
        moment = now.timestamp()
        stale = [
            a.id
            for a in self._items.values()
            if (a.state is ApprovalState.PENDING and moment - a.requested > PENDING_SECONDS)
            or (a.until is not None and moment >= a.until)
        ]
        for key in stale:
            del self._items[key]

    def to_json(self) -> list[dict[str, Any]]:
        return [a.to_json() for a in self._items.values()]

    @classmethod
    def from_json(cls, data: object) -> "ApprovalBook":
        book = cls()
        if isinstance(data, list):
            for item in data[-MAX_APPROVALS:]:
                try:
                    approval = Approval.from_json(item)
                except (KeyError, ValueError, TypeError):
                    continue  # a damaged entry is dropped; the call will simply be asked again
                book._items[approval.id] = approval
        return book


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat()


def _epoch(value: object) -> float:
    if isinstance(value, int | float):
        return float(value)
    return datetime.fromisoformat(str(value)).timestamp()
