import pytest

from agentd.decide import policies
from agentd.decide.engine import PolicyEngine, PolicySource, default_sources, parse_rules, validate
from agentd.errors import PolicyError
from agentd.events import Outcome, PolicyMode

PRINCIPAL = {"id": "claude-code/dev@h", "kind": "claude-code", "user": "dev", "host": "h"}
TOOL = {
    "id": "Bash",
    "name": "Bash",
    "tool": "Bash",
    "server": "",
    "integration": "claude-code",
    "capabilities": ["executes_code"],
    "risk": 40,
    "origin": "builtin",
    "email": False,
}


def rule(body: str, **annotations: str) -> str:
    notes = "".join(f'@{k}("{v}")\n' for k, v in annotations.items())
    return f'{notes}forbid (principal, action == Agentd::Action::"call", resource) when {{ {body} }};\n'


def engine(*texts: str, check: bool = False) -> PolicyEngine:
    return PolicyEngine([PolicySource(f"p{i}.cedar", t) for i, t in enumerate(texts)], check=check)


def test_the_default_pack_is_valid_against_the_shipped_schema() -> None:
    assert validate(default_sources()) == []
    pack = PolicyEngine.default()
    assert pack.version.startswith("builtin-")
    assert {r.id for r in pack.by_outcome(Outcome.DENY)} >= {"credential-file-read", "lethal-trifecta"}
    assert {r.id for r in pack.by_outcome(Outcome.REQUIRES_APPROVAL)} >= {"new-mcp-server"}
    assert "Agentd" in policies.schema_text()


def test_annotations_become_rules() -> None:
    text = rule("context.x", id="a", reason="because", outcome="requires_approval", mode="monitor") + rule(
        "context.y", id="b"
    )
    (a, _), (b, _) = parse_rules([PolicySource("p.cedar", text)])
    assert (a.id, a.reason, a.outcome, a.mode, a.source) == (
        "a",
        "because",
        Outcome.REQUIRES_APPROVAL,
        PolicyMode.MONITOR,
        "p.cedar",
    )
    assert (b.reason, b.outcome, b.mode) == ("b", Outcome.DENY, PolicyMode.ENFORCE)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("this is not cedar", "not valid Cedar"),
        (rule("true"), "needs an @id"),
        (rule("true", id="a") + rule("true", id="a"), "already used"),
        ('@id("p") permit (principal, action, resource);', "must be a forbid"),
        (rule("true", id="a", outcome="maybe"), "@outcome"),
        (rule("true", id="a", mode="sometimes"), "@mode"),
        ('@id("t") forbid (principal == ?principal, action, resource);', "templates"),
    ],
)
def test_bad_policies_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        engine(text)


def test_validation_catches_type_errors_against_the_schema() -> None:
    problems = validate([PolicySource("bad.cedar", rule("context.no_such_fact", id="typo"))])
    assert len(problems) == 1
    assert problems[0].startswith("bad.cedar: typo:")
    with pytest.raises(PolicyError, match="typo"):
        PolicyEngine([PolicySource("bad.cedar", rule("context.no_such_fact", id="typo"))])


def test_evaluate_reports_fired_rules_in_bundle_order() -> None:
    pack = engine(
        rule("context.b", id="second"), rule("context.a", id="first"), rule("context.c", id="never")
    )
    result = pack.evaluate(PRINCIPAL, TOOL, {"a": True, "b": True, "c": False})
    assert [r.id for r in result.fired] == ["second", "first"]
    assert result.errors == ()


def test_principal_and_resource_attributes_reach_policies() -> None:
    pack = engine(
        rule('principal.kind == "codex" && resource.capabilities.contains("executes_code")', id="codex-shell")
    )
    assert not pack.evaluate(PRINCIPAL, TOOL, {}).fired
    assert pack.evaluate({**PRINCIPAL, "id": "codex/dev@h", "kind": "codex"}, TOOL, {}).fired
    # the cached entities follow changed attributes
    assert not pack.evaluate({**PRINCIPAL, "id": "codex/dev@h", "kind": "cursor"}, TOOL, {}).fired


def test_a_rule_that_errors_does_not_fire_and_the_error_is_reported() -> None:
    pack = engine(rule("context.missing", id="broken"), rule("true", id="fine"))
    result = pack.evaluate(PRINCIPAL, TOOL, {})
    assert [r.id for r in result.fired] == ["fine"]
    assert result.errors


def test_an_empty_bundle_decides_nothing() -> None:
    assert PolicyEngine([], check=False).evaluate(PRINCIPAL, TOOL, {}).fired == ()
