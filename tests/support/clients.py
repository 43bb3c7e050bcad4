"""Clients that reach upstreams through the proxy: plain sockets, ssl and wsproto, so a test
sees exactly the bytes the proxy forwarded, chunk by chunk as they arrive."""

import asyncio
import contextlib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass

import wsproto
import wsproto.events
import wsproto.utilities


def tunnel(proxy_port: int, host: str, port: int, timeout: float = 30) -> socket.socket:
    """A socket through the proxy's CONNECT to host:port (the agent's side of a tunnel)."""
    sock = socket.create_connection(("127.0.0.1", proxy_port), timeout=timeout)
    sock.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("proxy closed the CONNECT")
        head += chunk
    status = head.split(b"\r\n", 1)[0]
    if b" 200" not in status:
        raise ConnectionError(f"CONNECT refused: {status!r}")
    return sock


def tls_through(
    proxy_port: int, host: str, port: int, context: ssl.SSLContext, server_hostname: str | None = None
) -> ssl.SSLSocket:
    """TLS to host:port inside a CONNECT tunnel, verified with ``context``."""
    return context.wrap_socket(tunnel(proxy_port, host, port), server_hostname=server_hostname or host)


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes  # de-chunked, exactly as the proxy forwarded it


class Connection:
    """An HTTP/1.1 keep-alive connection on ``sock`` (one request at a time)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader = sock.makefile("rb")

    def request(
        self,
        method: str,
        host: str,
        path: str,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        on_chunk: Callable[[bytes], None] | None = None,
    ) -> RawResponse:
        """Send one request; ``on_chunk`` sees each body chunk as it arrives."""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        reader = self.reader
        status = int(reader.readline().split()[1])
        response_headers: dict[str, str] = {}
        while (line := reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            response_headers[name.strip().lower()] = value.strip()
        out = bytearray()
        if response_headers.get("transfer-encoding", "").lower() == "chunked":
            while size := int(reader.readline().split(b";")[0], 16):
                chunk = reader.read(size)
                reader.readline()
                out += chunk
                if on_chunk:
                    on_chunk(chunk)
            reader.readline()
        elif "content-length" in response_headers:
            out += reader.read(int(response_headers["content-length"]))
            if on_chunk and out:
                on_chunk(bytes(out))
        else:
            while chunk := reader.read1(65536):
                out += chunk
                if on_chunk:
                    on_chunk(chunk)
        return RawResponse(status, response_headers, bytes(out))

    def close(self) -> None:
        self.reader.close()
        self.sock.close()


def http_request(
    sock: socket.socket,
    method: str,
    host: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    on_chunk: Callable[[bytes], None] | None = None,
) -> RawResponse:
    """One request on ``sock`` (see Connection.request)."""
    return Connection(sock).request(method, host, path, body, headers, on_chunk)


class WebSocketClient:
    """A minimal RFC 6455 client (wsproto) over an already-connected socket."""

    def __init__(self, sock: socket.socket, host: str, path: str) -> None:
        self.sock = sock
        self.connection = wsproto.WSConnection(wsproto.ConnectionType.CLIENT)
        sock.sendall(self.connection.send(wsproto.events.Request(host=host, target=path)))
        for event in self._events():
            if isinstance(event, wsproto.events.AcceptConnection):
                return
            if isinstance(event, wsproto.events.RejectConnection):
                raise ConnectionError(f"WebSocket upgrade refused: {event.status_code}")

    def send(self, text: str) -> None:
        self.sock.sendall(self.connection.send(wsproto.events.Message(data=text)))

    def receive(self, count: int) -> list[str]:
        """The next ``count`` text messages."""
        received: list[str] = []
        while len(received) < count:
            for event in self._events():
                if isinstance(event, wsproto.events.TextMessage):
                    received.append(str(event.data))
        return received

    def close(self) -> None:
        with contextlib.suppress(OSError, wsproto.utilities.LocalProtocolError):
            self.sock.sendall(self.connection.send(wsproto.events.CloseConnection(code=1000)))
        self.sock.close()

    def _events(self) -> list[wsproto.events.Event]:
        while True:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("WebSocket closed")
            self.connection.receive_data(data)
            events = list(self.connection.events())
            if events:
                return events


def in_thread[T](function: Callable[[], T]) -> "asyncio.Future[T]":
    """Run blocking client code while the proxy keeps serving in this loop."""
    return asyncio.ensure_future(asyncio.to_thread(function))
