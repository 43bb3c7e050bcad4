import re

import pytest

from agentd.detect.rule import Candidate, Rule, rule_table
from agentd.events import FindingKind, Severity


def _rule(rule_id: str = "secret.test.token", **kw) -> Rule:
    kw.setdefault("kind", FindingKind.SECRET)
    kw.setdefault("severity", Severity.HIGH)
    kw.setdefault("pattern", r"tok_(?P<value>[a-z]{4})")
    return Rule(id=rule_id, **kw)


def test_anchor_defaults_to_the_pattern_without_named_groups() -> None:
    rule = _rule()
    assert rule.anchor == r"tok_(?:[a-z]{4})"
    assert rule.value_group


def test_pattern_without_value_group_reports_the_whole_match() -> None:
    assert not _rule(pattern=r"tok_[a-z]{4}").value_group


@pytest.mark.parametrize(
    ("rule_id", "kind", "pattern", "message"),
    [
        ("Secret.Bad", FindingKind.SECRET, "x", "dotted lowercase"),
        ("nodots", FindingKind.SECRET, "x", "dotted lowercase"),
        ("pii.email", FindingKind.SECRET, "x", "must start with its kind"),
        ("secret.x.y", FindingKind.SECRET, r"(?<![a-z])x", "explicit anchor"),
        ("secret.x.y", FindingKind.SECRET, r"x(?!y)", "explicit anchor"),
    ],
)
def test_invalid_rules_are_refused(rule_id: str, kind: FindingKind, pattern: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Rule(id=rule_id, kind=kind, severity=Severity.LOW, pattern=pattern)


def test_an_invalid_expression_is_refused() -> None:
    with pytest.raises(re.error):
        _rule(pattern="tok_(")


def test_rule_table_refuses_duplicate_ids() -> None:
    with pytest.raises(ValueError, match=r"duplicate rule id secret\.test\.token"):
        rule_table((_rule(),), (_rule(),))
    assert len(rule_table((_rule(),), (_rule("secret.test.other"),))) == 2


def test_candidate_exposes_value_groups_and_context() -> None:
    data = "before ü tok_abcd after".encode()
    match = re.compile(rb"tok_(?P<value>[a-z]{4})(?P<missing>X)?").search(data)
    assert match is not None
    candidate = Candidate(data, match.start("value"), match.end("value"), match)
    assert candidate.value == "abcd"
    assert candidate.group("value") == "abcd"
    assert candidate.group("missing") == ""
    assert candidate.before.endswith("ü tok_")
    assert candidate.after == " after"
