from pathlib import Path

import pytest

from agentd import paths


def test_env_overrides_and_switches_off_layers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(paths.SYSTEM_CONFIG_ENV, str(tmp_path / "s.toml"))
    monkeypatch.setenv(paths.MANAGED_CONFIG_ENV, "")
    files = paths.config_files(explicit_user=tmp_path / "u.toml")
    assert files == paths.ConfigFiles(user=tmp_path / "u.toml", system=tmp_path / "s.toml", managed=None)


def test_system_layout_when_privileged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paths, "is_privileged", lambda: True)
    monkeypatch.setattr(paths.sys, "platform", "linux")
    assert paths.default_state_dir() == Path("/var/lib/agentd")
    assert paths.default_run_dir() == Path("/run/agentd")
    monkeypatch.setattr(paths.sys, "platform", "darwin")
    assert paths.default_state_dir() == Path("/Library/Application Support/agentd/state")


def test_user_layout_when_unprivileged(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(paths, "is_privileged", lambda: False)
    monkeypatch.setattr(paths.sys, "platform", "linux")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    assert paths.default_run_dir() == tmp_path / "agentd"
    assert "agentd" in str(paths.default_state_dir())
