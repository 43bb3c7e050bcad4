"""A small synchronous client for the control socket; imports nothing heavy, so hooks stay fast."""

import socket
from pathlib import Path
from typing import Any

from agentd.errors import AgentdError, DaemonNotRunning
from agentd.observe.protocol import MAX_LINE, decode, encode


class ControlError(AgentdError):
    """The daemon answered, but with an error."""


def call(socket_path: Path, op: str, timeout: float = 5.0, **args: Any) -> Any:
    """Send one request and return its result; DaemonNotRunning when nothing answers."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        try:
            sock.connect(str(socket_path))
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            raise DaemonNotRunning(f"agentd is not running (no answer on {socket_path})") from exc
        except OSError as exc:
            raise DaemonNotRunning(f"cannot reach agentd on {socket_path}: {exc.strerror}") from exc
        try:
            sock.sendall(encode({"op": op, "args": args}))
            reply = _read_line(sock)
        except TimeoutError as exc:
            raise DaemonNotRunning(f"agentd did not answer within {timeout:g}s") from exc
        except OSError as exc:
            raise DaemonNotRunning(f"agentd closed the connection: {exc.strerror}") from exc
    finally:
        sock.close()
    message = decode(reply)
    if not message.get("ok"):
        raise ControlError(str(message.get("error", "unknown error")))
    return message.get("result")


def _read_line(sock: socket.socket) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            raise DaemonNotRunning("agentd closed the connection before answering")
        chunks.append(chunk)
        size += len(chunk)
        if b"\n" in chunk:
            return b"".join(chunks).split(b"\n", 1)[0]
        if size > MAX_LINE:
            raise ControlError("control reply too large")
