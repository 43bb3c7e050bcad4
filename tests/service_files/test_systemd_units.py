"""systemd units: `systemd-analyze verify` accepts them, and they say what the daemon needs."""

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.support.units import parse_unit

REPO = Path(__file__).resolve().parents[2]
SYSTEM_UNIT = REPO / "systemd" / "agentd.service"
USER_UNIT = REPO / "systemd" / "agentd-user.service"


def _verify_output(result: "subprocess.CompletedProcess[str]", unit: str) -> str:
    # verify exits 0 on unknown keys or unparsable values and only warns: a clean unit is
    # one it has nothing to say about.
    return "\n".join(line for line in result.stderr.splitlines() if unit in line or "Unknown" in line)


def test_the_system_unit_verifies(tmp_path: Path) -> None:
    # An alternate root with this machine's unit library and the files the unit names.
    root = tmp_path / "root"
    shutil.copytree("/lib/systemd/system", root / "lib" / "systemd" / "system", symlinks=True)
    (root / "etc" / "systemd" / "system").mkdir(parents=True)
    shutil.copy(SYSTEM_UNIT, root / "etc" / "systemd" / "system" / "agentd.service")
    unit = parse_unit(SYSTEM_UNIT)
    for command in (unit["Service.ExecStart"][0], unit["Service.ExecStartPost"][0].lstrip("+")):
        program = root / command.split()[0].lstrip("/")
        program.parent.mkdir(parents=True, exist_ok=True)
        program.write_text("#!/bin/sh\n")
        program.chmod(0o755)
    result = subprocess.run(
        ["systemd-analyze", "verify", f"--root={root}", "agentd.service"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert _verify_output(result, "agentd.service") == ""


def test_the_user_unit_verifies(tmp_path: Path) -> None:
    runtime = tmp_path / "xdg"
    runtime.mkdir(mode=0o700)
    result = subprocess.run(
        ["systemd-analyze", "--user", "verify", str(USER_UNIT)],
        capture_output=True,
        text=True,
        env={"XDG_RUNTIME_DIR": str(runtime), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert _verify_output(result, "agentd-user.service") == ""


def test_verify_catches_a_broken_unit(tmp_path: Path) -> None:
    broken = tmp_path / "broken.service"
    broken.write_text(USER_UNIT.read_text().replace("Restart=always", "Restart=sometimes"))
    runtime = tmp_path / "xdg"
    runtime.mkdir(mode=0o700)
    result = subprocess.run(
        ["systemd-analyze", "--user", "verify", str(broken)],
        capture_output=True,
        text=True,
        env={"XDG_RUNTIME_DIR": str(runtime), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        check=False,
    )
    assert "sometimes" in _verify_output(result, "broken.service")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("Service.Type", "notify"),
        ("Service.Restart", "always"),
        ("Service.User", "agentd"),
        ("Service.ExecStart", "/usr/bin/agentd run"),
        ("Service.ProtectSystem", "strict"),
        ("Service.NoNewPrivileges", "yes"),
        ("Service.StateDirectory", "agentd"),
        ("Service.RuntimeDirectory", "agentd"),
        ("Service.MemoryMax", "512M"),
        ("Service.CPUQuota", "100%"),
        ("Service.UMask", "0077"),
        ("Install.WantedBy", "multi-user.target"),
    ],
)
def test_system_unit_settings(key: str, value: str) -> None:
    assert parse_unit(SYSTEM_UNIT)[key] == [value]


def test_the_sandbox_leaves_the_configured_directories_writable() -> None:
    unit = parse_unit(SYSTEM_UNIT)
    writable = unit["Service.ReadWritePaths"][0].split()
    config = tomllib.loads((REPO / "installers" / "linux" / "agentd.toml").read_text())
    assert config["paths"]["state_dir"] in writable
    assert config["paths"]["run_dir"] in writable
    assert f"/var/lib/{unit['Service.StateDirectory'][0]}" == config["paths"]["state_dir"]
    assert f"/run/{unit['Service.RuntimeDirectory'][0]}" == config["paths"]["run_dir"]


def test_the_user_unit_runs_agentd_with_readiness() -> None:
    unit = parse_unit(USER_UNIT)
    assert unit["Service.Type"] == ["notify"]
    assert unit["Service.Restart"] == ["always"]
    assert unit["Service.ExecStart"][0].endswith("agentd run")
    assert unit["Install.WantedBy"] == ["default.target"]
    assert "Service.User" not in unit


def test_the_command_the_units_run_exists() -> None:
    from agentd.cli.app import app

    assert "run" in {command.name for command in app.registered_commands}
