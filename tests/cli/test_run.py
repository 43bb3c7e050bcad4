import json
import signal
import socket
from pathlib import Path

import pytest

from tests.support.agentd_env import make_home
from tests.support.proxy import configure_proxy


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_run_stays_up_until_signalled_then_exits_0(tmp_path: Path, sig: int) -> None:
    home = make_home(tmp_path)
    with home.start_daemon() as daemon:
        assert daemon.process.poll() is None
        assert daemon.stop(sig) == 0
    socket_path = home.run_dir / "control.sock"
    assert not socket_path.exists(), "the control socket is removed on the way out"
    lines = [json.loads(line) for line in daemon.stderr.splitlines()]
    messages = [line["message"] for line in lines]
    assert messages[0] == "agentd starting"
    assert messages[-1] == "agentd stopped"


def test_state_dirs_and_socket_are_owner_only(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    with home.start_daemon() as daemon:
        assert (home.run_dir / "control.sock").stat().st_mode & 0o777 == 0o600
        assert home.state_dir.stat().st_mode & 0o777 == 0o700
        assert home.run_dir.stat().st_mode & 0o777 == 0o700
        assert daemon.stop() == 0


def test_a_taken_proxy_port_is_one_clear_line_and_exit_1(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    with socket.create_server(("127.0.0.1", 0)) as taken:
        configure_proxy(home.config, listen_port=taken.getsockname()[1])
        result = home.run("run", timeout=120)
    assert result.returncode == 1
    assert "agentd: proxy failed to start" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (home.run_dir / "control.sock").exists()
