from pathlib import Path

import pytest

from agentd.errors import DaemonNotRunning
from agentd.observe.client import call


def test_a_stale_socket_file_is_not_running(tmp_path: Path) -> None:
    import socket

    path = tmp_path / "stale.sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.close()  # the file stays, nobody listens
    with pytest.raises(DaemonNotRunning):
        call(path, "status", timeout=1)
