"""`agentd scan [PATH…|-] [--json]`: the daemon's detection engine over files or standard input.

No daemon needed. Fingerprints use the host key in ``<state_dir>/keys/fingerprint.key`` (created
when absent), so they match the daemon's. Exit 1 when anything was found, 0 when clean, 2 when a
path could not be read (the others are still scanned).
"""

import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from agentd.cli.context import err_console, state
from agentd.errors import KeyStoreError
from agentd.events import FindingKind

if TYPE_CHECKING:
    from agentd.detect import Scanner
    from agentd.events import Finding

STDIN = "-"
_SKIPPED_DIRS = frozenset({".git", ".hg", ".svn"})
_BINARY_PROBE = 8192


def scan(
    ctx: typer.Context,
    paths: Annotated[
        list[str] | None, typer.Argument(help="files or directories to scan; '-' or none: standard input")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON Lines, one finding per line")] = False,
    kinds: Annotated[
        list[FindingKind] | None, typer.Option("--kind", "-k", help="only this kind (repeatable)")
    ] = None,
    allow: Annotated[
        list[str] | None, typer.Option("--allow", help="a fingerprint never to report (repeatable)")
    ] = None,
    engine: Annotated[
        str, typer.Option("--engine", help="hyperscan, or re (the reference engine)")
    ] = "hyperscan",
) -> None:
    """Find secrets, personal data and prompt-injection markers; values are never printed."""
    from agentd import keyfile
    from agentd.detect import Scanner

    if engine not in ("hyperscan", "re"):
        err_console.print(f"[red]unknown engine[/red] {escape(engine)}: expected hyperscan or re")
        raise typer.Exit(2)
    settings = state(ctx).settings().settings
    try:
        key = keyfile.load_or_create(settings.paths.keys_dir / "fingerprint.key")
    except KeyStoreError as exc:
        err_console.print(f"[red]cannot use the fingerprint key:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None
    scanner = Scanner.build(key, allowlist=allow or (), engine="re" if engine == "re" else "hyperscan")
    wanted = frozenset(kinds or FindingKind)
    found = failed = False
    for name, text in _sources(paths or [STDIN]):
        if text is None:
            failed = True
            continue
        for line in _report(scanner, name, text, wanted, as_json):
            found = True
            print(line)
    sys.stdout.flush()
    raise typer.Exit(2 if failed else 1 if found else 0)


def _sources(paths: Sequence[str]) -> Iterator[tuple[str, str | None]]:
    """(display name, text) per file; text is None when the file could not be read."""
    for raw in paths:
        if raw == STDIN:
            yield "<stdin>", sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
            continue
        path = Path(raw)
        if path.is_dir():
            yield from _tree(path)
        else:
            yield str(path), _read(path, explicit=True)


def _tree(root: Path) -> Iterator[tuple[str, str | None]]:
    for directory, subdirs, files in os.walk(root, onerror=_walk_error):
        subdirs[:] = sorted(d for d in subdirs if d not in _SKIPPED_DIRS)
        for name in sorted(files):
            path = Path(directory) / name
            if path.is_symlink() or not path.is_file():
                continue
            text = _read(path, explicit=False)
            if text != "":
                yield str(path), text


def _walk_error(exc: OSError) -> None:
    err_console.print(
        f"[red]cannot read[/red] {escape(str(exc.filename))}: {escape(exc.strerror or str(exc))}"
    )


def _read(path: Path, explicit: bool) -> str | None:
    """The file's text (undecodable bytes kept as surrogates); "" for a binary file found by a
    directory walk; None (reported) when unreadable."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        err_console.print(f"[red]cannot read[/red] {escape(str(path))}: {escape(exc.strerror or str(exc))}")
        return None
    if not explicit and b"\0" in data[:_BINARY_PROBE]:
        return ""
    return data.decode("utf-8", "surrogateescape")


def _report(
    scanner: "Scanner", name: str, text: str, wanted: frozenset[FindingKind], as_json: bool
) -> Iterator[str]:
    findings = [f for f in scanner.scan(text, name) if f.kind in wanted]
    line, line_start, cursor = 1, 0, 0
    for finding in findings:
        newlines = text.count("\n", cursor, finding.start)
        if newlines:
            line += newlines
            line_start = text.rfind("\n", cursor, finding.start) + 1
        cursor = finding.start
        column = finding.start - line_start + 1
        yield _json_line(finding, name, line, column) if as_json else _text_line(finding, name, line, column)


def _json_line(finding: "Finding", name: str, line: int, column: int) -> str:
    return json.dumps(
        {
            "file": name,
            "line": line,
            "column": column,
            "length": finding.length,
            "kind": finding.kind.value,
            "rule": finding.rule_id,
            "severity": finding.severity.value,
            "preview": finding.preview,
            "fingerprint": finding.fingerprint,
        },
        ensure_ascii=False,
    )


def _text_line(finding: "Finding", name: str, line: int, column: int) -> str:
    return (
        f"{name}:{line}:{column}: {finding.severity.value} {finding.rule_id} "
        f"{finding.preview} fingerprint {finding.fingerprint[:16]}"
    )
