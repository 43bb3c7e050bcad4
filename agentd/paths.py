"""Where agentd keeps things on each OS: config layers, state, runtime sockets.

A daemon running as root uses the system locations; an unprivileged run uses the user's
platformdirs locations. ``[paths]`` in the config relocates state and runtime directories.
"""

import os
import sys
from dataclasses import dataclass
from pathlib import Path

APP = "agentd"
CONFIG_NAME = "agentd.toml"

# Environment overrides for the configuration layers: packaging and tests point these at
# their own files; an empty value switches that layer off.
USER_CONFIG_ENV = "AGENTD_CONFIG"
SYSTEM_CONFIG_ENV = "AGENTD_SYSTEM_CONFIG"
MANAGED_CONFIG_ENV = "AGENTD_MANAGED_CONFIG"


def is_privileged() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


@dataclass(frozen=True, slots=True)
class ConfigFiles:
    """The three config layers, lowest precedence first; None means the layer is off."""

    user: Path | None
    system: Path | None
    managed: Path | None


def _layer(env: str, default: Path) -> Path | None:
    value = os.environ.get(env)
    if value is None:
        return default
    return Path(value).expanduser() if value else None


def _user_dir(kind: str) -> Path:
    """A per-user platformdirs location. platformdirs is imported only when such a default is
    needed: `agentd hook` runs on every tool call and usually finds its paths in the config."""
    import platformdirs

    return Path(platformdirs.user_config_dir(APP) if kind == "config" else platformdirs.user_state_dir(APP))


def config_files(explicit_user: Path | None = None) -> ConfigFiles:
    """The config files in force: ``--config`` names the user layer when given."""
    if sys.platform == "darwin":
        system = Path("/Library/Application Support") / APP / CONFIG_NAME
        managed = Path("/Library/Managed Preferences/com.agentd.plist")
    else:
        system = Path("/etc") / APP / CONFIG_NAME
        managed = Path("/etc") / APP / "managed.toml"
    user = explicit_user
    if user is None and USER_CONFIG_ENV in os.environ:
        user = _layer(USER_CONFIG_ENV, Path())
    elif user is None:
        user = _user_dir("config") / CONFIG_NAME
    return ConfigFiles(
        user=user,
        system=_layer(SYSTEM_CONFIG_ENV, system),
        managed=_layer(MANAGED_CONFIG_ENV, managed),
    )


def default_state_dir() -> Path:
    if is_privileged():
        if sys.platform == "darwin":
            return Path("/Library/Application Support") / APP / "state"
        return Path("/var/lib") / APP
    return _user_dir("state")


def default_run_dir() -> Path:
    if is_privileged():
        if sys.platform == "darwin":
            return Path("/var/run") / APP
        return Path("/run") / APP
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and sys.platform != "darwin":
        return Path(runtime) / APP
    return default_state_dir() / "run"
