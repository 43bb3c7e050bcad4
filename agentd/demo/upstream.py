"""The demo's local LLM provider: an HTTPS server on loopback answering Anthropic Messages
requests from the scripted model, streamed as server-sent events."""

import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from agentd.demo.model import answer, stream
from agentd.demo.pki import UpstreamPki

MAX_BODY = 16 * 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the demo prints what agentd saw, not an access log

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if not self.path.startswith("/v1/messages") or not 0 < length <= MAX_BODY:
            self._send(404, "application/json", b'{"type":"error","error":{"type":"not_found_error"}}')
            return
        try:
            request = json.loads(self.rfile.read(length))
        except ValueError:
            self._send(400, "application/json", b'{"type":"error","error":{"type":"invalid_request_error"}}')
            return
        self.server.upstream.count += 1
        blocks = answer(request, self.server.upstream.credentials_path)
        events = stream(blocks, str(request.get("model", "claude")), f"msg_demo_{self.server.upstream.count}")
        # Streamed like the real API: chunked, one event per chunk, no Content-Length.
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        for event in events:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
        self.wfile.write(b"0\r\n\r\n")

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    upstream: "LocalUpstream"


class LocalUpstream:
    """``with LocalUpstream(pki, path) as up:`` serves on ``up.port`` until the block ends."""

    def __init__(self, pki: UpstreamPki, credentials_path: str) -> None:
        self.credentials_path = credentials_path
        self.count = 0
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.upstream = self
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(pki.cert, pki.key)
        self._server.socket = context.wrap_socket(
            self._server.socket, server_side=True, do_handshake_on_connect=False
        )
        self._thread = threading.Thread(target=self._server.serve_forever, name="demo-upstream", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def __enter__(self) -> "LocalUpstream":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
