"""The official `anthropic` and `openai` SDKs (and Gemini's request shapes) through a real
`agentd run` to local TLS upstreams: a tool call and its result, streamed and not, recorded as
events in the right session and attributed to this process."""

import json
import os
import ssl
from collections.abc import Callable, Iterator
from typing import Any

import anthropic
import httpx2
import openai
import pytest

from tests.support.agentd_env import RunningDaemon, make_home, wait_until
from tests.support.upstreams import (
    Pki,
    Recorded,
    Reply,
    Text,
    ToolUse,
    Upstream,
    anthropic_events,
    anthropic_message,
    gemini_chunks,
    gemini_response,
    make_pki,
    openai_chat_chunks,
    openai_chat_completion,
    openai_response,
    openai_response_events,
    trust_upstreams,
)

pytestmark = pytest.mark.e2e

EVERY_KIND = {
    "session_started",
    "user_prompt",
    "tool_definitions_seen",
    "tool_call",
    "tool_result",
    "model_response",
}
WEATHER_SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory, pki: Pki) -> Iterator[RunningDaemon]:
    home = make_home(tmp_path_factory.mktemp("home"))
    trust_upstreams(home.config, pki)
    home.write_config('[policy]\nmode = "monitor"\n')  # capture is under test here, not policy
    with home.start_daemon() as running:
        yield running
        assert running.stop() == 0, running.stderr


def agent_env(daemon: RunningDaemon) -> dict[str, str]:
    """What `agentd env` tells an agent: the proxy URL and the CA file to trust."""
    shown = daemon.home.run("env", "--agent", "claude-code", "--json")
    assert shown.returncode == 0, shown.stderr
    env: dict[str, str] = json.loads(shown.stdout)
    return env


def http_client(daemon: RunningDaemon) -> httpx2.Client:
    """An SDK transport configured from `agentd env` (and trusting agentd's CA only)."""
    env = agent_env(daemon)
    trust = ssl.create_default_context(cafile=env["NODE_EXTRA_CA_CERTS"])
    return httpx2.Client(proxy=env["HTTPS_PROXY"], verify=trust, timeout=60)


def session_events(daemon: RunningDaemon, prompt: str, kinds: set[str]) -> list[dict[str, Any]]:
    """The events of the session whose user prompt was ``prompt``, once all ``kinds`` are in."""
    found: list[dict[str, Any]] = []

    def ready() -> bool:
        shown = daemon.home.run("events", "--json", "--limit", "0")
        assert shown.returncode == 0, shown.stderr
        rows = [json.loads(line) for line in shown.stdout.splitlines() if line.strip()]
        session = next(
            (r["session_id"] for r in rows if r["kind"] == "user_prompt" and r["text"] == prompt), None
        )
        found[:] = [r for r in rows if session is not None and r["session_id"] == session]
        return kinds <= {r["kind"] for r in found}

    wait_until(ready, 60, f"{sorted(kinds)} for {prompt!r}", interval=0.25)
    return found


def only(events: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    matching = [e for e in events if e["kind"] == kind]
    assert len(matching) == 1, matching
    return matching[0]


def check_session(
    events: list[dict[str, Any]], prompt: str, tool: str, call_id: str, arguments: Any, result: str
) -> None:
    """One prompt, the tool offered, one call with its arguments, its result joined by call id,
    all from this process."""
    assert [e["text"] for e in events if e["kind"] == "user_prompt"] == [prompt]  # resent turn: not again
    offered = {t["name"] for e in events if e["kind"] == "tool_definitions_seen" for t in e["tools"]}
    assert tool in offered
    call = only(events, "tool_call")
    assert (call["tool"], call["call_id"]) == (tool, call_id)
    assert json.loads(call["input"]) == arguments
    output = only(events, "tool_result")
    assert (output["call_id"], output["content"]) == (call_id, result)
    assert output["tool"] == tool
    responses = [e for e in events if e["kind"] == "model_response"]
    assert [r["call_ids"] for r in responses] == [[call_id], []]
    assert {e["agent"]["pid"] for e in events} == {os.getpid()}
    assert {e["source"] for e in events} == {"proxy"}


def two_turns(
    first: list[Any], final: list[Any], answered: Callable[[Recorded], bool]
) -> Callable[[Recorded], Any]:
    """A script: ``first`` until the request carries the tool's result, then ``final``."""

    def script(request: Recorded) -> Any:
        return final if answered(request) else first

    return script


# --- Anthropic ------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_anthropic_sdk(daemon: RunningDaemon, pki: Pki, stream: bool) -> None:
    prompt = f"anthropic {'sse' if stream else 'json'}: list /srv"
    call = ToolUse(f"toolu_sdk_{int(stream)}", "Bash", {"command": "ls -la /srv"})

    def script(request: Recorded) -> Reply:
        messages = request.json()["messages"]
        done = any(b.get("type") == "tool_result" for b in messages[-1]["content"] if isinstance(b, dict))
        blocks = [Text("Two files.")] if done else [Text("Listing."), call]
        return Reply.sse(anthropic_events(blocks)) if stream else Reply.json(anthropic_message(blocks))

    tools: Any = [{"name": "Bash", "description": "Run a shell command", "input_schema": {"type": "object"}}]
    messages: list[Any] = [{"role": "user", "content": prompt}]
    with Upstream(script, pki) as upstream, http_client(daemon) as http:
        client = anthropic.Anthropic(
            api_key="test-key", base_url=upstream.url, http_client=http, max_retries=0
        )

        def ask() -> anthropic.types.Message:
            if stream:
                with client.messages.stream(
                    model="claude-test", max_tokens=100, messages=messages, tools=tools
                ) as s:
                    return s.get_final_message()
            return client.messages.create(model="claude-test", max_tokens=100, messages=messages, tools=tools)

        first = ask()
        assert first.stop_reason == "tool_use"
        use = first.content[1]
        assert isinstance(use, anthropic.types.ToolUseBlock)
        assert use.input == call.input
        messages.append(
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Listing."},
                    {"type": "tool_use", "id": use.id, "name": use.name, "input": use.input},
                ],
            }
        )
        messages.append(
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "a.txt\nb.txt"}],
            }
        )
        second = ask()
        assert second.content[0].type == "text"
        assert second.content[0].text == "Two files."
    events = session_events(daemon, prompt, EVERY_KIND)
    check_session(events, prompt, "Bash", call.id, call.input, "a.txt\nb.txt")
    assert only(events, "session_started")["dialect"] == "anthropic"


# --- OpenAI Chat Completions ------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_openai_chat_completions_sdk(daemon: RunningDaemon, pki: Pki, stream: bool) -> None:
    prompt = f"chat {'sse' if stream else 'json'}: weather in Paris?"
    call = ToolUse(f"call_sdk_{int(stream)}", "get_weather", {"city": "Paris"})

    def script(request: Recorded) -> Reply:
        done = request.json()["messages"][-1]["role"] == "tool"
        blocks = [Text("It is 18C.")] if done else [call]
        if stream:
            return Reply.sse(openai_chat_chunks(blocks))
        return Reply.json(openai_chat_completion(blocks))

    tools: Any = [{"type": "function", "function": {"name": "get_weather", "parameters": WEATHER_SCHEMA}}]
    messages: list[Any] = [{"role": "system", "content": "You help."}, {"role": "user", "content": prompt}]
    with Upstream(script, pki) as upstream, http_client(daemon) as http:
        client = openai.OpenAI(
            api_key="test-key", base_url=upstream.url + "/v1", http_client=http, max_retries=0
        )

        def ask() -> Any:
            if stream:
                with client.chat.completions.stream(model="gpt-test", messages=messages, tools=tools) as s:
                    return s.get_final_completion().choices[0]
            return client.chat.completions.create(model="gpt-test", messages=messages, tools=tools).choices[0]

        first = ask()
        assert first.finish_reason == "tool_calls"
        (tool_call,) = first.message.tool_calls or []
        assert json.loads(tool_call.function.arguments) == call.input
        messages.append(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": tool_call.id,
                        "type": "function",
                        "function": {
                            "name": tool_call.function.name,
                            "arguments": tool_call.function.arguments,
                        },
                    }
                ],
            }
        )
        messages.append({"role": "tool", "tool_call_id": tool_call.id, "content": "18C"})
        assert ask().message.content == "It is 18C."
    events = session_events(daemon, prompt, EVERY_KIND)
    check_session(events, prompt, "get_weather", call.id, call.input, "18C")
    assert only(events, "session_started")["dialect"] == "openai-chat"


# --- OpenAI Responses -----------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_openai_responses_sdk(daemon: RunningDaemon, pki: Pki, stream: bool) -> None:
    prompt = f"responses {'sse' if stream else 'json'}: weather in Oslo?"
    call = ToolUse(f"call_resp_{int(stream)}", "get_weather", {"city": "Oslo"})

    def script(request: Recorded) -> Reply:
        done = request.json()["input"][-1].get("type") == "function_call_output"
        blocks = [Text("It is 3C.")] if done else [call]
        if stream:
            return Reply.sse(openai_response_events(blocks))
        return Reply.json(openai_response(blocks))

    tools: Any = [{"type": "function", "name": "get_weather", "parameters": WEATHER_SCHEMA, "strict": False}]
    items: list[Any] = [{"role": "user", "content": prompt}]
    with Upstream(script, pki) as upstream, http_client(daemon) as http:
        client = openai.OpenAI(
            api_key="test-key", base_url=upstream.url + "/v1", http_client=http, max_retries=0
        )

        def ask() -> Any:
            if stream:
                with client.responses.stream(
                    model="gpt-test", input=items, tools=tools, instructions="Help."
                ) as s:
                    return s.get_final_response()
            return client.responses.create(model="gpt-test", input=items, tools=tools, instructions="Help.")

        first = ask()
        (function_call,) = [item for item in first.output if item.type == "function_call"]
        assert json.loads(function_call.arguments) == call.input
        items.append(
            {
                "type": "function_call",
                "call_id": function_call.call_id,
                "name": function_call.name,
                "arguments": function_call.arguments,
            }
        )
        items.append({"type": "function_call_output", "call_id": function_call.call_id, "output": "3C"})
        assert ask().output_text == "It is 3C."
    events = session_events(daemon, prompt, EVERY_KIND)
    check_session(events, prompt, "get_weather", call.id, call.input, "3C")
    assert only(events, "session_started")["dialect"] == "openai-responses"


# --- Gemini (no official Python SDK in the project: the request shapes Gemini CLI sends) ----


@pytest.mark.parametrize("wrapped", [False, True], ids=["gemini-api", "code-assist"])
def test_gemini_requests(daemon: RunningDaemon, pki: Pki, wrapped: bool) -> None:
    prompt = f"gemini {'code assist' if wrapped else 'api'}: read the README"
    call = ToolUse(f"gemini-call-{int(wrapped)}", "read_file", {"absolute_path": "/srv/README.md"})

    def script(request: Recorded) -> Reply:
        body = request.json()
        contents = (body["request"] if wrapped else body)["contents"]
        done = any("functionResponse" in part for part in contents[-1]["parts"])
        blocks = [Text("It says hello.")] if done else [call]
        if "alt=sse" in request.path:
            return Reply.sse(gemini_chunks(blocks, wrapped=wrapped))
        reply = gemini_response(blocks)
        return Reply.json({"response": reply} if wrapped else reply)

    declarations = [{"name": "read_file", "parametersJsonSchema": {"type": "object"}}]
    contents: list[Any] = [{"role": "user", "parts": [{"text": prompt}]}]
    path = (
        "/v1internal:streamGenerateContent?alt=sse"
        if wrapped
        else "/v1beta/models/gemini-test:generateContent"
    )
    with Upstream(script, pki) as upstream, http_client(daemon) as http:

        def ask() -> list[dict[str, Any]]:
            inner = {"contents": contents, "tools": [{"functionDeclarations": declarations}]}
            body = {"model": "gemini-test", "project": "p-1", "request": inner} if wrapped else inner
            answer = http.post(upstream.url + path, json=body)
            assert answer.status_code == 200
            if wrapped:
                chunks = [
                    json.loads(line[6:]) for line in answer.text.splitlines() if line.startswith("data: ")
                ]
                return [part for c in chunks for part in c["response"]["candidates"][0]["content"]["parts"]]
            return list(answer.json()["candidates"][0]["content"]["parts"])

        (part,) = ask()
        assert part["functionCall"]["args"] == call.input
        contents.append({"role": "model", "parts": [part]})
        contents.append(
            {
                "role": "user",
                "parts": [
                    {
                        "functionResponse": {
                            "id": call.id,
                            "name": "read_file",
                            "response": {"output": "hello"},
                        }
                    }
                ],
            }
        )
        assert ask() == [{"text": "It says hello."}]
    events = session_events(daemon, prompt, EVERY_KIND)
    check_session(events, prompt, "read_file", call.id, call.input, "hello")
    assert only(events, "session_started")["dialect"] == "gemini"
