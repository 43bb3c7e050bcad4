"""Where producers put events: the spool implements this; tests may use a list-backed sink."""

from typing import Protocol

from agentd.events.model import Event


class EventSink(Protocol):
    def emit(self, event: Event) -> None:
        """Accept an event without blocking the caller (the spool commits in groups)."""
        ...
