"""Acceptance: the email-participants rule, end to end through `agentd run`, with the official
`mcp` SDK (client and FastMCP server over Streamable HTTP and TLS).

The test server is new to this host, so the default `new-mcp-server` rule holds its first call
for approval: the test answers it the way a developer would, with `agentd approve ID` (the real
control-socket op), and retries the identical call.
"""

import json
import re
import socket
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import ClientSession, types
from mcp.client.streamable_http import streamable_http_client
from mcp.server.fastmcp import FastMCP

from agentd.capture.proxy.ca import CertificateAuthority
from tests.support.agentd_env import RunningDaemon, make_home, wait_until
from tests.support.upstreams import Pki, make_pki, trust_upstreams

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.filterwarnings("ignore::pydantic_settings.exceptions.IncompleteFieldDefinitionWarning"),
]

ALICE, BOB, CAROL = "alice@example.com", "bob@partner.example", "carol@elsewhere.example"
THREAD = f"From: {ALICE}\nTo: {BOB}\nSubject: contract\n\nBob, the signed contract is attached."


def serve_mail(cert: str, key: str, outbox: Path) -> None:
    """The mail MCP server (run in its own process, as a real one is): each message sent is a
    line in ``outbox``; prints its port once it listens."""
    import uvicorn

    server = FastMCP("mail", log_level="WARNING")

    @server.tool(description="Read an email thread from the user's mailbox")
    def read_thread(thread_id: str) -> str:
        return THREAD

    @server.tool(description="Send an email message")
    def send_email(to: str, subject: str, body: str) -> str:
        with outbox.open("a") as sent:
            sent.write(to + "\n")
        return f"sent to {to}"

    sock = socket.create_server(("127.0.0.1", 0))
    config = uvicorn.Config(
        server.streamable_http_app(), log_level="warning", ssl_certfile=cert, ssl_keyfile=key, lifespan="on"
    )
    print(sock.getsockname()[1], flush=True)
    uvicorn.Server(config).run(sockets=[sock])


@contextmanager
def mail_server(pki: Pki, outbox: Path) -> Iterator[str]:
    """The mail server's URL while it runs."""
    args = [sys.executable, "-m", "tests.e2e.test_enforcement_mcp", str(pki.cert), str(pki.key), str(outbox)]
    root = Path(__file__).resolve().parents[2]
    with subprocess.Popen(args, cwd=root, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        port = process.stdout.readline().strip()  # printed once it listens
        try:
            assert port.isdigit(), f"the mail server did not start: {port!r}"
            yield f"https://localhost:{port}/mcp"
        finally:
            process.terminate()


@pytest.fixture
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def daemon(tmp_path_factory: pytest.TempPathFactory, pki: Pki) -> Iterator[RunningDaemon]:
    home = make_home(tmp_path_factory.mktemp("home"))
    trust_upstreams(home.config, pki)
    with home.start_daemon() as running:
        yield running
        assert running.stop() == 0, running.stderr


@asynccontextmanager
async def mcp_session(daemon: RunningDaemon, url: str) -> AsyncIterator[ClientSession]:
    """A fresh MCP session (its own Mcp-Session-Id) through agentd's proxy."""
    listen = daemon.status()["proxy"]["listen"]
    trust = ssl.create_default_context(
        cafile=str(CertificateAuthority(daemon.home.state_dir / "ca").cert_path)
    )
    async with (
        httpx.AsyncClient(proxy=f"http://{listen}", verify=trust, timeout=30) as http,
        streamable_http_client(url, http_client=http) as (read, write, _),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        await session.list_tools()
        yield session


def text(result: types.CallToolResult) -> str:
    first = result.content[0]
    assert isinstance(first, types.TextContent)
    return first.text


async def send(session: ClientSession, to: str) -> types.CallToolResult:
    return await session.call_tool("send_email", {"to": to, "subject": "contract", "body": "see attached"})


def events(daemon: RunningDaemon, kind: str) -> list[dict[str, Any]]:
    shown = daemon.home.run("events", "--json", "--limit", "0", "--type", kind)
    assert shown.returncode == 0, shown.stderr
    return [json.loads(line) for line in shown.stdout.splitlines() if line.strip()]


async def test_mail_goes_only_to_the_participants_of_a_thread_read(daemon: RunningDaemon, pki: Pki) -> None:
    outbox = daemon.home.root / "outbox.txt"
    with mail_server(pki, outbox) as url:
        async with mcp_session(daemon, url) as session:
            held = await session.call_tool("read_thread", {"thread_id": "t-1"})
            assert held.isError
            assert "new-mcp-server" in text(held)
            match = re.search(r"agentd approve ([\w-]+)", text(held))
            assert match, text(held)
            approved = daemon.home.run("approve", match.group(1))
            assert approved.returncode == 0, approved.stderr

            thread = await session.call_tool("read_thread", {"thread_id": "t-1"})
            assert not thread.isError
            assert ALICE in text(thread)

            assert text(await send(session, ALICE)) == f"sent to {ALICE}"
            refused = await send(session, CAROL)
            assert refused.isError
            assert "email-participants" in text(refused)

        async with mcp_session(daemon, url) as fresh:
            assert text(await send(fresh, CAROL)) == f"sent to {CAROL}"

    assert outbox.read_text().split() == [ALICE, CAROL]

    def recorded() -> bool:
        return len([e for e in events(daemon, "tool_call") if e["tool"] == "send_email"]) == 3

    wait_until(recorded, 60, "the three send_email decisions")
    sends = [e for e in events(daemon, "tool_call") if e["tool"] == "send_email"]
    outcomes = [(json.loads(e["input"])["to"], e["decision"]["outcome"]) for e in sends]
    assert outcomes == [(ALICE, "allow"), (CAROL, "deny"), (CAROL, "allow")]
    assert sends[0]["session_id"] == sends[1]["session_id"] != sends[2]["session_id"]
    # Reading mail is reading untrusted content too: the lethal trifecta may join in.
    assert "email-participants" in sends[1]["decision"]["policy_ids"]
    assert {e["kind"] for e in events(daemon, "approval_granted")} == {"approval_granted"}


if __name__ == "__main__":
    serve_mail(sys.argv[1], sys.argv[2], Path(sys.argv[3]))
