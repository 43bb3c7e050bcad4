import json
from typing import Any

import pytest

from agentd.errors import ParseError
from agentd.events import AgentKind, ConfigChange
from agentd.normalize import agent_configs as ac
from agentd.normalize.agent_configs import ConfigFormat, ConfigSource
from tests.support import secrets

TOKEN = secrets.github_pat("cfg")
KEY = secrets.openai_key("cfg")


def source(app: str, fmt: ConfigFormat, scope: str = "user", path: str = "/cfg") -> ConfigSource:
    return ConfigSource(path=path, app=app, scope=scope, format=fmt)


def stdio_entry() -> dict[str, Any]:
    return {
        "command": "npx",
        "args": ["-y", "@modelcontextprotocol/server-github", "--token", TOKEN],
        "env": {"GITHUB_TOKEN": TOKEN, "OPENAI_API_KEY": KEY},
    }


def http_entry(key: str = "url") -> dict[str, Any]:
    return {key: f"https://user:{TOKEN}@mcp.example.com/mcp?key={KEY}", "headers": {"Authorization": KEY}}


# (app, format, text, server name, transport, expected command or url prefix, env names, project)
CASES = [
    (
        ac.CLAUDE_CODE,
        ConfigFormat.JSON,
        json.dumps({"mcpServers": {"gh": stdio_entry()}}),
        "gh",
        "stdio",
        "npx",
        ("GITHUB_TOKEN", "OPENAI_API_KEY"),
        None,
    ),
    (
        ac.CLAUDE_CODE,
        ConfigFormat.JSON,
        json.dumps({"mcpServers": {"remote": {"type": "http", **http_entry()}}}),
        "remote",
        "http",
        "https://<redacted>@mcp.example.com/mcp?key=…",
        (),
        None,
    ),
    (
        ac.CLAUDE_CODE,
        ConfigFormat.CLAUDE_STATE,
        json.dumps({"numStartups": 3, "projects": {"/home/u/p": {"mcpServers": {"loc": stdio_entry()}}}}),
        "loc",
        "stdio",
        "npx",
        ("GITHUB_TOKEN", "OPENAI_API_KEY"),
        "/home/u/p",
    ),
    (
        ac.CLAUDE_CODE,
        ConfigFormat.JSON,
        json.dumps({"mcpServers": {"old": {"type": "sse", "url": "http://127.0.0.1:9000/sse"}}}),
        "old",
        "sse",
        "http://127.0.0.1:9000/sse",
        (),
        None,
    ),
    (
        ac.CODEX,
        ConfigFormat.CODEX_TOML,
        f'model = "o4"\n[mcp_servers.docs]\ncommand = "uvx"\nargs = ["mcp-docs"]\n'
        f'env = {{ DOCS_TOKEN = "{TOKEN}" }}\n',
        "docs",
        "stdio",
        "uvx",
        ("DOCS_TOKEN",),
        None,
    ),
    (
        ac.CODEX,
        ConfigFormat.CODEX_TOML,
        '[mcp_servers.web]\nurl = "https://mcp.example.com/mcp"\nbearer_token_env_var = "WEB_TOKEN"\n'
        f'http_headers = {{ "X-Api-Key" = "{KEY}" }}\n',
        "web",
        "http",
        "https://mcp.example.com/mcp",
        (),
        None,
    ),
    (
        ac.GEMINI_CLI,
        ConfigFormat.JSONC,
        '// user settings\n{"theme": "x", "mcpServers": {"s": {"httpUrl": "https://h.example/mcp",'
        ' "trust": true,},},}',
        "s",
        "http",
        "https://h.example/mcp",
        (),
        None,
    ),
    (
        ac.GEMINI_CLI,
        ConfigFormat.JSONC,
        json.dumps({"mcpServers": {"legacy": {"url": "https://h.example/sse"}}}),
        "legacy",
        "sse",
        "https://h.example/sse",
        (),
        None,
    ),
    (
        ac.CURSOR,
        ConfigFormat.JSON,
        json.dumps({"mcpServers": {"fs": {"command": "node", "args": ["fs.js"], "env": {"ROOT": "/x"}}}}),
        "fs",
        "stdio",
        "node",
        ("ROOT",),
        None,
    ),
    (
        ac.VSCODE,
        ConfigFormat.VSCODE_MCP,
        '{\n  // comment with "quotes" and a, trailing comma\n  "inputs": [],\n'
        '  "servers": {"gh": {"type": "stdio", "command": "docker", "args": ["run", "-e", "GITHUB_TOKEN='
        + TOKEN
        + '", "ghcr.io/github/github-mcp-server"], "env": {"GITHUB_TOKEN": "${input:tok}"}},},\n}',
        "gh",
        "stdio",
        "docker",
        ("GITHUB_TOKEN",),
        None,
    ),
    (
        ac.COPILOT,
        ConfigFormat.JSON,
        json.dumps({"mcpServers": {"c": {"type": "local", "command": "copilot-mcp", "tools": ["*"]}}}),
        "c",
        "stdio",
        "copilot-mcp",
        (),
        None,
    ),
    (
        ac.CLAUDE_DESKTOP,
        ConfigFormat.JSON,
        json.dumps({"mcpServers": {"d": stdio_entry()}}),
        "d",
        "stdio",
        "npx",
        ("GITHUB_TOKEN", "OPENAI_API_KEY"),
        None,
    ),
    (
        ac.WINDSURF,
        ConfigFormat.JSON,
        json.dumps({"mcpServers": {"w": {"serverUrl": "https://w.example/mcp"}}}),
        "w",
        "http",
        "https://w.example/mcp",
        (),
        None,
    ),
]


@pytest.mark.parametrize(("app", "fmt", "text", "name", "transport", "target", "env", "project"), CASES)
def test_each_agents_server_is_parsed_without_secret_values(
    app: str,
    fmt: ConfigFormat,
    text: str,
    name: str,
    transport: str,
    target: str,
    env: tuple[str, ...],
    project: str | None,
) -> None:
    inventory = ac.parse(source(app, fmt), text)
    assert [s.name for s in inventory.servers] == [name]
    server = inventory.servers[0]
    assert server.transport == transport
    assert (server.command if transport == "stdio" else server.url) == target
    assert server.env == env
    assert server.project == project
    rendered = repr(inventory) + json.dumps(ac.to_json(inventory))
    assert TOKEN not in rendered
    assert KEY not in rendered


def test_server_fields_keep_names_and_redact_arguments() -> None:
    inventory = ac.parse(
        source(ac.CLAUDE_CODE, ConfigFormat.JSON), json.dumps({"mcpServers": {"gh": stdio_entry()}})
    )
    server = inventory.servers[0]
    assert server.args == ("-y", "@modelcontextprotocol/server-github", "--token", ac.REDACTED)
    remote = ac.parse(
        source(ac.CLAUDE_CODE, ConfigFormat.JSON), json.dumps({"mcpServers": {"r": http_entry()}})
    ).servers[0]
    assert remote.headers == ("Authorization",)


@pytest.mark.parametrize(
    ("arg", "previous", "expected"),
    [
        ("--api-key=abc", None, "--api-key=<redacted>"),
        ("hunter2", "--password", "<redacted>"),
        ("API_TOKEN=xyz", None, "API_TOKEN=<redacted>"),
        ("PLAIN=", None, "PLAIN="),
        ("Authorization: Bearer abc", None, "Authorization: <redacted>"),
        ("https://u:p@h.example/x?token=1#frag", None, "https://<redacted>@h.example/x?token=…"),
        ("--port=8080", None, "--port=8080"),
        ("@modelcontextprotocol/server-filesystem", None, "@modelcontextprotocol/server-filesystem"),
        ("/home/user/projects/some/deeper/path", None, "/home/user/projects/some/deeper/path"),
        ("mcp-server-kubernetes-readonly-mode", None, "mcp-server-kubernetes-readonly-mode"),
        ("a" * 10 + "B" * 10 + "1" * 10, None, ac.REDACTED),
        ("0123456789abcdef0123456789abcdef", None, ac.REDACTED),
        ("x" * 2000, None, "x" * ac.MAX_VALUE + "…(2000)"),
    ],
)
def test_redact_arg(arg: str, previous: str | None, expected: str) -> None:
    assert ac.redact_arg(arg, previous) == expected


def test_secret_builders_are_redacted_wherever_they_appear() -> None:
    for value in (TOKEN, KEY, secrets.anthropic_key("x"), secrets.aws_secret_access_key("x")):
        assert value not in " ".join(ac.redact_args([value, f"--token={value}", f"X={value}"]))


def test_argument_lists_are_capped() -> None:
    args = ac.redact_args(str(i) for i in range(1000))
    assert len(args) == ac.MAX_ARGS + 1
    assert args[-1] == f"…(+{1000 - ac.MAX_ARGS})"


HOOKS_CLAUDE = {
    "hooks": {
        "PreToolUse": [
            {
                "matcher": "Bash|mcp__.*",
                "hooks": [
                    {"type": "command", "command": "/usr/bin/agentd hook claude-code"},
                    {"type": "command", "command": "my-linter --fix"},
                ],
            }
        ],
        "Stop": [{"hooks": [{"type": "http", "url": f"http://127.0.0.1:7777/hook?t={TOKEN}"}]}],
    },
    "env": {"HTTPS_PROXY": "http://127.0.0.1:8899", "NODE_EXTRA_CA_CERTS": "/var/lib/agentd/ca/cert.pem"},
}


@pytest.mark.parametrize(
    ("app", "fmt", "text", "expected"),
    [
        (
            ac.CLAUDE_CODE,
            ConfigFormat.JSON,
            json.dumps(HOOKS_CLAUDE),
            [
                ("PreToolUse", "command", "/usr/bin/agentd hook claude-code", "Bash|mcp__.*", True),
                ("PreToolUse", "command", "my-linter --fix", "Bash|mcp__.*", False),
                ("Stop", "http", "http://127.0.0.1:7777/hook?t=…", None, False),
            ],
        ),
        (
            ac.CURSOR,
            ConfigFormat.JSON,
            json.dumps(
                {"version": 1, "hooks": {"beforeShellExecution": [{"command": "agentd hook cursor"}]}}
            ),
            [("beforeShellExecution", "command", "agentd hook cursor", None, True)],
        ),
        (
            ac.COPILOT,
            ConfigFormat.JSON,
            json.dumps({"version": 1, "hooks": {"preToolUse": [{"type": "command", "bash": "./check.sh"}]}}),
            [("preToolUse", "command", "./check.sh", None, False)],
        ),
        (
            ac.CODEX,
            ConfigFormat.CODEX_TOML,
            '[[hooks.PreToolUse]]\nmatcher = "Bash"\n[[hooks.PreToolUse.hooks]]\ntype = "command"\n'
            'command = "agentd hook codex"\n',
            [("PreToolUse", "command", "agentd hook codex", "Bash", True)],
        ),
        (
            ac.GEMINI_CLI,
            ConfigFormat.JSONC,
            json.dumps(
                {"hooks": {"BeforeTool": [{"matcher": "*", "hooks": [{"type": "command", "command": "g"}]}]}}
            ),
            [("BeforeTool", "command", "g", "*", False)],
        ),
    ],
)
def test_hooks_of_every_layout(
    app: str, fmt: ConfigFormat, text: str, expected: list[tuple[Any, ...]]
) -> None:
    hooks = ac.parse(source(app, fmt), text).hooks
    assert [(h.event, h.handler, h.target, h.matcher, h.agentd) for h in hooks] == expected


def test_proxy_settings_and_hook_switches() -> None:
    data = {
        **HOOKS_CLAUDE,
        "env": {**HOOKS_CLAUDE["env"], "SECRET_THING": KEY, "HTTP_PROXY": f"http://u:{TOKEN}@corp:3128"},
        "disableAllHooks": False,
    }
    inventory = ac.parse(source(ac.CLAUDE_CODE, ConfigFormat.JSON), json.dumps(data))
    settings = {s.name: (s.value, s.agentd) for s in inventory.settings}
    assert settings == {
        "disableAllHooks": ("false", False),
        "env.HTTPS_PROXY": ("http://127.0.0.1:8899", False),
        "env.HTTP_PROXY": ("http://<redacted>@corp:3128", False),
        "env.NODE_EXTRA_CA_CERTS": ("/var/lib/agentd/ca/cert.pem", True),
    }
    assert KEY not in repr(inventory)
    assert TOKEN not in repr(inventory)


def test_marks_can_name_the_proxy_endpoint() -> None:
    marks = ac.AgentdMarks(markers=("agentd", "127.0.0.1:8899"))
    inventory = ac.parse(source(ac.CLAUDE_CODE, ConfigFormat.JSON), json.dumps(HOOKS_CLAUDE), marks)
    assert {s.name for s in inventory.settings if s.agentd} == {"env.HTTPS_PROXY", "env.NODE_EXTRA_CA_CERTS"}


def parse_claude(data: dict[str, Any]) -> ac.ConfigInventory:
    return ac.parse(source(ac.CLAUDE_CODE, ConfigFormat.JSON), json.dumps(data))


def test_diff_added_changed_removed() -> None:
    empty = parse_claude({})
    one = parse_claude({"mcpServers": {"gh": stdio_entry()}})
    [added] = ac.diff(empty, one)
    assert (added.change, added.server, added.transport) == (ConfigChange.SERVER_ADDED, "gh", "stdio")
    assert {c.path: c.after for c in added.diff}["env"] == "GITHUB_TOKEN,OPENAI_API_KEY"

    edited_entry = {
        **stdio_entry(),
        "args": ["-y", "@modelcontextprotocol/server-github@2"],
        "env": {"GH": "x"},
    }
    edited = parse_claude({"mcpServers": {"gh": edited_entry}})
    [changed] = ac.diff(one, edited)
    assert changed.change is ConfigChange.SERVER_CHANGED
    by_path = {c.path: (c.before, c.after) for c in changed.diff}
    assert set(by_path) == {"args", "env"}
    assert by_path["env"] == ("GITHUB_TOKEN,OPENAI_API_KEY", "GH")

    [removed] = ac.diff(edited, empty)
    assert (removed.change, removed.server) == (ConfigChange.SERVER_REMOVED, "gh")
    assert ac.diff(one, one) == []
    assert [d.change for d in ac.diff(None, one)] == [ConfigChange.SERVER_ADDED]
    assert [d.change for d in ac.diff(one, None)] == [ConfigChange.SERVER_REMOVED]


def test_same_name_in_two_projects_are_two_servers() -> None:
    src = source(ac.CLAUDE_CODE, ConfigFormat.CLAUDE_STATE)
    state = {
        "projects": {"/a": {"mcpServers": {"s": stdio_entry()}}, "/b": {"mcpServers": {"s": stdio_entry()}}}
    }
    inventory = ac.parse(src, json.dumps(state))
    assert [(s.project, s.name) for s in inventory.servers] == [("/a", "s"), ("/b", "s")]
    del state["projects"]["/b"]
    [removed] = ac.diff(inventory, ac.parse(src, json.dumps(state)))
    assert (removed.change, removed.project) == (ConfigChange.SERVER_REMOVED, "/b")


@pytest.mark.parametrize(
    ("after", "change", "detail_part"),
    [
        ({**HOOKS_CLAUDE, "hooks": {}}, ConfigChange.TAMPERED, "agentd hook removed"),
        (
            {**HOOKS_CLAUDE, "env": {"HTTPS_PROXY": "http://127.0.0.1:8899"}},
            ConfigChange.TAMPERED,
            "agentd setting removed or changed: env.NODE_EXTRA_CA_CERTS",
        ),
        ({**HOOKS_CLAUDE, "disableAllHooks": True}, ConfigChange.TAMPERED, "hook switch changed"),
        (
            {**HOOKS_CLAUDE, "hooks": {**HOOKS_CLAUDE["hooks"], "Stop": []}},
            ConfigChange.HOOKS_CHANGED,
            None,
        ),
        (
            {**HOOKS_CLAUDE, "env": {**HOOKS_CLAUDE["env"], "NO_PROXY": "*"}},
            ConfigChange.SETTINGS_CHANGED,
            None,
        ),
    ],
)
def test_tampering_with_what_agentd_installed(
    after: dict[str, Any], change: ConfigChange, detail_part: str | None
) -> None:
    deltas = ac.diff(parse_claude(HOOKS_CLAUDE), parse_claude(after))
    assert [d.change for d in deltas] == [change]
    if detail_part:
        assert detail_part in (deltas[0].detail or "")
    assert deltas[0].diff


def test_hook_switches_without_agentd_hooks_are_plain_settings() -> None:
    deltas = ac.diff(parse_claude({}), parse_claude({"disableAllHooks": True}))
    assert [d.change for d in deltas] == [ConfigChange.SETTINGS_CHANGED]


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        (ConfigFormat.JSON, '{"mcpServers": {"a": '),
        (ConfigFormat.JSON, "[1, 2]"),
        (ConfigFormat.JSON, "\xff\xfe not json"),
        (ConfigFormat.JSON, "[" * 100_000),
        (ConfigFormat.CODEX_TOML, "[mcp_servers.x\ncommand = 1"),
        (ConfigFormat.JSONC, "{/* unterminated"),
        (ConfigFormat.VSCODE_MCP, '{"servers": {"a": {}}'),
    ],
)
def test_malformed_files_raise_parse_error_naming_the_file(fmt: ConfigFormat, text: str) -> None:
    with pytest.raises(ParseError, match="/some/file"):
        ac.parse(source(ac.CLAUDE_CODE, fmt, path="/some/file"), text)


def test_empty_file_is_an_empty_inventory() -> None:
    assert ac.parse(source(ac.CURSOR, ConfigFormat.JSON), "  \n").servers == ()


def test_hostile_entries_are_skipped_and_reported() -> None:
    data = {
        "mcpServers": {"bad": 3, "ok": {"command": ["node", "s.js", "--key", KEY]}, "weird": {"type": 7}},
        "hooks": {"PreToolUse": "nope", "Stop": [1, {"hooks": [2]}]},
        "projects": [1],
        "env": {"HTTPS_PROXY": {"x": 1}},
    }
    inventory = ac.parse(source(ac.CLAUDE_CODE, ConfigFormat.CLAUDE_STATE), json.dumps(data))
    assert [(s.name, s.transport) for s in inventory.servers] == [("ok", "stdio"), ("weird", "unknown")]
    assert inventory.servers[0].command == "node"
    assert inventory.servers[0].args == ("s.js", "--key", ac.REDACTED)
    assert len(inventory.problems) == 4
    assert KEY not in repr(inventory)


def test_huge_config_parses() -> None:
    servers = {f"s{i}": {"command": "x", "args": [str(i)] * 10, "env": {f"V{i}": "v"}} for i in range(5000)}
    inventory = ac.parse(source(ac.CLAUDE_CODE, ConfigFormat.JSON), json.dumps({"mcpServers": servers}))
    assert len(inventory.servers) == 5000


def test_stored_form_round_trips() -> None:
    src = source(ac.CLAUDE_CODE, ConfigFormat.CLAUDE_STATE)
    inventory = ac.parse(
        src,
        json.dumps(
            {**HOOKS_CLAUDE, "mcpServers": {"a": stdio_entry(), "b": {**http_entry(), "trust": True}}}
        ),
    )
    assert ac.from_json(src, json.loads(json.dumps(ac.to_json(inventory)))) == inventory
    with pytest.raises(ParseError):
        ac.from_json(src, {"servers": [{"nope": 1}]})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": "// not a comment", "b": [1, 2,],}', {"a": "// not a comment", "b": [1, 2]}),
        ('{"a": "x\\"/*y*/", /* c */ "b": 1}', {"a": 'x"/*y*/', "b": 1}),
        ('{"a": "x,}"}', {"a": "x,}"}),
    ],
)
def test_strip_jsonc(text: str, expected: Any) -> None:
    assert json.loads(ac.strip_jsonc(text)) == expected


@pytest.mark.parametrize(
    ("app", "kind"),
    [
        (ac.CLAUDE_CODE, AgentKind.CLAUDE_CODE),
        (ac.CODEX, AgentKind.CODEX),
        (ac.GEMINI_CLI, AgentKind.GEMINI_CLI),
        (ac.VSCODE, AgentKind.COPILOT),
        (ac.WINDSURF, AgentKind.UNKNOWN),
    ],
)
def test_event_agent(app: str, kind: AgentKind) -> None:
    assert ac.event_agent(app) is kind
