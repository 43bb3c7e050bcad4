"""Builds events with a complete envelope, so every producer fills id, host and level alike."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agentd.events.ids import new_event_id
from agentd.events.model import CaptureLevel, EventBase


@dataclass(frozen=True, slots=True)
class Stamper:
    host_id: str
    capture_level: CaptureLevel = CaptureLevel.REDACTED

    def __call__[E: EventBase](self, event_type: type[E], now: datetime, **fields: Any) -> E:
        """A new ``event_type`` at ``now`` with a fresh id; ``fields`` are the kind's own."""
        fields.setdefault("capture_level", self.capture_level)
        return event_type(id=new_event_id(now), host_id=self.host_id, time=now, **fields)
