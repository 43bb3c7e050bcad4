import subprocess
import sys

import hyperscan
import pytest

from agentd.detect import RULES
from agentd.detect.engines import HyperscanEngine, ReEngine, _clusters, _max_width, build_engine
from agentd.detect.rule import Rule
from agentd.events import FindingKind, Severity
from tests.support import secrets


def _spans(engine: HyperscanEngine | ReEngine, data: bytes) -> list[tuple[int, int, int]]:
    return sorted((index, m.start(), m.end()) for index, m in engine.matches(data))


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_anchor_compiles_for_hyperscan(rule: Rule) -> None:
    database = hyperscan.Database()
    database.compile(
        expressions=[rule.anchor.encode("ascii")], ids=[0], elements=1, flags=[hyperscan.HS_FLAG_SOM_LEFTMOST]
    )


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_pattern_has_a_bounded_width(rule: Rule) -> None:
    """Bounded patterns keep confirmation local (one bounded search per window) on any input."""
    width = _max_width(rule.pattern.encode("ascii"))
    assert width is not None
    assert width <= 20_000


def test_unbounded_patterns_have_no_width() -> None:
    assert _max_width(rb"a+") is None
    assert _max_width(rb"ab{2,5}") == 6


def test_clusters_merge_overlapping_and_touching_windows() -> None:
    assert list(_clusters([(10, 12), (0, 3), (2, 5), (5, 7), (20, 21)])) == [(0, 7), (10, 12), (20, 21)]


def _rule(rule_id: str, pattern: str, anchor: str = "") -> Rule:
    return Rule(id=rule_id, kind=FindingKind.SECRET, severity=Severity.LOW, pattern=pattern, anchor=anchor)


# Shapes where "leftmost start per end" and finditer could part ways: a variable prefix, a
# match that fails at the leftmost start, overlapping candidates, adjacent matches.
TRICKY = (
    _rule("secret.t.email", r"[a-z.]{1,20}@[a-z]{2,5}\.com", r"[a-z.]{1,20}@[a-z]"),
    _rule("secret.t.boundary", r"(?<![a-z])tok_[a-z]{4}(?![a-z])", "tok_[a-z]{4}"),
    _rule("secret.t.repeat", r"(?:ab){2,4}", "abab"),
    _rule("secret.t.alt", r"sftp|ftp|tp", r"sftp|ftp|tp"),
)


@pytest.mark.parametrize(
    "text",
    [
        b"x a.b@cd.com y.z@e.org q@rs.com",
        b"atok_abcd tok_abcd tok_abcdx _tok_wxyz",
        b"ababababababab abab aba",
        b"sftp ftp tp stp",
        b"a" * 30 + b"@bb.com",
        b"",
    ],
)
def test_hyperscan_windows_give_finditer_matches(text: bytes) -> None:
    hs = HyperscanEngine(TRICKY, max_matches=100, max_candidates=1000)
    assert _spans(hs, text) == _spans(ReEngine(TRICKY, max_matches=100), text)


def test_max_matches_caps_each_rule() -> None:
    text = b"tok_abcd " * 50
    for engine in (HyperscanEngine(TRICKY, 7, 1000), ReEngine(TRICKY, 7)):
        assert sum(1 for index, _ in engine.matches(text) if index == 1) == 7


def test_a_flooding_rule_is_dropped_for_the_rest_of_the_text_and_others_still_match() -> None:
    token = secrets.github_pat("after-flood")
    text = ("a@" * 50_000 + " " + token).encode()
    engine = HyperscanEngine(RULES, max_matches=100, max_candidates=500)
    found = {RULES[index].id: m.group(0) for index, m in engine.matches(text)}
    assert found.get("secret.github.pat_classic") == token.encode()
    windows = engine.windows(text)
    assert all(len(spans) <= 500 for spans in windows.values())


def test_repeated_floods_reuse_compiled_databases() -> None:
    engine = HyperscanEngine(RULES, max_matches=10, max_candidates=50)
    text = ("a@b " * 200 + "1.1.1.1 " * 200).encode()
    engine.windows(text)
    compiled = dict(engine._databases)
    engine.windows(text)
    assert engine._databases == compiled
    assert len(compiled) >= 2


def test_build_engine_names() -> None:
    assert build_engine(TRICKY, "re", 1, 1).name == "re"
    assert build_engine(TRICKY, "hyperscan", 1, 1).name == "hyperscan"


def test_without_a_hyperscan_wheel_the_reference_engine_runs() -> None:
    code = (
        "import sys; sys.modules['hyperscan'] = None\n"
        "from agentd.detect import Scanner\n"
        "scanner = Scanner.build(b'k' * 32)\n"
        "print(scanner.engine, [f.rule_id for f in scanner.scan('mail maria@globex.com', 'x')])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "re ['pii.email']"
