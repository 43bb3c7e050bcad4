import asyncio
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentd.clock import SystemClock
from agentd.deploy import notify


@pytest.fixture
def manager(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    """A datagram socket standing where systemd's notify socket would be."""
    path = f"/tmp/agentd-notify-{os.getpid()}-{abs(hash(tmp_path)) % 10**8}.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(5)
    try:
        yield sock, path
    finally:
        sock.close()
        os.unlink(path)


def test_ready_sends_ready_and_mainpid(manager: tuple[socket.socket, str]) -> None:
    sock, path = manager
    assert notify.ready("proxy on 127.0.0.1:8899", {"NOTIFY_SOCKET": path})
    fields = dict(line.split("=", 1) for line in sock.recv(4096).decode().splitlines())
    assert fields == {"READY": "1", "MAINPID": str(os.getpid()), "STATUS": "proxy on 127.0.0.1:8899"}


def test_stopping_and_status(manager: tuple[socket.socket, str]) -> None:
    sock, path = manager
    assert notify.stopping({"NOTIFY_SOCKET": path})
    assert sock.recv(4096) == b"STOPPING=1"
    assert notify.status("draining", {"NOTIFY_SOCKET": path})
    assert sock.recv(4096) == b"STATUS=draining"


def test_abstract_namespace_socket() -> None:
    name = f"agentd-test-{os.getpid()}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(b"\0" + name.encode())
    sock.settimeout(5)
    with sock:
        assert notify.ready(environ={"NOTIFY_SOCKET": "@" + name})
        assert sock.recv(4096).startswith(b"READY=1\n")


@pytest.mark.parametrize(
    "value",
    ["", "relative/path.sock", "vsock:2:1234", "/nonexistent/dir/notify.sock"],
)
def test_without_a_usable_manager_every_call_is_a_quiet_no_op(value: str) -> None:
    assert notify.ready(environ={"NOTIFY_SOCKET": value}) is False
    assert notify.stopping(environ={}) is False


def test_reads_the_process_environment_by_default(
    manager: tuple[socket.socket, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sock, path = manager
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    assert notify.status("hello")
    assert sock.recv(4096) == b"STATUS=hello"


async def test_the_notifier_reports_ready_once_the_daemon_serves_and_stopping_on_cancel(
    manager: tuple[socket.socket, str],
) -> None:
    sock, path = manager
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    polls: list[int] = []

    def readiness() -> str | None:
        polls.append(1)
        return "proxy on 127.0.0.1:8899" if len(polls) >= 3 else None

    notifier = notify.ServiceNotifier(
        readiness, SystemClock(), environ={"NOTIFY_SOCKET": path}, interval=0.001
    )
    task = asyncio.get_running_loop().create_task(notifier.serve())
    message = await asyncio.wait_for(loop.sock_recv(sock, 4096), 10)
    assert b"READY=1" in message
    assert b"STATUS=proxy on 127.0.0.1:8899" in message
    assert len(polls) == 3
    assert notifier.statistics() == {"manager": "systemd", "ready_sent": True}
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.wait_for(loop.sock_recv(sock, 4096), 10) == b"STOPPING=1"


async def test_without_a_manager_the_notifier_idles_until_cancelled() -> None:
    def readiness() -> str | None:
        raise AssertionError("nobody to tell: readiness is never asked")

    notifier = notify.ServiceNotifier(readiness, SystemClock(), environ={})
    task = asyncio.get_running_loop().create_task(notifier.serve())
    await asyncio.sleep(0)
    assert not task.done()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert notifier.statistics() == {"manager": None, "ready_sent": False}
