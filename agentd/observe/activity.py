"""What is going on now, for `agentd status`: sessions and agents active in the last minutes
and the latest alerts, kept current by reading the spool incrementally in the daemon (the
status command itself never opens the spool)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from agentd.clock import Clock
from agentd.events import Event

ACTIVE_WINDOW = timedelta(minutes=15)
POLL_SECONDS = 5.0
RECENT_ALERTS = 5
CATCH_UP = 2000  # events read back at start: a big spool must not stall the first poll
_ACTIVITY_KINDS = ("session_started", "user_prompt", "tool_call", "tool_result", "model_response")


class EventSource(Protocol):
    def query(
        self,
        kinds: Sequence[str] = (),
        session_id: str | None = None,
        after_seq: int = 0,
        limit: int | None = None,
        *,
        newest: bool = False,
    ) -> list[Event]: ...

    def statistics(self) -> Mapping[str, Any]: ...


@dataclass(slots=True)
class _Seen:
    agent: str
    pid: int | None
    last: datetime


class Activity:
    """Component ``activity``."""

    name = "activity"

    def __init__(self, spool: EventSource, clock: Clock, window: timedelta = ACTIVE_WINDOW) -> None:
        self.spool = spool
        self.clock = clock
        self.window = window
        self.sessions: dict[str, _Seen] = {}
        self.alerts: list[dict[str, Any]] = []
        self._after: int | None = None

    async def serve(self) -> None:
        while True:
            self.poll()
            await self.clock.sleep(POLL_SECONDS)

    def poll(self) -> None:
        """Read what the spool committed since the last poll (the newest alerts, and the
        activity events) and forget sessions quiet for longer than the window."""
        if self._after is None:
            last = self.spool.statistics().get("last_seq")
            self._after = max(0, last - CATCH_UP) if isinstance(last, int) else 0
        for event in self.spool.query(kinds=_ACTIVITY_KINDS, after_seq=self._after):
            self._after = max(self._after, event.seq)
            if event.session_id is None:
                continue
            seen = self.sessions.get(event.session_id)
            if seen is None or event.time >= seen.last:
                self.sessions[event.session_id] = _Seen(event.agent.kind.value, event.agent.pid, event.time)
        self.alerts = [
            _alert(a) for a in self.spool.query(kinds=("alert",), limit=RECENT_ALERTS, newest=True)
        ]
        horizon = self.clock.now() - self.window
        self.sessions = {k: v for k, v in self.sessions.items() if v.last >= horizon}

    def statistics(self) -> Mapping[str, Any]:
        agents: dict[str, int] = {}
        for seen in self.sessions.values():
            agents[seen.agent] = agents.get(seen.agent, 0) + 1
        newest = sorted(self.sessions.items(), key=lambda item: item[1].last, reverse=True)[:10]
        return {
            "window_seconds": int(self.window.total_seconds()),
            "sessions_active": len(self.sessions),
            "agents_active": agents,
            "sessions": [
                {"id": sid, "agent": s.agent, "pid": s.pid, "last_seen": s.last.isoformat()}
                for sid, s in newest
            ],
            "recent_alerts": list(reversed(self.alerts)),  # newest first
        }


def _alert(event: Event) -> dict[str, Any]:
    return {
        "id": getattr(event, "alert_id", event.id),
        "time": event.time.isoformat(),
        "severity": event.severity.value,
        "title": getattr(event, "title", ""),
        "reason": getattr(event, "reason", ""),
        "session_id": event.session_id,
        "agent": event.agent.kind.value,
    }
