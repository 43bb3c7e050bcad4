import pytest

from agentd.decide.catalog import (
    ArgRole,
    Capability,
    Catalog,
    Origin,
    ToolOverride,
    parse_overrides,
    role_of_key,
    split_name,
    words,
)
from agentd.errors import PolicyError
from agentd.normalize.model import ToolSpec

P, U, S, W, X, D, C = (
    Capability.READS_PRIVATE,
    Capability.READS_UNTRUSTED,
    Capability.SENDS_EXTERNAL,
    Capability.WRITES_LOCAL,
    Capability.EXECUTES_CODE,
    Capability.DESTRUCTIVE,
    Capability.READS_CREDENTIALS,
)


@pytest.mark.parametrize(
    ("name", "server", "agent", "integration", "capabilities"),
    [
        ("Bash", None, "claude-code", "claude-code", {X}),
        ("Read", None, "claude-code", "claude-code", {P}),
        ("Write", None, "claude-code", "claude-code", {W}),
        ("Edit", None, "claude-code", "claude-code", {W, P}),
        ("WebFetch", None, "claude-code", "claude-code", {U, S}),
        ("WebSearch", None, "claude-code", "claude-code", {U, S}),
        ("Glob", None, "claude-code", "claude-code", {P}),
        ("Grep", None, "claude-code", "claude-code", {P}),
        ("Task", None, "claude-code", "claude-code", set()),
        ("NotebookEdit", None, "claude-code", "claude-code", {W, P}),
        ("shell", None, "codex", "codex", {X}),
        ("apply_patch", None, "codex", "codex", {W, P}),
        ("run_shell_command", None, "gemini-cli", "gemini-cli", {X}),
        ("read_file", None, "gemini-cli", "gemini-cli", {P}),
        ("web_fetch", None, "gemini-cli", "gemini-cli", {U, S}),
        ("Shell", None, "cursor", "cursor", {X}),
        ("mcp__github__get_issue", None, None, "github", {P, U}),
        ("mcp__github__create_pull_request", None, None, "github", {S}),
        ("mcp__github__delete_file", None, None, "github", {D, S}),
        ("mcp__gitlab__list_merge_requests", None, None, "gitlab", {P, U}),
        ("mcp__slack__slack_post_message", None, None, "slack", {S}),
        ("mcp__gmail__read_thread", None, None, "email", {P, U}),
        ("mcp__gmail__send_email", None, None, "email", {S}),
        ("mcp__gmail__create_draft", None, None, "email", {P}),
        ("mcp__gdrive__search", None, None, "google-drive", {P}),
        ("mcp__notion__notion_create_page", None, None, "notion", {S}),
        ("mcp__linear__create_issue", None, None, "issues", {S}),
        ("mcp__jira__get_issue", None, None, "issues", {P, U}),
        ("mcp__filesystem__read_file", None, None, "filesystem", {P}),
        ("mcp__filesystem__write_file", None, None, "filesystem", {W}),
        ("mcp__fetch__fetch", None, None, "web", {U, S}),
        ("mcp__playwright__browser_navigate", None, None, "web", {U, S}),
        ("mcp__playwright__browser_evaluate", None, None, "web", {X, U, S}),
        ("mcp__postgres__query", None, None, "database", {P}),
        ("mcp__sqlite__write_query", None, None, "database", {P, W}),
        ("mcp__sentry__get_issue_details", None, None, "observability", {P, U}),
        ("mcp_slack_post_message", None, None, "slack", {S}),  # Gemini CLI's naming
        ("send_email", "mail", None, "email", {S}),  # MCP over HTTP: the server comes from the wire
    ],
)
def test_builtin_classification(
    name: str, server: str | None, agent: str | None, integration: str, capabilities: set[Capability]
) -> None:
    tool = Catalog().classify(name, server, agent=agent)
    assert tool.origin is Origin.BUILTIN
    assert tool.integration == integration
    assert tool.capabilities == capabilities
    assert 0 <= tool.risk <= 100
    assert tool.why


@pytest.mark.parametrize(
    ("name", "spec", "capabilities"),
    [
        ("mcp__acme__delete_everything", None, {D}),
        ("mcp__acme__get_weather", None, {P}),
        ("mcp__acme__frobnicate", None, {U}),
        ("mcp__acme__run_query", None, {X, P}),
        (
            "mcp__acme__notify",
            ToolSpec("notify", "Posts a webhook", {"properties": {"webhook_url": {"type": "string"}}}),
            {S, U},
        ),
        (
            "mcp__acme__deliver",
            ToolSpec("deliver", "", {"properties": {"to": {}, "body": {}}}),
            {S},
        ),
        (
            "mcp__acme__tidy",
            ToolSpec("tidy", "Permanently removes old records.", None),
            {D},
        ),
        ("LocalThing", None, set()),
    ],
)
def test_unknown_tools_are_classified_from_name_description_and_schema(
    name: str, spec: ToolSpec | None, capabilities: set[Capability]
) -> None:
    tool = Catalog().classify(name, spec=spec)
    assert tool.origin is Origin.HEURISTIC
    assert tool.capabilities == capabilities
    assert tool.integration == "unknown"


def test_unknown_mail_tools_are_email_tools() -> None:
    catalog = Catalog()
    assert catalog.classify("read_thread", "127.0.0.1:8123").email
    assert catalog.classify("send_email", "127.0.0.1:8123").email
    assert catalog.classify("notify", "x", spec=ToolSpec("notify", "Sends an email to a colleague")).email
    assert not catalog.classify("get_weather", "x").email


def test_unknown_tools_get_roles_from_their_schema() -> None:
    spec = ToolSpec("x", "", {"properties": {"recipients": {}, "url": {}, "file_path": {}, "sql": {}}})
    roles = Catalog().classify("mcp__acme__x", spec=spec).roles
    assert roles == {
        "recipients": ArgRole.RECIPIENTS,
        "url": ArgRole.URL,
        "file_path": ArgRole.PATH,
        "sql": ArgRole.QUERY,
    }


def test_hostile_schemas_do_not_break_classification() -> None:
    for schema in ({"properties": "nope"}, {"properties": {str(i): {} for i in range(10_000)}}, {"x": []}):
        Catalog().classify("mcp__acme__x", spec=ToolSpec("x", "d" * 100_000, schema))  # type: ignore[arg-type]


def test_overrides_win_and_say_so() -> None:
    override = ToolOverride(
        match="mcp__acme__*", add=frozenset({S}), roles={"to": ArgRole.RECIPIENTS}, risk=80
    )
    tool = Catalog([override]).classify("mcp__acme__frobnicate")
    assert tool.origin is Origin.OVERRIDE
    assert S in tool.capabilities
    assert tool.roles["to"] is ArgRole.RECIPIENTS
    assert tool.risk == 80
    assert "mcp__acme__*" in tool.why
    replaced = Catalog([ToolOverride(match="Bash", capabilities=frozenset({D}))]).classify("Bash")
    assert replaced.capabilities == {D}
    by_server = Catalog([ToolOverride(match="acme/*", remove=frozenset({U}))]).classify(
        "mcp__acme__frobnicate"
    )
    assert by_server.capabilities == set()


def test_parse_overrides() -> None:
    text = """
[[tool]]
match = "mcp__acme__send_*"
capabilities = ["sends_external"]
roles = { to = "recipients" }
risk = 60
integration = "email"
"""
    (override,) = parse_overrides(text)
    assert override.capabilities == {S}
    assert override.integration == "email"
    assert Catalog([override]).classify("mcp__acme__send_invoice").email


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[tool]]\nmatch = 3", "'match'"),
        ("[[tool]]\nmatch = 'x'\ncapabilities = ['flying']", "unknown capability"),
        ("[[tool]]\nmatch = 'x'\nroles = { a = 'b' }", "unknown role"),
        ("[[tool]]\nmatch = 'x'\nrisk = 101", "'risk'"),
        ("[[tool]]\nmatch = 'x'\ncolour = 'red'", "unknown keys"),
        ("tool = 1", "array of tables"),
        ("not toml [", "not valid TOML"),
    ],
)
def test_bad_overrides_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse_overrides(text)


@pytest.mark.parametrize(
    ("name", "server", "expected"),
    [
        ("mcp__github__get_issue", None, ("github", "get_issue")),
        ("mcp__plugin_x_srv__do", None, ("plugin_x_srv", "do")),
        ("mcp_slack_post_message", None, ("slack", "post_message")),
        ("get_issue", "github", ("github", "get_issue")),
        ("Bash", None, (None, "Bash")),
        ("mcp__", None, (None, "mcp__")),
        ("mcp____x", None, (None, "mcp____x")),
    ],
)
def test_split_name(name: str, server: str | None, expected: tuple[str | None, str]) -> None:
    assert split_name(name, server) == expected


def test_words_and_roles() -> None:
    assert words("createPullRequest") == ["create", "pull", "request"]
    assert words("send-email_now") == ["send", "email", "now"]
    assert role_of_key("To") is ArgRole.RECIPIENTS
    assert role_of_key("file_path") is ArgRole.PATH
    assert role_of_key("colour") is None


def test_classification_is_cached_per_definition() -> None:
    catalog = Catalog()
    assert catalog.classify("Bash") is catalog.classify("Bash")
    first = catalog.classify("mcp__acme__x", spec=ToolSpec("x", "one"))
    assert catalog.classify("mcp__acme__x", spec=ToolSpec("x", "two")) is not first
