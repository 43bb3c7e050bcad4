import json
from datetime import UTC, datetime

import pytest

from agentd.decide.state import (
    MAX_PARTICIPANTS,
    PENDING_CALLS,
    RECENT_CALLS,
    Label,
    PendingCall,
    SessionState,
    SessionTable,
)
from tests.support.findings import finding

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_prompt_names_trusted_destinations_and_findings_set_labels() -> None:
    state = SessionState("s")
    added = state.observe_prompt(
        "post the summary to https://hooks.example.com/x and mail ann@example.org; key AKIA...",
        [finding("secret")],
    )
    assert state.trusted_hosts == {"hooks.example.com"}  # an address names a recipient, not a host
    assert state.trusted_recipients == {"ann@example.org"}
    assert added == [Label.SECRET]
    assert state.labels["secret"] == "aws-access-key in the prompt"


def test_results_bring_the_labels_their_call_promised() -> None:
    state = SessionState("s")
    state.record_call(
        "c1", "WebFetch", ["reads_untrusted"], NOW, destructive=False,
        result=PendingCall("WebFetch", (Label.UNTRUSTED_CONTENT,)),
    )  # fmt: skip
    assert state.knows_call("c1")
    assert not state.has(Label.UNTRUSTED_CONTENT)  # not before the result arrives
    assert state.observe_result("c1", "<html>") == [Label.UNTRUSTED_CONTENT]
    assert state.labels["untrusted_content"] == "result of WebFetch"
    assert not state.knows_call("c1")
    assert state.observe_result("c1", "again") == []


def test_email_results_make_their_addresses_participants() -> None:
    state = SessionState("s")
    state.record_call(
        "r", "read_thread", [], NOW, destructive=False,
        result=PendingCall("read_thread", (Label.PRIVATE_DATA,), email=True),
    )  # fmt: skip
    state.observe_result("r", "From: A <a@x.example>\nCc: b@y.example\n\nhi")
    assert state.participants == {"a@x.example", "b@y.example"}


@pytest.mark.parametrize(
    ("kind", "label"),
    [("secret", Label.SECRET), ("pii", Label.PRIVATE_DATA), ("injection", Label.UNTRUSTED_CONTENT)],
)
def test_findings_in_results_set_labels(kind: str, label: Label) -> None:
    state = SessionState("s")
    assert state.observe_result("unknown-call", "text", [finding(kind)]) == [label]


def test_counts_and_bounded_history() -> None:
    state = SessionState("s")
    for i in range(RECENT_CALLS + PENDING_CALLS + 10):
        state.record_call(
            f"c{i}", "Bash", ["executes_code"], NOW, destructive=i % 2 == 0, result=PendingCall("Bash", ())
        )
    assert state.calls == RECENT_CALLS + PENDING_CALLS + 10
    assert state.capability_counts == {"executes_code": state.calls}
    assert state.tool_counts == {"Bash": state.calls}
    assert len(state.recent) == RECENT_CALLS
    assert len(state.pending) == PENDING_CALLS
    assert "c0" not in state.pending


def test_participants_are_capped() -> None:
    state = SessionState("s")
    state.record_call("r", "t", [], NOW, destructive=False, result=PendingCall("t", (), email=True))
    state.observe_result("r", " ".join(f"u{i}@x.example" for i in range(MAX_PARTICIPANTS + 100)))
    assert len(state.participants) == MAX_PARTICIPANTS


def test_json_round_trip() -> None:
    state = SessionState("s", agent="codex")
    state.observe_prompt("use https://api.example.com")
    state.add_label(Label.PRIVATE_DATA, "result of Read")
    state.record_call(
        "c",
        "Read",
        ["reads_private"],
        NOW,
        destructive=False,
        result=PendingCall("Read", (Label.PRIVATE_DATA,)),
    )
    state.participants.add("a@x.example")
    data = json.loads(json.dumps(state.to_json()))
    restored = SessionState.from_json(data)
    assert restored.to_json() == state.to_json()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"labels": "x", "participants": {"a": 1}, "calls": -3, "recent": [[1]], "pending": []},
        {
            "labels": {"bogus": "x", "secret": "y"},
            "recent": [["x", "y", "z"]],
            "pending": {"c": ["t", ["bogus"], 1]},
        },
        {"capability_counts": {"a": "many"}, "tool_counts": [1, 2]},
    ],
)
def test_damaged_saved_state_is_dropped_not_trusted(data: dict[str, object]) -> None:
    state = SessionState.from_json(data)
    assert set(state.labels) <= {label.value for label in Label}
    assert state.calls >= 0


def test_session_table_loads_saves_and_evicts() -> None:
    saved: dict[str, object] = {}
    table = SessionTable(load=lambda sid: saved.get(sid), save=saved.__setitem__, capacity=2)  # type: ignore[arg-type, return-value]
    first = table.get("a", "claude-code")
    first.add_label(Label.SECRET, "test")
    table.save(first)
    table.get("b")
    table.get("c")  # evicts "a"
    assert len(table) == 2
    again = table.get("a")
    assert again is not first
    assert again.has(Label.SECRET)
    assert table.get("a") is again
