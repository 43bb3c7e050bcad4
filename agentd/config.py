"""Settings: pydantic models and the layered loader (defaults < user < system < managed).

A key set in the managed (MDM) file cannot be overridden by the user or system file, and
every effective value remembers which file set it. A bad value names the file, the key,
the value and what was expected.
"""

import plistlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from agentd.errors import ConfigError
from agentd.events import CaptureLevel, PolicyMode
from agentd.paths import ConfigFiles, default_run_dir, default_state_dir


class Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PathsSettings(Section):
    state_dir: Path = Field(default_factory=default_state_dir)
    run_dir: Path = Field(default_factory=default_run_dir)

    @property
    def spool(self) -> Path:
        return self.state_dir / "spool.sqlite3"

    @property
    def ca_dir(self) -> Path:
        return self.state_dir / "ca"

    @property
    def keys_dir(self) -> Path:
        return self.state_dir / "keys"

    @property
    def control_socket(self) -> Path:
        return self.run_dir / "control.sock"


class ProxyMode(StrEnum):
    REGULAR = "regular"
    LOCAL = "local"
    UPSTREAM = "upstream"


class ProxySettings(Section):
    enabled: bool = True
    listen_host: str = "127.0.0.1"
    listen_port: Annotated[int, Field(ge=0, le=65535)] = 8899
    mode: ProxyMode = ProxyMode.REGULAR
    upstream_proxy: str | None = Field(default=None, description="for mode = upstream")
    local_processes: str | None = Field(default=None, description="for mode = local: spec")
    intercept_hosts: tuple[str, ...] = ()
    upstream_ca: Path | None = None
    max_body_bytes: Annotated[int, Field(gt=0)] = 64 * 1024 * 1024


class CollectorSettings(Section):
    url: str | None = None
    token: SecretStr | None = None
    ca: Path | None = None
    client_cert: Path | None = None
    client_key: Path | None = None
    batch_max_events: Annotated[int, Field(gt=0)] = 500
    batch_max_bytes: Annotated[int, Field(gt=0)] = 1024 * 1024
    batch_max_age_seconds: Annotated[float, Field(gt=0)] = 2.0
    heartbeat_seconds: Annotated[float, Field(gt=0)] = 60.0
    policy_poll_seconds: Annotated[float, Field(gt=0)] = 60.0


class FailMode(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class PolicySettings(Section):
    mode: PolicyMode = PolicyMode.ENFORCE
    fail_mode: FailMode = FailMode.OPEN
    production_patterns: tuple[str, ...] = ("prod", "production", "prd", "live")


class CaptureSettings(Section):
    level: CaptureLevel = CaptureLevel.REDACTED


class SpoolSettings(Section):
    max_bytes: Annotated[int, Field(gt=0)] = 512 * 1024 * 1024
    retention_days: Annotated[int, Field(ge=0)] = 7


class WatchSettings(Section):
    enabled: bool = True
    credential_paths: tuple[str, ...] = ()
    project_roots: tuple[str, ...] = ()
    env_depth: Annotated[int, Field(ge=0, le=10)] = 3
    process_interval_seconds: Annotated[float, Field(gt=0)] = 5.0


class LogSettings(Section):
    level: Literal["debug", "info", "warning", "error"] = "info"


class Settings(Section):
    paths: PathsSettings = PathsSettings()
    proxy: ProxySettings = ProxySettings()
    collector: CollectorSettings = CollectorSettings()
    policy: PolicySettings = PolicySettings()
    capture: CaptureSettings = CaptureSettings()
    spool: SpoolSettings = SpoolSettings()
    watch: WatchSettings = WatchSettings()
    log: LogSettings = LogSettings()


DEFAULT_ORIGIN = "default"


@dataclass(frozen=True, slots=True)
class LoadedSettings:
    """Effective settings, the origin of each dotted key, and the keys MDM locked."""

    settings: Settings
    origins: Mapping[str, str]
    locked: frozenset[str]

    def origin(self, key: str) -> str:
        return self.origins.get(key, DEFAULT_ORIGIN)


def _read_layer(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        data = plistlib.loads(raw) if path.suffix == ".plist" else tomllib.loads(raw.decode())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, plistlib.InvalidFileException) as exc:
        raise ConfigError(f"{path}: not valid {path.suffix.lstrip('.') or 'toml'}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a table of sections at the top level")
    return data


def _flatten(data: Mapping[str, Any], path: Path) -> dict[str, Any]:
    """``{"proxy": {"listen_port": 1}}`` -> ``{"proxy.listen_port": 1}``, checking the shape."""
    flat: dict[str, Any] = {}
    for section, values in data.items():
        if section not in Settings.model_fields:
            raise ConfigError(f"{path}: unknown section [{section}]")
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: [{section}] must be a table, got {values!r}")
        for key, value in values.items():
            flat[f"{section}.{key}"] = value
    return flat


def load(files: ConfigFiles) -> LoadedSettings:
    """Merge the layers and validate; ConfigError names the file, key, value and expectation."""
    merged: dict[str, Any] = {}
    origins: dict[str, str] = {}
    locked: frozenset[str] = frozenset()
    for path, is_managed in ((files.user, False), (files.system, False), (files.managed, True)):
        if path is None:
            continue
        layer = _flatten(_read_layer(path), path)
        merged.update(layer)
        origins.update(dict.fromkeys(layer, str(path)))
        if is_managed:
            locked = frozenset(layer)
    nested: dict[str, dict[str, Any]] = {}
    for dotted, value in merged.items():
        section, key = dotted.split(".", 1)
        nested.setdefault(section, {})[key] = value
    try:
        settings = Settings.model_validate(nested)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, merged, origins)) from None
    return LoadedSettings(settings=settings, origins=origins, locked=locked)


def _explain(exc: ValidationError, merged: Mapping[str, Any], origins: Mapping[str, str]) -> str:
    lines = []
    for error in exc.errors():
        dotted = ".".join(str(part) for part in error["loc"][:2])
        origin = origins.get(dotted, DEFAULT_ORIGIN)
        shown = "<hidden>" if dotted == "collector.token" else repr(merged.get(dotted))
        expected = error["msg"]
        if error["type"] == "extra_forbidden":
            expected = "a known key (see `agentd config show`)"
        lines.append(f"{origin}: {dotted} = {shown}: expected {expected}")
    return "; ".join(lines)


def effective(loaded: LoadedSettings) -> list[tuple[str, Any, str, bool]]:
    """Every setting as (dotted key, JSON-ready value with secrets masked, origin, locked)."""
    rows = []
    dumped = loaded.settings.model_dump(mode="json")
    for section, values in dumped.items():
        for key, value in values.items():
            dotted = f"{section}.{key}"
            rows.append((dotted, value, loaded.origin(dotted), dotted in loaded.locked))
    return rows
