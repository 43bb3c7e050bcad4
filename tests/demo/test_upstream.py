import http.client
import json
import ssl
from pathlib import Path

import pytest

from agentd.clock import SystemClock
from agentd.demo.agent import parse_stream
from agentd.demo.pki import make_pki
from agentd.demo.upstream import MAX_BODY, LocalUpstream


def _post(
    up: LocalUpstream, ca: Path, path: str, body: bytes, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    connection = http.client.HTTPSConnection(
        "localhost", up.port, context=ssl.create_default_context(cafile=str(ca)), timeout=10
    )
    try:
        connection.request("POST", path, body, headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_answers_messages_with_a_chunked_event_stream(tmp_path: Path) -> None:
    pki = make_pki(tmp_path, SystemClock().now())
    with LocalUpstream(pki, "/c") as up:
        status, raw = _post(
            up,
            pki.ca_cert,
            "/v1/messages",
            json.dumps({"messages": [{"role": "user", "content": "hi"}]}).encode(),
        )
    assert status == 200
    turn, _ = parse_stream(raw)
    assert turn.tool_calls[0]["input"] == {"file_path": "/c"}
    assert up.count == 1


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/v1/other", b"{}", 404),
        ("/v1/messages", b"", 404),
        ("/v1/messages", b"{not json", 400),
        ("/v1/messages", b"\xff\xfe", 400),
    ],
)
def test_refuses_what_it_does_not_speak(tmp_path: Path, path: str, body: bytes, status: int) -> None:
    pki = make_pki(tmp_path, SystemClock().now())
    with LocalUpstream(pki, "/c") as up:
        assert _post(up, pki.ca_cert, path, body)[0] == status
        assert up.count == 0


def test_a_huge_declared_body_is_refused_unread(tmp_path: Path) -> None:
    pki = make_pki(tmp_path, SystemClock().now())
    with LocalUpstream(pki, "/c") as up:
        connection = http.client.HTTPSConnection(
            "localhost", up.port, context=ssl.create_default_context(cafile=str(pki.ca_cert)), timeout=10
        )
        connection.putrequest("POST", "/v1/messages")
        connection.putheader("content-length", str(MAX_BODY + 1))
        connection.endheaders()
        assert connection.getresponse().status == 404
        connection.close()
