"""`agentd doctor`'s frame: what a check returns, what every check may read, and the runner.

The checks themselves are small functions in ``checks_*.py``, listed in ``CHECKS`` in the
order they are printed. A check that crashes becomes a failed line naming the crash: the
doctor is what people run when something is wrong, so it must not fall over itself.
"""

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from agentd.config import LoadedSettings, Settings
from agentd.deploy.agents import Places


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 - a verdict, not a password
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the report: a stable dotted name, the verdict, and the exact fix."""

    name: str
    status: Status
    summary: str
    fix: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "check": self.name,
            "status": self.status.value,
            "summary": self.summary,
            "fix": self.fix,
            "details": dict(self.details),
        }


@dataclass(frozen=True, slots=True)
class Host:
    """Everything the checks look at, gathered once, so each check is a plain function."""

    settings: Settings
    loaded: LoadedSettings | None  # None when the config did not load (``config_error`` says why)
    config_error: str | None
    places: Places
    agentd: Sequence[str]  # the launcher of this agentd, as hooks should name it
    daemon: Mapping[str, Any] | None  # the running daemon's status snapshot
    now: datetime
    euid: int = field(default_factory=lambda: os.geteuid())
    python: tuple[int, int, int] = (sys.version_info.major, sys.version_info.minor, sys.version_info.micro)
    executable: str = sys.executable
    system_unit: Path = Path("/lib/systemd/system/agentd.service")
    trust_bundle: Path | None = None  # the OS trust store as a PEM bundle (None on macOS)


CheckFunction = Callable[[Host], list[Check]]


def run(host: Host, checks: Sequence[CheckFunction]) -> list[Check]:
    """Every check's lines, in order."""
    results: list[Check] = []
    for check in checks:
        try:
            results.extend(check(host))
        except Exception as exc:
            name = check.__name__.removeprefix("check_").replace("_", ".")
            results.append(
                Check(
                    name,
                    Status.FAIL,
                    f"the check itself failed: {type(exc).__name__}: {exc}",
                    fix="report this with `agentd doctor --json` output attached",
                )
            )
    return results


def summary(results: Sequence[Check]) -> dict[str, int]:
    counts = {status.value: 0 for status in Status}
    for result in results:
        counts[result.status.value] += 1
    return counts


def start_command(host: Host) -> str:
    """How this host's admin starts the daemon."""
    if host.places.platform == "darwin":
        return "sudo launchctl kickstart -k system/com.agentd.daemon"
    if host.system_unit.exists():
        return "sudo systemctl start agentd"
    return "agentd run (or: systemctl --user start agentd)"
