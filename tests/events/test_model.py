from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from agentd.events import (
    EVENT_ADAPTER,
    EVENT_TYPES,
    Decision,
    EventBase,
    Outcome,
    Severity,
    ToolCall,
    kind_of,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_every_kind_is_unique_and_documented() -> None:
    kinds = [kind_of(t) for t in EVENT_TYPES]
    assert len(kinds) == len(set(kinds))
    for event_type in EVENT_TYPES:
        assert event_type.__doc__, f"{event_type.__name__} needs a one-line description"


def test_events_are_immutable() -> None:
    call = ToolCall(id="e1", host_id="h", time=NOW, call_id="c", tool="Bash", input_hash="x")
    with pytest.raises(ValidationError):
        call.tool = "Read"  # type: ignore[misc]


def test_times_are_normalised_to_utc_and_naive_times_refused() -> None:
    plus_two = timezone(timedelta(hours=2))
    call = ToolCall(
        id="e",
        host_id="h",
        time=datetime(2026, 1, 1, 14, tzinfo=plus_two),
        call_id="c",
        tool="t",
        input_hash="x",
    )
    assert call.time == datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert call.time.tzinfo is UTC
    with pytest.raises(ValidationError, match="timezone-aware"):
        ToolCall(id="e", host_id="h", time=datetime(2026, 1, 1), call_id="c", tool="t", input_hash="x")


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError, match="extra"):
        ToolCall(id="e", host_id="h", time=NOW, call_id="c", tool="t", input_hash="x", secret="no")  # type: ignore[call-arg]


def test_adapter_picks_the_kind_from_json() -> None:
    call = ToolCall(
        id="e1",
        host_id="h",
        time=NOW,
        call_id="c",
        tool="Bash",
        input_hash="x",
        decision=Decision(outcome=Outcome.DENY, enforced=True, reasons=("credential file",)),
    )
    parsed = EVENT_ADAPTER.validate_json(call.model_dump_json())
    assert parsed == call
    assert isinstance(parsed, ToolCall)
    with pytest.raises(ValidationError):
        EVENT_ADAPTER.validate_json(
            '{"kind": "no_such_kind", "id": "e", "host_id": "h", "time": "2026-01-01T00:00:00Z"}'
        )


def test_severity_ranks_in_order() -> None:
    assert [s.rank for s in Severity] == sorted(s.rank for s in Severity)
    assert Severity.CRITICAL.rank > Severity.INFO.rank


def test_envelope_has_the_documented_fields() -> None:
    assert {"id", "seq", "time", "severity", "session_id", "agent", "host_id", "capture_level"} <= set(
        EventBase.model_fields
    )
