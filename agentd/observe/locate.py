"""Where the daemon's control socket is, read from the config layers (defaults < user <
system < managed) without the pydantic settings models: quick commands pay only for tomllib.

A layer that cannot be read is skipped: the daemon and `agentd doctor` report bad config.
"""

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agentd.paths import ConfigFiles, config_files

SOCKET_NAME = "control.sock"


def peek(files: ConfigFiles, section: str, key: str) -> Any:
    """``[section] key`` from the highest layer that sets it, or None."""
    value = None
    for path in (files.user, files.system, files.managed):
        if path is None:
            continue
        table = read_layer(path).get(section)
        if isinstance(table, Mapping) and key in table:
            value = table[key]
    return value


def read_layer(path: Path) -> Mapping[str, Any]:
    try:
        raw = path.read_bytes()
        if path.suffix == ".plist":  # macOS MDM profiles; plistlib is only paid for there
            import plistlib

            data = plistlib.loads(raw)
        else:
            data = tomllib.loads(raw.decode())
    except (OSError, ValueError):  # plistlib.InvalidFileException is a ValueError
        return {}
    return data if isinstance(data, Mapping) else {}


def control_socket(explicit: Path | None = None) -> Path:
    """``[paths] run_dir``/control.sock as the daemon using the same config would bind it."""
    run_dir = peek(config_files(explicit), "paths", "run_dir")
    if not isinstance(run_dir, str) or not run_dir:
        from agentd.paths import default_run_dir

        return default_run_dir() / SOCKET_NAME
    return Path(run_dir).expanduser() / SOCKET_NAME
