"""The demo's agent: a scripted client that talks to its model the way Claude Code does
(session header, tool definitions, streamed replies, tool results sent back) through agentd's
proxy, trusting agentd's CA. Standard library only."""

import http.client
import json
import ssl
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentd.demo.model import FOLLOW_UP

MODEL = "claude-sonnet-4-5"

TOOLS: list[dict[str, Any]] = [
    {
        "name": "Bash",
        "description": "Run a shell command in the project directory.",
        "input_schema": {
            "type": "object",
            "properties": {"command": {"type": "string"}, "description": {"type": "string"}},
            "required": ["command"],
        },
    },
    {
        "name": "Read",
        "description": "Read a file from the local filesystem.",
        "input_schema": {
            "type": "object",
            "properties": {"file_path": {"type": "string"}},
            "required": ["file_path"],
        },
    },
    {
        "name": "WebFetch",
        "description": "Fetch a URL and return its content.",
        "input_schema": {"type": "object", "properties": {"url": {"type": "string"}}, "required": ["url"]},
    },
]


@dataclass
class Turn:
    """What the agent got back for one request: the text it showed and the tools it ran."""

    text: list[str] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    stop_reason: str | None = None


class DemoAgentError(Exception):
    """The scripted conversation could not go through the proxy."""


@dataclass
class ScriptedAgent:
    proxy: tuple[str, int]
    upstream: tuple[str, int]
    agentd_ca: Path
    run_tool: Callable[[str, dict[str, Any]], str]
    session_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    messages: list[dict[str, Any]] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)

    def converse(self, prompt: str, max_requests: int = 6) -> None:
        """The user's prompt, then tool results for every tool the model asks for, then the
        scripted follow-up once the model stops without a tool call."""
        self.messages.append({"role": "user", "content": prompt})
        follow_ups = [FOLLOW_UP]
        for _ in range(max_requests):
            turn = self._request()
            self.turns.append(turn)
            if turn.tool_calls:
                results = [
                    {
                        "type": "tool_result",
                        "tool_use_id": call["id"],
                        "content": self.run_tool(call["name"], call["input"]),
                    }
                    for call in turn.tool_calls
                ]
                self.messages.append({"role": "user", "content": results})
            elif follow_ups:
                self.messages.append(
                    {"role": "user", "content": [{"type": "text", "text": follow_ups.pop(0)}]}
                )
            else:
                return
        raise DemoAgentError(f"the conversation did not finish within {max_requests} requests")

    def _request(self) -> Turn:
        body = json.dumps(
            {"model": MODEL, "max_tokens": 1024, "stream": True, "tools": TOOLS, "messages": self.messages}
        ).encode()
        context = ssl.create_default_context(cafile=str(self.agentd_ca))
        connection = http.client.HTTPSConnection(*self.proxy, timeout=30, context=context)
        connection.set_tunnel(*self.upstream)
        try:
            connection.request(
                "POST",
                "/v1/messages",
                body,
                {
                    "content-type": "application/json",
                    "anthropic-version": "2023-06-01",
                    "x-api-key": "demo-key",
                    "user-agent": "claude-cli/2.0.0 (external, agentd-demo)",
                    "x-claude-code-session-id": self.session_id,
                },
            )
            response = connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise DemoAgentError(f"request through the proxy failed: {exc}") from exc
        finally:
            connection.close()
        if response.status != 200:
            raise DemoAgentError(f"the model answered HTTP {response.status}")
        turn, content = parse_stream(raw)
        self.messages.append({"role": "assistant", "content": content})
        return turn


def parse_stream(raw: bytes) -> tuple[Turn, list[dict[str, Any]]]:
    """A streamed Messages reply as the agent sees it: text, complete tool calls, stop reason,
    and the assistant content to send back next turn."""
    turn = Turn()
    blocks: dict[int, dict[str, Any]] = {}
    partial: dict[int, str] = {}
    for line in raw.decode("utf-8", "replace").splitlines():
        if not line.startswith("data:"):
            continue
        try:
            data = json.loads(line[5:])
        except ValueError:
            continue
        if not isinstance(data, dict):
            continue
        kind, index, delta = data.get("type"), data.get("index"), data.get("delta")
        delta = delta if isinstance(delta, dict) else {}
        if (
            kind == "content_block_start"
            and isinstance(index, int)
            and isinstance(data.get("content_block"), dict)
        ):
            blocks[index] = dict(data["content_block"])
        elif kind == "content_block_delta" and index in blocks:
            if delta.get("type") == "text_delta":
                blocks[index]["text"] = str(blocks[index].get("text", "")) + str(delta.get("text", ""))
            elif delta.get("type") == "input_json_delta":
                partial[index] = partial.get(index, "") + str(delta.get("partial_json", ""))
        elif kind == "message_delta":
            turn.stop_reason = delta.get("stop_reason")
    content = [blocks[i] for i in sorted(blocks)]
    for index, block in blocks.items():
        if block.get("type") == "tool_use":
            try:
                arguments = json.loads(partial.get(index) or "{}")
            except ValueError:
                arguments = {}
            block["input"] = arguments if isinstance(arguments, dict) else {}
            turn.tool_calls.append(block)
        elif block.get("type") == "text":
            turn.text.append(str(block.get("text", "")))
    return turn, content
