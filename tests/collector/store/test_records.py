import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentd.collector.store.records import (
    ChainState,
    HostFacts,
    HostRecord,
    derived_rows,
    event_row,
    from_ms,
    message_dict,
    to_ms,
)
from agentd.events import (
    ENVELOPE_FIELDS,
    EVENT_TYPES,
    AgentConfigChanged,
    AgentKind,
    AgentProcessSeen,
    AgentRef,
    Alert,
    ConfigChange,
    Event,
    ProcessState,
    Severity,
    Stamper,
    ToolDefinition,
    ToolDefinitionsSeen,
    UserPrompt,
    kind_of,
)
from agentd.wire.codec import event_to_proto
from tests.support.strategies import model

STAMP = Stamper(host_id="h1")
AT = datetime(2026, 3, 1, 12, 0, 0, 250000, tzinfo=UTC)


def test_times_round_trip_through_milliseconds() -> None:
    assert from_ms(to_ms(AT)) == AT
    assert from_ms(None) is None


def test_an_event_row_carries_the_envelope_as_columns_and_the_rest_as_json() -> None:
    event = STAMP(
        UserPrompt,
        AT,
        session_id="s",
        message_index=3,
        text="hi",
        chars=2,
        severity=Severity.LOW,
        agent=AgentRef(kind=AgentKind.CODEX, pid=9, exe="/bin/codex", user="dev"),
    ).model_copy(update={"seq": 12})
    row = event_row(event_to_proto(event), epoch=7, batch_sequence=2, received_ms=99)
    assert (row.host_id, row.epoch, row.seq, row.id, row.kind, row.severity) == (
        "h1",
        7,
        12,
        event.id,
        "user_prompt",
        "low",
    )
    assert (row.session_id, row.agent_kind, row.agent_pid, row.agent_exe, row.agent_user) == (
        "s",
        "codex",
        9,
        "/bin/codex",
        "dev",
    )
    assert row.time_ms == to_ms(AT)
    details = json.loads(row.details)
    assert details == {
        "source": "daemon",
        "capture_level": "redacted",
        "message_index": 3,
        "text": "hi",
        "chars": 2,
    }
    shaped = row.as_json()
    assert shaped["time"] == "2026-03-01T12:00:00.250000Z"
    assert shaped["agent"] == {"kind": "codex", "pid": 9, "exe": "/bin/codex", "user": "dev"}


@pytest.mark.parametrize(
    ("event", "alerts", "inventory"),
    [
        (STAMP(Alert, AT, alert_id="a", rule_id="r", title="T", reason="R"), [("host", "r", "T")], []),
        (
            STAMP(
                AgentProcessSeen,
                AT,
                state=ProcessState.STARTED,
                role="mcp_server",
                agent=AgentRef(exe="/bin/srv"),
            ),
            [],
            [("mcp_server", "/bin/srv")],
        ),
        (
            STAMP(
                ToolDefinitionsSeen,
                AT,
                tools=(
                    ToolDefinition(name="read", server="fs", definition_hash="x"),
                    ToolDefinition(name="Bash", definition_hash="y"),
                ),
            ),
            [],
            [("tool", "fs/read"), ("tool", "Bash")],
        ),
        (
            STAMP(
                AgentConfigChanged,
                AT,
                config_agent=AgentKind.CLAUDE_CODE,
                file="~/.claude.json",
                scope="user",
                change=ConfigChange.SERVER_ADDED,
                server="github",
            ),
            [],
            [("mcp_server", "github")],
        ),
        (STAMP(UserPrompt, AT, message_index=0, chars=0), [], []),
    ],
    ids=["alert", "mcp-process", "tools", "config-server", "prompt"],
)
def test_derived_alerts_and_inventory(
    event: Event, alerts: list[tuple[str, str, str]], inventory: list[tuple[str, str]]
) -> None:
    message = event_to_proto(event)
    found_alerts, found_inventory = derived_rows(
        message, event_row(message, epoch=1, batch_sequence=1, received_ms=0)
    )
    assert [(a.source, a.rule_id, a.title) for a in found_alerts] == alerts
    assert [(i.category, i.name) for i in found_inventory] == inventory


def test_host_json_hides_the_key_and_token_hash() -> None:
    record = HostRecord(
        host_id="h",
        public_key=b"k" * 32,
        key_id="kid",
        facts=HostFacts(hostname="x"),
        enrolled=AT,
        token_hash="secret-hash",
        chain=ChainState(epoch=1, sequence=2, digest=b"\x01" * 32, last_event_seq=3),
    )
    shaped = record.as_json()
    assert "public_key" not in shaped
    assert "token_hash" not in shaped
    assert shaped["chain"] == {"epoch": 1, "sequence": 2, "digest": "01" * 32, "last_event_seq": 3}
    assert shaped["facts"]["hostname"] == "x"


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=kind_of)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_details_equal_the_kind_fields_agentd_events_prints(event_type: type, data: st.DataObject) -> None:
    event: Event = data.draw(model(event_type))
    expected = event.model_dump(mode="json", exclude={*ENVELOPE_FIELDS, "kind"})
    assert message_dict(getattr(event_to_proto(event), event.kind)) == expected
