"""A doctor Host built from real files under tmp_path: a home, a root prefix, a state dir."""

import dataclasses
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from agentd.config import LoadedSettings, PathsSettings, ProxySettings, Settings
from agentd.deploy.agents import Places
from agentd.deploy.doctor import Host

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

HostFactory = Callable[..., Host]


@pytest.fixture
def make_host(tmp_path: Path) -> HostFactory:
    """Host(…) with a private home/root/state under tmp_path; keyword arguments override fields.

    ``settings`` may be a dict of sections merged over the test defaults; ``environ`` defaults
    to a PATH holding nothing, so no agent on the machine running the tests is "installed".
    """

    def build(**overrides: Any) -> Host:
        home, root = tmp_path / "home", tmp_path / "root"
        home.mkdir(exist_ok=True)
        root.mkdir(exist_ok=True)
        run_dir = Path("/tmp") / f"agentd-doc-{os.getpid()}-{abs(hash(tmp_path)) % 10**8}"
        sections: dict[str, Any] = {
            "paths": PathsSettings(state_dir=tmp_path / "state", run_dir=run_dir).model_dump(),
            "proxy": ProxySettings(listen_port=18899).model_dump(),
        }
        for section, values in overrides.pop("settings", {}).items():
            sections[section] = {**sections.get(section, {}), **values}
        settings = Settings.model_validate(sections)
        empty_path = tmp_path / "empty-path"
        empty_path.mkdir(exist_ok=True)
        places = Places(
            home=home,
            root=root,
            platform=overrides.pop("platform", "linux"),
            environ=overrides.pop("environ", {"PATH": str(empty_path)}),
        )
        host = Host(
            settings=settings,
            loaded=LoadedSettings(settings=settings, origins={}, locked=frozenset()),
            config_error=None,
            places=places,
            agentd=["/usr/bin/agentd"],
            daemon=None,
            now=NOW,
            euid=os.geteuid(),
            system_unit=root / "lib" / "systemd" / "system" / "agentd.service",
        )
        return dataclasses.replace(host, **overrides)

    return build
