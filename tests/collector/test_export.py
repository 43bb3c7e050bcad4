import json
from datetime import UTC, datetime
from typing import Any

import pytest

from agentd.collector.export import OCSF_VERSION, to_ocsf
from agentd.collector.store.records import HostFacts, HostRecord, event_row
from agentd.events import (
    AgentKind,
    AgentProcessSeen,
    AgentRef,
    Alert,
    CredentialFileAccess,
    Decision,
    Event,
    FileOperation,
    Outcome,
    ProcessState,
    Severity,
    Stamper,
    ToolCall,
)
from agentd.wire.codec import event_to_proto

STAMP = Stamper(host_id="h1")
AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
AGENT = AgentRef(kind=AgentKind.CLAUDE_CODE, pid=42, exe="/usr/bin/claude", user="dev")


def ocsf(event: Event) -> dict[str, Any]:
    row = event_row(
        event_to_proto(event.model_copy(update={"seq": 5})), epoch=1, batch_sequence=1, received_ms=9
    )
    host = HostRecord("h1", b"k" * 32, "kid", HostFacts(hostname="laptop", os="linux", os_version="6.1"), AT)
    return to_ocsf(row, host)


@pytest.mark.parametrize(
    ("event", "class_uid", "activity", "message"),
    [
        (
            STAMP(
                Alert,
                AT,
                alert_id="a1",
                rule_id="r",
                title="Secret sent",
                reason="in Bash",
                severity=Severity.HIGH,
            ),
            2004,
            "Create",
            "Secret sent: in Bash",
        ),
        (
            STAMP(
                ToolCall,
                AT,
                call_id="c",
                tool="Bash",
                input_hash="0",
                agent=AGENT,
                decision=Decision(outcome=Outcome.DENY, enforced=True),
            ),
            6003,
            "Other",
            "tool call Bash -> deny",
        ),
        (
            STAMP(CredentialFileAccess, AT, path="/home/dev/.aws/credentials", operation=FileOperation.READ),
            1001,
            "Read",
            "credential file access",
        ),
        (
            STAMP(AgentProcessSeen, AT, state=ProcessState.EXITED, agent=AGENT),
            1007,
            "Terminate",
            "agent process",
        ),
    ],
    ids=["alert", "tool_call", "credential_file", "process_exit"],
)
def test_events_map_to_ocsf_classes(event: Event, class_uid: int, activity: str, message: str) -> None:
    shaped = ocsf(event)
    assert shaped["class_uid"] == class_uid
    assert shaped["activity_name"] == activity
    assert shaped["type_uid"] == class_uid * 100 + shaped["activity_id"]
    assert shaped["message"] == message
    assert shaped["metadata"]["version"] == OCSF_VERSION
    assert shaped["metadata"]["uid"] == event.id
    assert shaped["metadata"]["sequence"] == 5
    assert shaped["time"] == int(AT.timestamp() * 1000)
    assert shaped["device"] == {"uid": "h1", "hostname": "laptop", "os": {"name": "linux", "version": "6.1"}}
    assert shaped["unmapped"]["agentd_kind"] == event.kind
    json.dumps(shaped)  # JSON-ready throughout


def test_severity_actor_and_finding_details() -> None:
    alert = STAMP(
        Alert, AT, alert_id="a9", rule_id="r", title="T", reason="R", severity=Severity.CRITICAL, agent=AGENT
    )
    shaped = ocsf(alert)
    assert (shaped["severity_id"], shaped["severity"]) == (5, "Critical")
    assert shaped["actor"] == {
        "app_name": "claude-code",
        "process": {"pid": 42, "file": {"path": "/usr/bin/claude"}},
        "user": {"name": "dev"},
    }
    assert shaped["finding_info"] == {"uid": "a9", "title": "T", "desc": "R"}
    row = event_row(event_to_proto(alert), epoch=1, batch_sequence=1, received_ms=0)
    assert "device" in to_ocsf(row)  # without host facts: the host id alone
    assert to_ocsf(row)["device"] == {"uid": "h1"}
