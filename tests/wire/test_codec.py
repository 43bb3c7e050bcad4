from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentd.errors import ParseError
from agentd.events import EVENT_TYPES, Event, ToolCall, kind_of
from agentd.wire._generated.agentd.v1 import events_pb2
from agentd.wire.codec import decode_event, encode_event, event_to_proto
from tests.support.strategies import model


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=kind_of)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_every_kind_round_trips_through_protobuf(event_type: type, data: st.DataObject) -> None:
    event: Event = data.draw(model(event_type))
    assert decode_event(encode_event(event)) == event


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=kind_of)
def test_every_kind_has_its_own_body(event_type: type) -> None:
    body_fields = {f.name for f in events_pb2.Event.DESCRIPTOR.oneofs_by_name["body"].fields}
    assert kind_of(event_type) in body_fields


def test_kind_is_carried_by_the_body_not_a_string() -> None:
    call = ToolCall(
        id="e", host_id="h", time=datetime(2026, 1, 1, tzinfo=UTC), call_id="c", tool="t", input_hash="x"
    )
    assert event_to_proto(call).WhichOneof("body") == "tool_call"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"\xff\xff\xff", "not an agentd.v1.Event"),
        (events_pb2.Event(id="x").SerializeToString(), "has no body"),
        (
            events_pb2.Event(id="x", tool_call=events_pb2.ToolCall(call_id="c")).SerializeToString(),
            "is invalid",
        ),
    ],
)
def test_bad_payloads_raise_parse_error(payload: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        decode_event(payload)
