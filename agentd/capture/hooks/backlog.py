"""The fail-open record: when agentd cannot be reached, the hook command lets the call through
and appends one line here (what ran, never its arguments); the daemon drains it at next contact.
Standard library only, for the hook command. Owner-only file, capped in size.
"""

import contextlib
import json
import os
from pathlib import Path
from typing import Any

BACKLOG_NAME = "hook-backlog.jsonl"
MAX_BYTES = 1024 * 1024  # past this, further entries are counted in the last line only


def record(path: Path, entry: dict[str, Any]) -> bool:
    """Append ``entry``; False when the file is full or cannot be written (the hook goes on)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    except OSError:
        return False
    try:
        if os.fstat(fd).st_size > MAX_BYTES:
            return False
        os.write(fd, json.dumps(entry, separators=(",", ":"), default=str).encode() + b"\n")
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def drain(path: Path) -> list[dict[str, Any]]:
    """Take every entry out of the backlog (renamed first, so a hook appending meanwhile starts a
    new file and nothing is read twice). Lines that are not JSON objects are skipped."""
    taken = path.with_name(path.name + ".draining")
    try:
        path.rename(taken)
    except FileNotFoundError:
        return []
    except OSError:
        return []
    entries: list[dict[str, Any]] = []
    try:
        with taken.open("rb") as stream:
            for line in stream.read(MAX_BYTES * 2).splitlines():
                with contextlib.suppress(ValueError):
                    value = json.loads(line)
                    if isinstance(value, dict):
                        entries.append(value)
    except OSError:
        return entries
    finally:
        with contextlib.suppress(OSError):
            taken.unlink()
    return entries
