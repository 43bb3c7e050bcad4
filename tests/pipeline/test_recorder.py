"""The Recorder over real parsed requests (the Anthropic dialect), a real StateStore and the
real scanner: which events a turn produces, once, at each capture level."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from agentd.clock import SystemClock
from agentd.detect.redact import render_content
from agentd.events import (
    AgentKind,
    AgentRef,
    CaptureLevel,
    Outcome,
    Severity,
    Stamper,
)
from agentd.normalize.dialects.anthropic import AnthropicMessages
from agentd.normalize.model import ParsedResponse, ToolUse
from agentd.pipeline.content import Inspector
from agentd.pipeline.governor import AllowAll, CallSource, Governor
from agentd.pipeline.ledger import Ledger
from agentd.pipeline.recorder import Recorder, Turn
from agentd.record.statestore import StateStore
from tests.support import secrets
from tests.support.governors import DenyTool
from tests.support.proxy import ListSink, scanner

DIALECT = AnthropicMessages()
AGENT = AgentRef(kind=AgentKind.CLAUDE_CODE, pid=4242, exe="/usr/bin/claude", user="dev")
HEADERS = {"x-claude-code-session-id": "sess-1"}
TOOLS = [
    {"name": "Bash", "description": "Run a shell command", "input_schema": {"type": "object"}},
    {"name": "Read", "description": "Read a file", "input_schema": {"type": "object"}},
]


def _recorder(
    tmp_path: Path, level: CaptureLevel = CaptureLevel.REDACTED, governor: Governor | None = None
) -> tuple[Recorder, ListSink]:
    sink = ListSink()
    recorder = Recorder(
        sink=sink,
        stamp=Stamper(host_id="h", capture_level=level),
        clock=SystemClock(),
        ledger=Ledger(StateStore(tmp_path / "state.sqlite3")),
        inspector=Inspector(scanner(), render_content, level),
        governor=governor or AllowAll(),
    )
    return recorder, sink


def _body(messages: list[dict[str, Any]], tools: list[dict[str, Any]] = TOOLS) -> bytes:
    return json.dumps(
        {"model": "claude-sonnet-4-5", "system": "be brief", "tools": tools, "messages": messages}
    ).encode()


def _conversation(turns: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [{"role": "user", "content": "look around"}]
    for turn in range(turns):
        call_id = f"toolu_{turn}"
        messages.append(
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": call_id, "name": "Read", "input": {"n": turn}}],
            }
        )
        messages.append(
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": call_id, "content": f"out {turn}"}],
            }
        )
    return messages


def _begin(recorder: Recorder, messages: list[dict[str, Any]], headers: dict[str, str] = HEADERS) -> Turn:
    return recorder.begin(DIALECT.parse_request(_body(messages)), headers, AGENT, "api.anthropic.com")


def _kinds(sink: ListSink) -> list[str]:
    return [e.kind for e in sink.events]


def test_first_turn(tmp_path: Path) -> None:
    recorder, sink = _recorder(tmp_path)
    turn = _begin(recorder, [{"role": "user", "content": "look around"}])
    assert _kinds(sink) == ["session_started", "tool_definitions_seen", "user_prompt"]
    started, tools, prompt = sink.events
    assert (turn.session_id, started.session_id) == ("sess-1", "sess-1")
    assert (started.dialect, started.provider_host, started.model) == (
        "anthropic",
        "api.anthropic.com",
        "claude-sonnet-4-5",
    )
    assert [t.name for t in tools.tools] == ["Bash", "Read"]
    assert tools.tools[0].description == "Run a shell command"
    assert (prompt.text, prompt.chars, prompt.message_index) == ("look around", 11, 0)
    assert all(e.agent == AGENT for e in sink.events)
    assert all(e.source == "proxy" for e in sink.events)


def test_a_resent_history_is_reported_once(tmp_path: Path) -> None:
    recorder, sink = _recorder(tmp_path)
    for turns in range(6):
        # No response asked for these calls here, so each is recorded from the history,
        # once, undecided.
        turn = _begin(recorder, _conversation(turns))
        recorder.response(turn, ParsedResponse(text="ok", stop_reason="end_turn"))
    kinds = _kinds(sink)
    assert kinds.count("session_started") == 1
    assert kinds.count("tool_definitions_seen") == 1
    assert kinds.count("user_prompt") == 1
    assert kinds.count("model_response") == 6
    calls = sink.of_kind("tool_call")
    results = sink.of_kind("tool_result")
    assert [c.call_id for c in calls] == [f"toolu_{n}" for n in range(5)]
    assert all(c.decision is None for c in calls)
    assert [(r.call_id, r.tool, r.content) for r in results] == [
        (f"toolu_{n}", "Read", f"out {n}") for n in range(5)
    ]


def test_a_call_recorded_from_the_response_is_not_recorded_again_from_history(tmp_path: Path) -> None:
    recorder, sink = _recorder(tmp_path)
    turn = _begin(recorder, _conversation(0))
    use = ToolUse("toolu_0", "Read", '{"n": 0}')
    recorder.call(turn, use, CallSource.RESPONSE)
    recorder.response(turn, ParsedResponse(tool_uses=(use,), stop_reason="tool_use"))
    _begin(recorder, _conversation(1))
    assert [c.call_id for c in sink.of_kind("tool_call")] == ["toolu_0"]
    [response] = sink.of_kind("model_response")
    assert response.call_ids == ("toolu_0",)


def test_changed_tool_definitions_are_reported_again(tmp_path: Path) -> None:
    recorder, sink = _recorder(tmp_path)
    messages = [{"role": "user", "content": "hi"}]
    recorder.begin(DIALECT.parse_request(_body(messages)), HEADERS, AGENT, "h")
    recorder.begin(DIALECT.parse_request(_body(messages)), HEADERS, AGENT, "h")
    changed = [{**TOOLS[0], "description": "Run a shell command (now with network!)"}, TOOLS[1]]
    recorder.begin(DIALECT.parse_request(_body(messages, changed)), HEADERS, AGENT, "h")
    seen = sink.of_kind("tool_definitions_seen")
    assert len(seen) == 2
    assert seen[0].tools[0].definition_hash != seen[1].tools[0].definition_hash
    assert seen[0].tools[1].definition_hash == seen[1].tools[1].definition_hash


@pytest.mark.parametrize("level", list(CaptureLevel))
def test_no_raw_secret_reaches_an_event(tmp_path: Path, level: CaptureLevel) -> None:
    key = secrets.aws_access_key_id("recorder")
    token = secrets.github_pat("recorder")
    recorder, sink = _recorder(tmp_path, level)
    messages = [
        {"role": "user", "content": f"deploy with {key}"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "t1", "name": "Bash", "input": {"c": "env"}}],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "t1", "content": f"GITHUB_TOKEN={token}"}],
        },
    ]
    turn = _begin(recorder, messages)
    recorder.call(
        turn,
        ToolUse("t2", "Bash", json.dumps({"command": f"curl -H 'token {token}' x"})),
        CallSource.RESPONSE,
    )
    dumped = "\n".join(e.model_dump_json() for e in sink.events)
    assert key not in dumped
    assert token not in dumped
    findings = sink.of_kind("finding")
    by_subject = {e.id: e for e in sink.events}
    subjects = sorted(by_subject[f.subject_event_id].kind for f in findings)
    assert subjects == ["tool_call", "tool_result", "user_prompt"]
    assert all(f.severity is f.finding.severity for f in findings)
    prompt = sink.of_kind("user_prompt")[0]
    assert prompt.chars == len(f"deploy with {key}")
    if level is CaptureLevel.METADATA:
        assert prompt.text is None
        assert sink.of_kind("tool_definitions_seen")[0].tools[0].description is None
    else:
        assert prompt.text is not None
        assert prompt.text.startswith("deploy with ")


def test_the_governor_rules_live_calls_and_sees_every_event(tmp_path: Path) -> None:
    governor = DenyTool()
    recorder, sink = _recorder(tmp_path, governor=governor)
    turn = _begin(recorder, [{"role": "user", "content": "go"}])
    denied = recorder.call(turn, ToolUse("b1", "Bash", '{"command": "ls"}'), CallSource.RESPONSE)
    allowed = recorder.call(turn, ToolUse("r1", "Read", '{"path": "/etc/hosts"}'), CallSource.RESPONSE)
    assert denied.blocks
    assert not allowed.blocks
    bash, read = sink.of_kind("tool_call")
    assert bash.decision.outcome is Outcome.DENY
    assert bash.severity is Severity.HIGH
    assert read.decision is None
    assert read.severity is Severity.INFO
    assert governor.observed == sink.events
    context = governor.contexts[0]
    assert (context.session_id, context.agent, context.dialect, context.source) == (
        "sess-1",
        AGENT,
        "anthropic",
        CallSource.RESPONSE,
    )
    assert context.now.tzinfo is not None


def test_calls_seen_only_in_history_are_not_ruled(tmp_path: Path) -> None:
    governor = DenyTool()
    recorder, sink = _recorder(tmp_path, governor=governor)
    _begin(recorder, _conversation(2))
    assert governor.contexts == []
    assert [c.decision for c in sink.of_kind("tool_call")] == [None, None]


def test_a_call_seen_twice_is_ruled_twice_but_recorded_once(tmp_path: Path) -> None:
    governor = DenyTool()
    recorder, sink = _recorder(tmp_path, governor=governor)
    turn = _begin(recorder, [{"role": "user", "content": "go"}])
    use = ToolUse("b1", "Bash", "{}")
    assert recorder.call(turn, use, CallSource.RESPONSE).blocks
    assert recorder.call(turn, use, CallSource.RESPONSE).blocks
    assert len(sink.of_kind("tool_call")) == 1
    assert len(governor.contexts) == 2


def test_sessions_without_a_header_use_a_fingerprint(tmp_path: Path) -> None:
    recorder, _ = _recorder(tmp_path)
    first = _begin(recorder, _conversation(0), headers={})
    later = _begin(recorder, _conversation(3), headers={})
    other = _begin(recorder, [{"role": "user", "content": "something else"}], headers={})
    assert first.session_id == later.session_id
    assert first.session_id.startswith("fp-")
    assert other.session_id != first.session_id


def test_responses_record_server_calls_and_remember_their_id(tmp_path: Path) -> None:
    recorder, sink = _recorder(tmp_path)
    turn = _begin(recorder, [{"role": "user", "content": "search"}])
    server_call = ToolUse("srv_1", "web_search", '{"query": "x"}', server="anthropic")
    recorder.response(
        turn,
        ParsedResponse(
            model="m", text="found it", tool_uses=(server_call,), stop_reason="end_turn", response_id="msg_9"
        ),
    )
    [call] = sink.of_kind("tool_call")
    assert (call.call_id, call.server) == ("srv_1", "anthropic")
    assert recorder.ledger.session_of_response("msg_9") == "sess-1"
    [response] = sink.of_kind("model_response")
    assert (response.model, response.text, response.call_ids) == ("m", "found it", ("srv_1",))


def test_statistics_count_work(tmp_path: Path) -> None:
    recorder, sink = _recorder(tmp_path)
    _begin(recorder, _conversation(2))
    _begin(recorder, _conversation(3))
    assert recorder.stats.requests == 2
    assert recorder.stats.new_messages == 5 + 2
    assert recorder.stats.events == len(sink.events)


def test_event_times_come_from_the_clock(tmp_path: Path) -> None:
    class Fixed:
        def now(self) -> datetime:
            return datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)

        def monotonic(self) -> float:
            return 0.0

        async def sleep(self, seconds: float) -> None:
            return None

    recorder, sink = _recorder(tmp_path)
    recorder.clock = Fixed()
    _begin(recorder, [{"role": "user", "content": "when"}])
    assert {e.time for e in sink.events} == {datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)}


def test_the_governor_gets_raw_prompts_results_and_tool_sets(tmp_path: Path) -> None:
    """Content reaches the governor before capture-level rendering: at `metadata` the events
    carry no text, yet the session still learns from it (hosts named, results read)."""
    governor = DenyTool()
    recorder, sink = _recorder(tmp_path, level=CaptureLevel.METADATA, governor=governor)
    ask = {"role": "user", "content": "send it to drop.example.net"}
    _begin(recorder, [ask])
    _begin(recorder, [ask, *_conversation(1)[1:]])
    prompts = [(c.kind, c.text) for c in governor.contents if c.kind == "prompt"]
    assert ("prompt", "send it to drop.example.net") in prompts
    [output] = [c for c in governor.contents if c.kind == "result"]
    assert (output.call_id, output.text, output.session_id) == ("toolu_0", "out 0", "sess-1")
    assert all(e.text is None for e in sink.of_kind("user_prompt"))
    assert governor.tool_sets == [("Bash", "Read")]  # once: the set did not change


def test_a_call_event_carries_the_id_promised_to_the_governor(tmp_path: Path) -> None:
    governor = DenyTool()
    recorder, sink = _recorder(tmp_path, governor=governor)
    turn = _begin(recorder, [{"role": "user", "content": "go"}])
    recorder.call(turn, ToolUse("b1", "Bash", '{"command": "ls"}'), CallSource.RESPONSE)
    [event] = sink.of_kind("tool_call")
    assert governor.contexts[0].event_id == event.id
