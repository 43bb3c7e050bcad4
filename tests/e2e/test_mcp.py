"""The official `mcp` SDK's client and FastMCP server over Streamable HTTP (TLS, loopback)
through a real `agentd run`: tools/list becomes tool definitions, tools/call a tool call and
its result, in JSON and SSE answers, with and without an Mcp-Session-Id."""

import json
import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from mcp import ClientSession, types
from mcp.client.streamable_http import streamable_http_client

from tests.support.agentd_env import RunningDaemon, make_home, wait_until
from tests.support.upstreams import McpServer, Pki, make_pki, trust_upstreams

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory, pki: Pki) -> Iterator[RunningDaemon]:
    home = make_home(tmp_path_factory.mktemp("home"))
    trust_upstreams(home.config, pki)  # the MCP server's host is added to intercept_hosts
    home.write_config('[policy]\nmode = "monitor"\n')  # capture is under test here, not policy
    with home.start_daemon() as running:
        yield running
        assert running.stop() == 0, running.stderr


def all_events(daemon: RunningDaemon) -> list[dict[str, Any]]:
    shown = daemon.home.run("events", "--json", "--limit", "0")
    assert shown.returncode == 0, shown.stderr
    return [json.loads(line) for line in shown.stdout.splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("json_response", "stateless"),
    [(False, False), (True, False), (True, True)],
    ids=["sse-session", "json-session", "json-stateless"],
)
async def test_mcp_tools_list_and_call(
    daemon: RunningDaemon, pki: Pki, json_response: bool, stateless: bool
) -> None:
    city = f"Paris-{'json' if json_response else 'sse'}-{'stateless' if stateless else 'session'}"
    shown = daemon.home.run("env", "--agent", "claude-code", "--json")  # what an agent is told
    assert shown.returncode == 0, shown.stderr
    env = json.loads(shown.stdout)
    trust = ssl.create_default_context(cafile=env["NODE_EXTRA_CA_CERTS"])
    with McpServer(pki, json_response=json_response, stateless=stateless) as server:
        async with (
            httpx.AsyncClient(proxy=env["HTTPS_PROXY"], verify=trust, timeout=30) as http,
            streamable_http_client(server.url, http_client=http) as (read, write, session_id),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            listed = await session.list_tools()
            assert {t.name for t in listed.tools} == {"get_weather", "delete_file"}
            result = await session.call_tool("get_weather", {"city": city})
            assert isinstance(result.content[0], types.TextContent)
            assert result.content[0].text == f"18C and sunny in {city}"
            header_session = session_id()
    assert (header_session is None) is stateless

    found: dict[str, Any] = {}

    def recorded() -> bool:
        events = all_events(daemon)
        call = next((e for e in events if e["kind"] == "tool_call" and city in (e["input"] or "")), None)
        if call is None:
            return False
        mine = [e for e in events if e["session_id"] == call["session_id"]]
        found.update(call=call, events=mine)
        return any(e["kind"] == "tool_result" and e["call_id"] == call["call_id"] for e in mine)

    wait_until(recorded, 60, f"the MCP call for {city}", interval=0.25)
    call, events = found["call"], found["events"]
    assert call["tool"] == "get_weather"
    assert json.loads(call["input"]) == {"city": city}
    (output,) = [e for e in events if e["kind"] == "tool_result" and e["call_id"] == call["call_id"]]
    assert output["content"] == f"18C and sunny in {city}"
    assert output["is_error"] is False
    definitions = [t for e in events if e["kind"] == "tool_definitions_seen" for t in e["tools"]]
    assert {t["name"] for t in definitions} >= {"get_weather", "delete_file"}
    assert {t["description"] for t in definitions if t["name"] == "get_weather"} == {
        "Current weather for a city"
    }
    if header_session is not None:
        assert call["session_id"] == header_session  # the Mcp-Session-Id the server assigned
