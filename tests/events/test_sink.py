from datetime import UTC, datetime

from agentd.events import Event, EventSink, Heartbeat, Stamper


class ListSink:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def emit(self, event: Event) -> None:
        self.events.append(event)


def test_a_list_backed_sink_meets_the_protocol() -> None:
    sink: EventSink = ListSink()
    sink.emit(Stamper("h")(Heartbeat, datetime(2026, 1, 1, tzinfo=UTC), version="0.1", uptime_seconds=3))
    assert isinstance(sink, ListSink)
    assert [e.kind for e in sink.events] == ["heartbeat"]
