import json
from typing import Any

import pytest

from agentd.deploy import settings_json
from agentd.deploy.agents import IntegrationError
from agentd.deploy.settings_json import Style
from agentd.events import AgentKind

AGENT = AgentKind.CLAUDE_CODE
OURS = "/usr/bin/agentd hook claude-code"
ENV = {"HTTPS_PROXY": "http://127.0.0.1:8899", "NODE_EXTRA_CA_CERTS": "/ca.pem"}


def _group(command: str = OURS, matcher: str | None = "*") -> dict[str, Any]:
    group: dict[str, Any] = {"hooks": [{"type": "command", "command": command, "timeout": 30}]}
    if matcher is not None:
        group["matcher"] = matcher
    return group


HOOKS = {"PreToolUse": _group(), "UserPromptSubmit": _group(matcher=None)}


@pytest.mark.parametrize(
    ("text", "style"),
    [
        ('{\n  "a": 1\n}\n', Style("  ", True)),
        ('{\n    "a": 1\n}', Style("    ", False)),
        ('{\n\t"a": 1\n}\n', Style("\t", True)),
        ('{"a": 1}\n', Style(None, True)),
        ("", Style("  ", True)),
        ("   \n", Style("  ", True)),
        ('\n\n{\n   "a": [\n      1\n   ]\n}\n', Style("   ", True)),
    ],
)
def test_detect_style(text: str, style: Style) -> None:
    assert settings_json.detect_style(text) == style


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": ', "not valid JSON at line 1"),
        ('{"a": 1,}', "not valid JSON"),
        ('{\n  // a comment\n  "a": 1\n}', "comments are not supported"),
        ("[1, 2]", "must hold a JSON object"),
        ('"just a string"', "must hold a JSON object"),
        ("null", "must hold a JSON object"),
        ("\ufeff{}", "not valid JSON"),
        ("[" * 200_000, "nests too deeply"),
    ],
)
def test_parse_rejects_what_it_cannot_merge_safely(text: str, message: str) -> None:
    with pytest.raises(IntegrationError, match=message) as info:
        settings_json.parse(text, "settings.json")
    assert "left unchanged" in str(info.value)


def test_parse_accepts_empty_and_huge_objects() -> None:
    assert settings_json.parse("", "x") == {}
    huge = json.dumps({f"k{i}": "v" * 100 for i in range(20_000)})
    assert len(settings_json.parse(huge, "x")) == 20_000


def test_merge_adds_env_and_hooks_after_the_users_own() -> None:
    document = {
        "model": "opus",
        "env": {"FOO": "bar"},
        "hooks": {"PreToolUse": [_group("~/guard.sh", "Bash")]},
    }
    merged, replaced = settings_json.merge(document, ENV, HOOKS, AGENT, "x")
    assert merged["model"] == "opus"
    assert merged["env"] == {"FOO": "bar", **ENV}
    assert merged["hooks"]["PreToolUse"] == [_group("~/guard.sh", "Bash"), _group()]
    assert merged["hooks"]["UserPromptSubmit"] == [_group(matcher=None)]
    assert replaced == {"HTTPS_PROXY": None, "NODE_EXTRA_CA_CERTS": None}
    assert document["env"] == {"FOO": "bar"}, "the input is not modified"


def test_merge_is_idempotent_and_replaces_a_stale_binary_path() -> None:
    once, _ = settings_json.merge({}, ENV, HOOKS, AGENT, "x")
    twice, _ = settings_json.merge(once, ENV, HOOKS, AGENT, "x")
    assert once == twice
    stale = {"hooks": {"PreToolUse": [_group("/old/venv/bin/python -m agentd hook claude-code")]}}
    merged, _ = settings_json.merge(stale, {}, HOOKS, AGENT, "x")
    assert merged["hooks"]["PreToolUse"] == [_group()]


def test_merge_leaves_other_agents_and_other_handlers_in_a_shared_group() -> None:
    shared = {
        "matcher": "*",
        "hooks": [
            {"type": "command", "command": "/usr/bin/agentd hook codex"},
            {"type": "command", "command": "/usr/bin/agentd hook claude-code"},
            {"type": "http", "url": "http://127.0.0.1:1/x"},
        ],
    }
    merged, _ = settings_json.merge({"hooks": {"PreToolUse": [shared]}}, {}, HOOKS, AGENT, "x")
    first = merged["hooks"]["PreToolUse"][0]
    assert [h.get("command", h.get("url")) for h in first["hooks"]] == [
        "/usr/bin/agentd hook codex",
        "http://127.0.0.1:1/x",
    ]


def test_merge_reports_the_values_it_replaced() -> None:
    _, replaced = settings_json.merge({"env": {"HTTPS_PROXY": "http://corp:3128"}}, ENV, {}, AGENT, "x")
    assert replaced["HTTPS_PROXY"] == "http://corp:3128"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"env": ["HTTPS_PROXY=x"]}, '"env" must be an object'),
        ({"hooks": "none"}, '"hooks" must be an object'),
        ({"hooks": {"PreToolUse": {"matcher": "*"}}}, '"hooks.PreToolUse" must be a list'),
    ],
)
def test_merge_refuses_shapes_it_would_have_to_clobber(document: dict[str, Any], message: str) -> None:
    with pytest.raises(IntegrationError, match=message):
        settings_json.merge(document, ENV, HOOKS, AGENT, "x")


def test_merge_keeps_odd_groups_it_does_not_understand() -> None:
    odd = {"hooks": {"PreToolUse": ["not a group", {"matcher": "x", "hooks": "not a list"}, 7]}}
    merged, _ = settings_json.merge(odd, {}, HOOKS, AGENT, "x")
    assert merged["hooks"]["PreToolUse"][:3] == ["not a group", {"matcher": "x", "hooks": "not a list"}, 7]


def test_unmerge_takes_back_exactly_what_merge_added() -> None:
    document = {"env": {"FOO": "bar", "HTTPS_PROXY": "http://corp:3128"}, "hooks": {"Stop": [_group("x")]}}
    merged, replaced = settings_json.merge(document, ENV, HOOKS, AGENT, "x")
    cleaned, found = settings_json.unmerge(merged, ENV, tuple(HOOKS), AGENT, replaced)
    assert found
    assert cleaned == document


def test_unmerge_drops_containers_it_emptied_and_keeps_user_edits() -> None:
    merged, replaced = settings_json.merge({}, ENV, HOOKS, AGENT, "x")
    merged["env"]["NODE_EXTRA_CA_CERTS"] = "/my/own.pem"  # the user changed one of ours
    cleaned, found = settings_json.unmerge(merged, ENV, tuple(HOOKS), AGENT, replaced)
    assert found
    assert cleaned == {"env": {"NODE_EXTRA_CA_CERTS": "/my/own.pem"}}
    nothing, found = settings_json.unmerge({"a": 1}, ENV, tuple(HOOKS), AGENT, {})
    assert (nothing, found) == ({"a": 1}, False)


def test_agentd_hooks_lists_our_commands_per_event() -> None:
    merged, _ = settings_json.merge({"hooks": {"Stop": [_group("x")]}}, {}, HOOKS, AGENT, "x")
    assert settings_json.agentd_hooks(merged, AGENT) == {"PreToolUse": [OURS], "UserPromptSubmit": [OURS]}
    assert settings_json.agentd_hooks(merged, AgentKind.CODEX) == {}
    assert settings_json.agentd_hooks({"hooks": [1]}, AGENT) == {}


def test_an_escaped_lone_surrogate_survives_a_rewrite() -> None:
    document = settings_json.parse(r'{"a": "\udcff", "b": "ü"}', "x")
    text = settings_json.render(document, Style())
    text.encode()
    assert json.loads(text) == document


@pytest.mark.parametrize(
    "style", [Style("  ", True), Style("    ", False), Style("\t", True), Style(None, False)]
)
def test_render_round_trips_through_detect_style(style: Style) -> None:
    document = {"a": [1, {"b": "ü"}], "c": {}}
    text = settings_json.render(document, style)
    assert json.loads(text) == document
    assert "ü" in text
    if style.indent is not None:
        assert settings_json.detect_style(text) == style
