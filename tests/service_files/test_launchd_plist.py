"""The LaunchDaemon plist: parses, runs `agentd run`, restarts, logs, and limits itself."""

import plistlib
from pathlib import Path
from typing import Any

import pytest

PLIST = Path(__file__).resolve().parents[2] / "launchd" / "com.agentd.daemon.plist"


@pytest.fixture(scope="module")
def daemon() -> dict[str, Any]:
    loaded = plistlib.loads(PLIST.read_bytes())
    assert isinstance(loaded, dict)
    return loaded


def test_it_runs_agentd_run(daemon: dict[str, Any]) -> None:
    assert daemon["Label"] == "com.agentd.daemon"
    assert PLIST.name == f"{daemon['Label']}.plist"
    program = daemon["ProgramArguments"]
    assert Path(program[0]).name == "agentd"
    assert program[1:] == ["run"]


def test_it_stays_up_without_thrashing(daemon: dict[str, Any]) -> None:
    assert daemon["RunAtLoad"] is True
    assert daemon["KeepAlive"] is True
    assert daemon["ThrottleInterval"] >= 5
    assert daemon["ExitTimeOut"] >= 10


def test_logs_and_limits(daemon: dict[str, Any]) -> None:
    for key in ("StandardOutPath", "StandardErrorPath"):
        assert daemon[key].startswith("/Library/Logs/agentd/")
    assert daemon["SoftResourceLimits"]["NumberOfFiles"] <= daemon["HardResourceLimits"]["NumberOfFiles"]
    assert daemon["HardResourceLimits"]["ResidentSetSize"] > 0
    assert daemon["ProcessType"] in {"Standard", "Adaptive", "Interactive"}
    assert daemon["Umask"] == 0o077


def test_it_is_what_the_macos_package_installs() -> None:
    staged = Path(__file__).resolve().parents[2] / "installers" / "macos" / "build-pkg.sh"
    assert "launchd/com.agentd.daemon.plist" in staged.read_text()
