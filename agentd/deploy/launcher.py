"""The command line that starts *this* agentd, for hook commands written into agents' settings.

The packaged launcher exports AGENTD_BIN (``/usr/bin/agentd``); a console script is its own
path; a development checkout runs ``python -m agentd`` with the interpreter running now.
"""

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

AGENTD_BIN_ENV = "AGENTD_BIN"


def this_agentd(
    environ: Mapping[str, str] | None = None,
    argv0: str | None = None,
    executable: str | None = None,
) -> list[str]:
    """The argv prefix that runs this installation of agentd, absolute, symlinks kept."""
    env = os.environ if environ is None else environ
    explicit = env.get(AGENTD_BIN_ENV)
    if explicit:
        return [os.path.abspath(explicit)]
    script = Path(sys.argv[0] if argv0 is None else argv0)
    if script.name == "agentd" and script.is_file():
        return [os.path.abspath(script)]
    return [os.path.abspath(executable or sys.executable), "-m", "agentd"]


def runs(launcher: Sequence[str]) -> bool:
    """Whether the launcher's program exists and is executable."""
    return bool(launcher) and os.access(launcher[0], os.X_OK) and Path(launcher[0]).is_file()
