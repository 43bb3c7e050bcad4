import pytest

from agentd.detect import preview, redact, render_content
from agentd.events import CaptureLevel, Finding, FindingKind, Severity


def _finding(
    start: int, end: int, kind: FindingKind = FindingKind.SECRET, rule: str = "secret.x.y"
) -> Finding:
    return Finding(
        kind=kind,
        rule_id=rule,
        severity=Severity.HIGH,
        location="t",
        start=start,
        end=end,
        length=end - start,
        preview="p",
        fingerprint="f",
    )


@pytest.mark.parametrize(
    ("value", "chars", "expected"),
    [
        ("AKIAABCDEFGHIJKLMNOP", 4, "AKIA…(20)"),
        ("hunter22", 4, "hu…(8)"),
        ("abc", 4, "…(3)"),
        ("\U000e0041\U000e0042" * 8, 12, "\\U000e0041\\U000e0042\\U000e0041\\U000e0042…(16)"),
        ("\u202eabcdefgh", 12, "\\u202ea…(9)"),
        ("\ud800abcdefgh", 4, "\\ud800a…(9)"),
        ("ünïcodé-value", 4, "ünï…(13)"),
    ],
)
def test_preview(value: str, chars: int, expected: str) -> None:
    assert preview(value, chars) == expected


def test_preview_never_shows_more_than_a_quarter() -> None:
    for length in range(40):
        shown = preview("x" * length, 12).split("…")[0]
        assert len(shown) <= length // 4


def test_redact_masks_spans_and_merges_overlaps() -> None:
    text = "a SECRET b PII-INSIDE-SECRET c"
    findings = [_finding(2, 8), _finding(11, 28), _finding(15, 21, FindingKind.PII, "pii.email")]
    assert redact(text, findings) == "a [REDACTED:secret.x.y] b [REDACTED:secret.x.y] c"


def test_redact_extends_a_mask_over_a_partial_overlap() -> None:
    text = "0123456789"
    assert redact(text, [_finding(2, 5), _finding(4, 8)]) == "01[REDACTED:secret.x.y]89"


def test_redact_refuses_spans_outside_the_text() -> None:
    with pytest.raises(ValueError, match="outside the text"):
        redact("short", [_finding(2, 50)])


def test_render_content_per_level() -> None:
    text = "key KEY mail MAIL hidden TAGS"
    findings = [
        _finding(4, 7),
        _finding(13, 17, FindingKind.PII, "pii.email"),
        _finding(25, 29, FindingKind.INJECTION, "injection.unicode_tags"),
    ]
    assert render_content(text, findings, CaptureLevel.METADATA) is None
    assert render_content(text, findings, CaptureLevel.REDACTED) == (
        "key [REDACTED:secret.x.y] mail [REDACTED:pii.email] hidden [REDACTED:injection.unicode_tags]"
    )
    assert (
        render_content(text, findings, CaptureLevel.FULL) == "key [REDACTED:secret.x.y] mail MAIL hidden TAGS"
    )
    assert render_content(text, [], CaptureLevel.REDACTED) == text
