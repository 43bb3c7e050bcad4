from datetime import UTC, datetime

from agentd.events import CaptureLevel, InternalError
from agentd.events.stamp import Stamper


def test_stamped_events_carry_the_envelope() -> None:
    stamp = Stamper(host_id="host-1", capture_level=CaptureLevel.METADATA)
    now = datetime(2026, 11, 22, tzinfo=UTC)
    event = stamp(InternalError, now, component="proxy", error="ParseError", message="bad body")
    assert isinstance(event, InternalError)
    assert (event.host_id, event.time, event.capture_level) == ("host-1", now, CaptureLevel.METADATA)
    assert len(event.id) == 26
    assert stamp(InternalError, now, component="c", error="e", message="m").id != event.id
