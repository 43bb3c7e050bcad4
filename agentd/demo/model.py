"""The demo's scripted model: which Anthropic Messages answer each turn of the session gets,
and how that answer is framed as server-sent events. Pure: no sockets, no files."""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

FOLLOW_UP = "Fine, just run the deploy tests then."
FINAL = "The tests pass. The 403 comes from an expired deploy token: rotate it in your secret store."


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class ToolUse:
    id: str
    name: str
    input: dict[str, Any]


Block = Text | ToolUse


def answer(request: Mapping[str, Any], credentials_path: str) -> list[Block]:
    """The scripted turn for a Messages request: read the credentials first (agentd denies
    that), run the tests when asked to, and conclude once a tool result comes back."""
    messages = request.get("messages")
    last = messages[-1] if isinstance(messages, list) and messages else {}
    content = last.get("content") if isinstance(last, dict) else None
    blocks = content if isinstance(content, list) else [{"type": "text", "text": str(content or "")}]
    if any(isinstance(b, dict) and b.get("type") == "tool_result" for b in blocks):
        return [Text(FINAL)]
    said = " ".join(str(b.get("text", "")) for b in blocks if isinstance(b, dict))
    if FOLLOW_UP in said:
        return [
            Text("Running the deploy tests."),
            ToolUse(
                "toolu_demo_2", "Bash", {"command": "pytest -q tests/test_deploy.py", "description": "tests"}
            ),
        ]
    return [
        Text("Let me check which AWS credentials the deploy uses."),
        ToolUse("toolu_demo_1", "Read", {"file_path": credentials_path}),
    ]


def sse(event: str, data: Any) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def stream(blocks: Sequence[Block], model: str, message_id: str) -> list[bytes]:
    """``blocks`` as the Messages API streams them (tool input in JSON fragments)."""
    start: dict[str, Any] = {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 120, "output_tokens": 1},
    }
    out = [sse("message_start", {"type": "message_start", "message": start})]
    for index, block in enumerate(blocks):
        if isinstance(block, Text):
            first: dict[str, Any] = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": block.text}]
        else:
            first = {"type": "tool_use", "id": block.id, "name": block.name, "input": {}}
            text = json.dumps(block.input)
            deltas = [
                {"type": "input_json_delta", "partial_json": text[i : i + 16]}
                for i in range(0, len(text), 16)
            ]
        out.append(
            sse(
                "content_block_start", {"type": "content_block_start", "index": index, "content_block": first}
            )
        )
        out += [
            sse("content_block_delta", {"type": "content_block_delta", "index": index, "delta": d})
            for d in deltas
        ]
        out.append(sse("content_block_stop", {"type": "content_block_stop", "index": index}))
    stop = "tool_use" if any(isinstance(b, ToolUse) for b in blocks) else "end_turn"
    delta = {
        "type": "message_delta",
        "delta": {"stop_reason": stop, "stop_sequence": None},
        "usage": {"output_tokens": 30},
    }
    out.append(sse("message_delta", delta))
    out.append(sse("message_stop", {"type": "message_stop"}))
    return out
