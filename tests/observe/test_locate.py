import plistlib
from pathlib import Path

import pytest

from agentd.observe.locate import control_socket, peek, read_layer
from agentd.paths import ConfigFiles


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_the_highest_layer_wins(tmp_path: Path) -> None:
    user = _write(tmp_path / "user.toml", '[paths]\nrun_dir = "/u"\nstate_dir = "/us"\n')
    system = _write(tmp_path / "system.toml", '[paths]\nrun_dir = "/s"\n')
    managed = tmp_path / "managed.plist"
    managed.write_bytes(plistlib.dumps({"paths": {"run_dir": "/m"}}))
    files = ConfigFiles(user=user, system=system, managed=managed)
    assert peek(files, "paths", "run_dir") == "/m"
    assert peek(files, "paths", "state_dir") == "/us"
    assert peek(files, "proxy", "listen_port") is None
    assert peek(ConfigFiles(user=user, system=None, managed=None), "paths", "run_dir") == "/u"


@pytest.mark.parametrize(
    "content",
    [b"", b"not = [toml", b"\xff\xfe", b"paths = 3", b"[paths]\nrun_dir = 7\n", b"<plist>broken"],
)
def test_unreadable_or_odd_layers_are_skipped(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_bytes(content)
    good = _write(tmp_path / "good.toml", '[paths]\nrun_dir = "/good"\n')
    assert peek(ConfigFiles(user=good, system=bad, managed=None), "paths", "run_dir") in ("/good", 7)
    assert isinstance(read_layer(bad), dict)
    assert read_layer(tmp_path / "missing.toml") == {}


def test_control_socket_follows_the_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = _write(tmp_path / "agentd.toml", f'[paths]\nrun_dir = "{tmp_path}/run"\n')
    monkeypatch.setenv("AGENTD_SYSTEM_CONFIG", "")
    monkeypatch.setenv("AGENTD_MANAGED_CONFIG", "")
    assert control_socket(config) == tmp_path / "run" / "control.sock"
    monkeypatch.setenv("AGENTD_CONFIG", str(config))
    assert control_socket() == tmp_path / "run" / "control.sock"


def test_without_a_run_dir_the_default_applies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTD_SYSTEM_CONFIG", "")
    monkeypatch.setenv("AGENTD_MANAGED_CONFIG", "")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "xdg"))
    empty = _write(tmp_path / "empty.toml", "")
    from agentd.paths import default_run_dir

    assert control_socket(empty) == default_run_dir() / "control.sock"
