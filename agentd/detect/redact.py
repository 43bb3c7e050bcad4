"""What may be kept of a value or a text: previews, masking, and content per capture level.

Raw secrets never leave the host at any level: ``full`` keeps PII and injection markers as seen,
and still masks every secret.
"""

from collections.abc import Sequence

from agentd.events import CaptureLevel, Finding, FindingKind


def preview(value: str, chars: int) -> str:
    """At most ``chars`` leading characters (never more than a quarter of the value) and the
    length, e.g. ``AKIA…(20)``; invisible or control characters are shown as escapes."""
    shown = value[: min(chars, len(value) // 4)]
    return f"{''.join(_visible(c) for c in shown)}…({len(value)})"


def _visible(char: str) -> str:
    if char.isalnum() or (char.isprintable() and char.isascii()):
        return char
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def mask(finding: Finding) -> str:
    """What stands in for a finding's span in kept content."""
    return f"[REDACTED:{finding.rule_id}]"


def redact(text: str, findings: Sequence[Finding]) -> str:
    """``text`` with every finding's span masked; overlapping spans are masked once.

    Raises ValueError when a span does not lie inside ``text`` (findings of another text).
    """
    ordered = sorted(findings, key=lambda f: (f.start, -f.end))
    pieces: list[str] = []
    cursor = 0
    for finding in ordered:
        if not 0 <= finding.start <= finding.end <= len(text):
            raise ValueError(f"finding span {finding.start}:{finding.end} is outside the text")
        if finding.end <= cursor:
            continue
        if finding.start < cursor:
            # Overlaps the previous mask: extend it rather than leak the tail.
            cursor = finding.end
            continue
        pieces.append(text[cursor : finding.start])
        pieces.append(mask(finding))
        cursor = finding.end
    pieces.append(text[cursor:])
    return "".join(pieces)


def render_content(text: str, findings: Sequence[Finding], level: CaptureLevel) -> str | None:
    """Content as an event may keep it: ``metadata`` none, ``redacted`` every finding masked,
    ``full`` only secrets masked."""
    if level is CaptureLevel.METADATA:
        return None
    if level is CaptureLevel.FULL:
        findings = [f for f in findings if f.kind is FindingKind.SECRET]
    return redact(text, findings)
