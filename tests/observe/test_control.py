"""The control server answers every request, however malformed, and stays up."""

import asyncio
from pathlib import Path
from typing import Any

import pytest

from agentd.errors import DaemonNotRunning
from agentd.observe.client import ControlError, call
from agentd.observe.control import ControlServer


async def _raw_exchange(path: Path, payload: bytes) -> bytes:
    reader, writer = await asyncio.open_unix_connection(str(path))
    writer.write(payload)
    await writer.drain()
    line = await reader.readline()
    writer.close()
    return line


@pytest.fixture
async def server(tmp_path: Path):  # type: ignore[no-untyped-def]
    control = ControlServer(tmp_path / "run" / "c.sock")

    async def echo(args: dict[str, Any]) -> Any:
        return args

    async def boom(args: dict[str, Any]) -> Any:
        raise RuntimeError("secret-looking detail that must not leak")

    control.register("echo", echo)
    control.register("boom", boom)
    task = asyncio.get_running_loop().create_task(control.serve())
    await control.ready.wait()
    yield control
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not control.path.exists()


async def test_round_trip_through_the_sync_client(server: ControlServer) -> None:
    result = await asyncio.to_thread(call, server.path, "echo", a=1, b="two")
    assert result == {"a": 1, "b": "two"}
    assert server.path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (b"not json\n", "not a JSON object"),
        (b"[1, 2]\n", "not a JSON object"),
        (b'{"op": "nope"}\n', "unknown op 'nope'"),
        (b'{"op": 5}\n', "unknown op 5"),
        (b'{"op": "boom"}\n', "boom failed: RuntimeError"),
    ],
)
async def test_malformed_requests_get_an_error_and_the_server_stays_up(
    server: ControlServer, payload: bytes, error: str
) -> None:
    reply = await _raw_exchange(server.path, payload)
    assert error in reply.decode()
    assert "secret-looking" not in reply.decode()
    assert await asyncio.to_thread(call, server.path, "echo", ok=True) == {"ok": True}


async def test_oversized_request_drops_only_that_connection(server: ControlServer) -> None:
    try:
        reply = await _raw_exchange(server.path, b"x" * (9 * 1024 * 1024) + b"\n")
    except ConnectionResetError:
        reply = b"request too large (the reset raced the reply)"
    assert b"request too large" in reply
    assert await asyncio.to_thread(call, server.path, "echo") == {}


async def test_handler_error_surfaces_as_control_error(server: ControlServer) -> None:
    with pytest.raises(ControlError, match="boom failed"):
        await asyncio.to_thread(call, server.path, "boom")


def test_no_socket_means_not_running(tmp_path: Path) -> None:
    with pytest.raises(DaemonNotRunning, match="not running"):
        call(tmp_path / "absent.sock", "status")
