import re

import pytest

from agentd.detect.rules.shapes import SEPARATOR, assigned, boundary, injection, pii, secret, token
from agentd.events import FindingKind


def test_token_pattern_and_anchor() -> None:
    rule = token("demo.token", "dm_", "[a-z]", (4, 8))
    assert rule.id == "secret.demo.token"
    assert rule.anchor == "dm_[a-z]{4}"
    assert rule.compiled.search(b" dm_abcdef ").group(0) == b"dm_abcdef"
    assert rule.compiled.search(b" dm_abcdefghij ") is None  # too long: not this token
    assert rule.compiled.search(b"xdm_abcdef") is None  # glued to a word


def test_fixed_token_with_suffix_anchors_on_everything() -> None:
    rule = token("demo.fixed", "fx-", "[0-9]", 3, suffix="-[a-f]{2}")
    assert rule.anchor == "fx-[0-9]{3}-[a-f]{2}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b" tok", True),
        (b"\ntok", True),
        (b"\\ntok", True),
        (b"\\\\tok", False),
        (b"atok", False),
        (b"\\ttok", True),
    ],
)
def test_boundary_accepts_escapes_but_not_word_characters(text: bytes, expected: bool) -> None:
    pattern = re.compile((boundary("a-z") + "tok").encode())
    assert (pattern.search(text) is not None) is expected


@pytest.mark.parametrize(
    "text",
    ["KEY=v", "key: v", '"key": "v"', "key => 'v'", "key := v", "cfg['key'] = 'v'", '\\"key\\": \\"v\\"'],
)
def test_separator_covers_common_assignment_syntaxes(text: str) -> None:
    assert re.search(f"(?i:key){SEPARATOR}v", text)


def test_assigned_reports_only_the_value() -> None:
    rule = assigned("demo.keyed", "demo_?key", "[a-f0-9]{8}")
    match = rule.compiled.search(b'DEMO_KEY = "a1b2c3d4"')
    assert rule.value_group
    assert match is not None
    assert match.group("value") == b"a1b2c3d4"
    assert rule.anchor == "(?i:demo_?key)"


def test_constructors_set_kind_and_defaults() -> None:
    assert secret("a.b", "x").kind is FindingKind.SECRET
    assert pii("a", "x").kind is FindingKind.PII
    assert injection("a", "x").kind is FindingKind.INJECTION
    assert secret("a.b", "x").checks[:2] == token("c.d", "p", "[a]", 1).checks[:2]
