import json
from pathlib import Path

from tests.support.agentd_env import make_home


def test_not_running_exits_3_with_a_clear_message(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    result = home.run("status")
    assert result.returncode == 3
    assert "agentd is not running" in result.stdout
    assert "agentd run" in result.stdout


def test_not_running_json(tmp_path: Path) -> None:
    result = make_home(tmp_path).run("status", "--json")
    assert result.returncode == 3
    assert json.loads(result.stdout)["state"] == "stopped"


def test_running_daemon_reports_the_documented_keys(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    with home.start_daemon() as daemon:
        result = home.run("status", "--json")
        assert result.returncode == 0, result.stderr
        snapshot = json.loads(result.stdout)
        assert snapshot["state"] == "running"
        assert snapshot["pid"] == daemon.process.pid
        for section, key in (
            ("proxy", "listen"),
            ("policy", "version"),
            ("spool", "depth"),
            ("collector", "state"),
        ):
            assert key in snapshot[section]
        human = home.run("status")
        assert human.returncode == 0
        assert "agentd is running" in human.stdout
        assert daemon.stop() == 0


def test_a_socket_that_answers_garbage_is_unknown(tmp_path: Path) -> None:
    import socket
    import threading

    home = make_home(tmp_path)
    home.run_dir.mkdir(parents=True)
    path = home.run_dir / "control.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen(1)

    def answer() -> None:
        conn, _ = server.accept()
        conn.recv(1024)
        conn.sendall(b'{"ok": false, "error": "broken"}\n')
        conn.close()

    thread = threading.Thread(target=answer)
    thread.start()
    try:
        result = home.run("status")
    finally:
        thread.join()
        server.close()
    assert result.returncode == 4
    assert "unknown" in result.stdout
