"""agentd's marked block in line-oriented files (TOML, dotenv): insert, replace, find, remove.

Pure. The block is appended at the end, between two comment markers, so removing it gives
back the user's text exactly; nothing outside the markers is ever touched.
"""

from dataclasses import dataclass

BEGIN = "# >>> agentd >>> added by `agentd integrate`; `agentd integrate --uninstall` removes it"
END = "# <<< agentd <<<"


@dataclass(frozen=True, slots=True)
class Span:
    start: int  # offset of the BEGIN line
    end: int  # offset just past the END line's newline (or the end of the text)


def render(lines: tuple[str, ...]) -> str:
    return "\n".join((BEGIN, *lines, END)) + "\n"


def find(text: str) -> Span | None:
    """The first complete block, or None; a BEGIN without its END is not a block."""
    offset = 0
    start: int | None = None
    for line in text.splitlines(keepends=True):
        stripped = line.rstrip("\r\n")
        if start is None and stripped.startswith("# >>> agentd >>>"):
            start = offset
        elif start is not None and stripped == END:
            return Span(start, offset + len(line))
        offset += len(line)
    return None


def block_lines(text: str) -> tuple[str, ...] | None:
    """The lines inside the block (markers excluded), or None when there is no block."""
    span = find(text)
    if span is None:
        return None
    return tuple(text[span.start : span.end].splitlines()[1:-1])


def insert(text: str, lines: tuple[str, ...]) -> tuple[str, bool]:
    """``text`` with the block in place (replacing an older one), and whether a newline had
    to be added first because the text did not end with one."""
    block = render(lines)
    span = find(text)
    if span is not None:
        return text[: span.start] + block + text[span.end :], False
    if text and not text.endswith("\n"):
        return text + "\n" + block, True
    return text + block, False


def remove(text: str, newline_added: bool = False) -> tuple[str, bool]:
    """``text`` without the block, and whether there was one; ``newline_added`` takes back
    the newline `insert` added before it."""
    span = find(text)
    if span is None:
        return text, False
    before = text[: span.start]
    if newline_added and before.endswith("\n") and span.end == len(text):
        before = before[:-1]
    return before + text[span.end :], True
