from pathlib import Path

import pytest

from agentd.deploy.checklist import CHECKS, gather
from agentd.deploy.doctor import run


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "agentd.toml"
    path.write_text(f'[paths]\nstate_dir = "{tmp_path / "state"}"\nrun_dir = "{tmp_path / "run"}"\n')
    return path


def test_gather_loads_the_settings_and_finds_no_daemon(config: Path, tmp_path: Path) -> None:
    host = gather(config, environ={"AGENTD_BIN": "/usr/bin/agentd", "PATH": str(tmp_path)})
    assert host.config_error is None
    assert host.settings.paths.state_dir == tmp_path / "state"
    assert host.daemon is None
    assert list(host.agentd) == ["/usr/bin/agentd"]
    assert host.places.environ["PATH"] == str(tmp_path)


def test_a_bad_config_is_kept_as_the_error_and_defaults_stand_in(tmp_path: Path) -> None:
    bad = tmp_path / "agentd.toml"
    bad.write_text("[proxy]\nlisten_port = 'many'\n")
    host = gather(bad, environ={})
    assert host.loaded is None
    assert host.config_error is not None
    assert "proxy.listen_port" in host.config_error
    assert host.settings.proxy.listen_port == 8899


def test_every_check_reports_and_names_are_unique(config: Path, tmp_path: Path) -> None:
    results = run(gather(config, environ={"PATH": str(tmp_path)}), CHECKS)
    names = [r.name for r in results]
    assert len(names) == len(set(names))
    assert names[:4] == ["python", "dependencies", "config", "daemon"]
    for expected in ("port", "ca", "managed", "collector", "keys", "spool.disk", "watches"):
        assert expected in names
    assert not [r for r in results if "the check itself failed" in r.summary]
