import json
from collections.abc import Iterable, Sequence
from typing import Any

import pytest

from agentd.normalize.dialects.anthropic import AnthropicMessages
from agentd.normalize.model import Message, ParsedRequest
from agentd.normalize.sessions import (
    SessionIdentity,
    conversation_fingerprint,
    identify,
    message_keys,
    new_messages,
)

UUID = "6b1d2c3e-0f3a-4b5c-9d8e-7f6a5b4c3d2e"


def message(index: int, role: str, digest: str, text: str = "") -> Message:
    return Message(index=index, role=role, location=f"messages[{index}]", digest=digest, text=text)


CONVERSATION = ParsedRequest(
    dialect="anthropic",
    system="You are a helpful agent.",
    messages=(message(0, "user", "d0", "hello"), message(1, "assistant", "d1"), message(2, "user", "d2")),
)


@pytest.mark.parametrize(
    ("headers", "request_", "expected"),
    [
        (
            {"X-Claude-Code-Session-Id": UUID},
            CONVERSATION,
            SessionIdentity(UUID, "header:x-claude-code-session-id"),
        ),
        ({"session_id": "019a-codex"}, CONVERSATION, SessionIdentity("019a-codex", "header:session_id")),
        ({"conversation_id": "c-1"}, CONVERSATION, SessionIdentity("c-1", "header:conversation_id")),
        (
            {"Mcp-Session-Id": "1868a90c"},
            ParsedRequest("mcp"),
            SessionIdentity("1868a90c", "header:mcp-session-id"),
        ),
        (
            {"x-claude-code-session-id": UUID, "session_id": "other"},
            CONVERSATION,
            SessionIdentity(UUID, "header:x-claude-code-session-id"),
        ),
        ({}, ParsedRequest("gemini", session_hint="gem-1"), SessionIdentity("gem-1", "body")),
        (
            {"x-claude-code-session-id": "  "},
            ParsedRequest("gemini", session_hint="gem-1"),
            SessionIdentity("gem-1", "body"),
        ),
        ({}, ParsedRequest("mcp"), None),
    ],
)
def test_identify_from_headers_and_body(
    headers: dict[str, str], request_: ParsedRequest, expected: SessionIdentity | None
) -> None:
    assert identify(request_, headers) == expected


@pytest.mark.parametrize(
    "value",
    ["x" * 129, "has space", "ünïcode", "line\nbreak", "\x00nul"],
)
def test_hostile_header_values_are_hashed_not_kept(value: str) -> None:
    identity = identify(CONVERSATION, {"x-claude-code-session-id": value})
    assert identity is not None
    assert identity.session_id.startswith("h-")
    assert len(identity.session_id) == 34
    assert identity == identify(CONVERSATION, {"x-claude-code-session-id": value})


def test_a_continued_response_joins_the_session_it_continues() -> None:
    known = {"resp_1": "fp-session"}
    follow_up = ParsedRequest("openai-responses", messages=(message(0, "user", "new"),), continues="resp_1")
    assert identify(follow_up, {}, response_session=known.get) == SessionIdentity("fp-session", "continues")
    unknown = ParsedRequest("openai-responses", messages=(message(0, "user", "new"),), continues="resp_9")
    identity = identify(unknown, {}, response_session=known.get)
    assert identity is not None
    assert identity.source == "fingerprint"


def test_fingerprint_is_stable_as_the_conversation_grows() -> None:
    longer = ParsedRequest(
        dialect="anthropic",
        system=CONVERSATION.system,
        messages=(*CONVERSATION.messages, message(3, "assistant", "d3"), message(4, "user", "d4")),
    )
    assert conversation_fingerprint(CONVERSATION) == conversation_fingerprint(longer)
    assert identify(longer, {}) == SessionIdentity(
        conversation_fingerprint(CONVERSATION) or "", "fingerprint"
    )


@pytest.mark.parametrize(
    "other",
    [
        ParsedRequest("anthropic", system="Another system prompt", messages=CONVERSATION.messages),
        ParsedRequest("anthropic", system=CONVERSATION.system, messages=(message(0, "user", "dX"),)),
        ParsedRequest("openai-chat", system=CONVERSATION.system, messages=CONVERSATION.messages),
    ],
)
def test_fingerprint_separates_conversations(other: ParsedRequest) -> None:
    assert conversation_fingerprint(other) != conversation_fingerprint(CONVERSATION)


def test_message_keys_count_repeats() -> None:
    messages = [
        message(0, "user", "a"),
        message(1, "assistant", "b"),
        message(2, "user", "a"),
        message(3, "user", "a"),
    ]
    assert message_keys(messages) == ["a", "b", "a#1", "a#2"]


class SeenSet:
    """The daemon keeps claimed keys in StateStore; a set has the same contract."""

    def __init__(self) -> None:
        self.keys: set[str] = set()
        self.calls = 0

    def claim(self, keys: Sequence[str]) -> Iterable[str]:
        self.calls += 1
        fresh = [k for k in keys if k not in self.keys]
        self.keys.update(fresh)
        return fresh


def _turns(count: int) -> list[bytes]:
    """A conversation resent in full each turn, the way agents do."""
    history: list[dict[str, Any]] = []
    bodies = []
    for turn in range(count):
        history.append({"role": "user", "content": [{"type": "text", "text": f"prompt {turn}"}]})
        if history and turn:
            history[-2]["content"][-1].pop("cache_control", None)
        history[-1]["content"][-1]["cache_control"] = {"type": "ephemeral"}
        bodies.append(json.dumps({"messages": history}).encode())
        history.append(
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": f"t{turn}", "name": "Bash", "input": {"command": "ls"}}
                ],
            }
        )
        history.append(
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": f"t{turn}", "content": "ok"}]}
        )
    return bodies


def _label(m: Message) -> str:
    if m.tool_uses:
        return f"call {m.tool_uses[0].call_id}"
    if m.tool_outputs:
        return f"result {m.tool_outputs[0].call_id}"
    return m.text


def test_a_resent_conversation_yields_each_message_once() -> None:
    dialect = AnthropicMessages()
    seen = SeenSet()
    reported: list[str] = []
    for body in _turns(30):
        fresh = new_messages(dialect.parse_request(body).messages, seen.claim)
        reported.extend(_label(m) for m in fresh)
    prompts = [r for r in reported if r.startswith("prompt")]
    assert prompts == [f"prompt {n}" for n in range(30)]
    assert len(reported) == len(set(reported)) == 30 + 29 * 2


def test_nothing_is_new_twice_and_an_empty_request_claims_nothing() -> None:
    seen = SeenSet()
    messages = [message(0, "user", "a"), message(1, "user", "a")]
    assert [m.index for m in new_messages(messages, seen.claim)] == [0, 1]
    assert new_messages(messages, seen.claim) == []
    assert new_messages([], seen.claim) == []
    assert seen.calls == 2
