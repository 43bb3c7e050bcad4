import pytest

from agentd.detect.redact import render_content
from agentd.events import CaptureLevel, FindingKind
from agentd.pipeline.content import MAX_SCANNED_CHARS, Inspector
from tests.support import secrets
from tests.support.proxy import scanner


def _inspector(level: CaptureLevel) -> Inspector:
    return Inspector(scanner(), render_content, level)


@pytest.mark.parametrize(
    ("level", "shows_text"),
    [(CaptureLevel.METADATA, False), (CaptureLevel.REDACTED, True), (CaptureLevel.FULL, True)],
)
def test_a_secret_is_found_and_never_rendered(level: CaptureLevel, shows_text: bool) -> None:
    key = secrets.aws_access_key_id("content")
    seen = _inspector(level).inspect(f"export AWS_ACCESS_KEY_ID={key}", "messages[3].text")
    [finding] = seen.findings
    assert finding.kind is FindingKind.SECRET
    assert finding.location == "messages[3].text"
    assert key not in finding.model_dump_json()
    if shows_text:
        assert seen.rendered is not None
        assert seen.rendered.startswith("export AWS_ACCESS_KEY_ID=")
        assert key not in seen.rendered
    else:
        assert seen.rendered is None


def test_clean_text_is_kept_at_redacted_level() -> None:
    seen = _inspector(CaptureLevel.REDACTED).inspect("list the files please", "x")
    assert (seen.findings, seen.rendered) == ((), "list the files please")


def test_empty_text() -> None:
    assert _inspector(CaptureLevel.FULL).inspect("", "x").rendered == ""
    assert _inspector(CaptureLevel.METADATA).inspect("", "x").rendered is None


def test_oversized_text_is_neither_scanned_nor_carried() -> None:
    inspector = _inspector(CaptureLevel.FULL)
    seen = inspector.inspect("a" * (MAX_SCANNED_CHARS + 1), "x")
    assert (seen.findings, seen.rendered) == ((), None)
    assert inspector.chars_scanned == 0


def test_scanned_characters_are_counted() -> None:
    inspector = _inspector(CaptureLevel.REDACTED)
    inspector.inspect("abc", "x")
    inspector.inspect("de", "y")
    assert inspector.chars_scanned == 5
