"""Maps events to and from their protobuf messages, losslessly.

The proto messages name their fields exactly as the pydantic models do, so the mapping
goes through protobuf's canonical JSON form: the envelope at the top, the kind's own
fields in the ``body`` oneof member named after the kind.
"""

from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message
from pydantic import ValidationError

from agentd.errors import ParseError
from agentd.events import ENVELOPE_FIELDS, EVENT_ADAPTER, Event
from agentd.wire._generated.agentd.v1 import events_pb2

EventMessage = events_pb2.Event


def event_to_proto(event: Event) -> events_pb2.Event:
    data = event.model_dump()
    kind = data.pop("kind")
    body = {key: data.pop(key) for key in list(data) if key not in ENVELOPE_FIELDS}
    message = events_pb2.Event()
    _fill(message, data)
    _fill(getattr(message, kind), body)
    return message


def _fill(message: Message, data: Mapping[str, Any]) -> None:
    """Set ``message`` from a model dump, field by field (json_format.ParseDict, without its
    per-value JSON conversions: encoding is on the spool's hot path)."""
    message.SetInParent()
    fields = message.DESCRIPTOR.fields_by_name
    for name, value in data.items():
        if value is None:
            continue
        field = fields[name]
        target = field.message_type
        if target is None:
            if field.is_repeated:
                getattr(message, name).extend(value)
            else:
                setattr(message, name, value)
        elif target.full_name == "google.protobuf.Timestamp":
            getattr(message, name).FromDatetime(value)
        elif target.GetOptions().map_entry:
            getattr(message, name).update(value)
        elif field.is_repeated:
            items = getattr(message, name)
            for item in value:
                _fill(items.add(), item)
        else:
            _fill(getattr(message, name), value)


def event_from_proto(message: events_pb2.Event) -> Event:
    """The event a message carries; ParseError when it is not a valid event."""
    kind = message.WhichOneof("body")
    if kind is None:
        raise ParseError(f"event {message.id!r} has no body")
    data: dict[str, Any] = json_format.MessageToDict(
        message,
        preserving_proto_field_name=True,
        always_print_fields_with_no_presence=True,
    )
    body = data.pop(kind)
    try:
        return EVENT_ADAPTER.validate_python({**data, **body, "kind": kind})
    except ValidationError as exc:
        raise ParseError(f"event {message.id!r} of kind {kind} is invalid: {exc}") from exc


def encode_event(event: Event) -> bytes:
    return event_to_proto(event).SerializeToString(deterministic=True)


def decode_event(payload: bytes) -> Event:
    message = events_pb2.Event()
    try:
        message.ParseFromString(payload)
    except Exception as exc:  # protobuf raises DecodeError or RuntimeWarning subclasses
        raise ParseError(f"not an agentd.v1.Event: {exc}") from exc
    return event_from_proto(message)
