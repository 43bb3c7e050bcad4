"""Normalize costs on a Claude-Code-shaped session: parsing + digesting a request (agentd's
dialect vs a bare orjson/json parse of the same bytes), finding what is new per turn, and the
SSE stream editor's throughput (vs splitting the same bytes into events)."""

import gc
import json
import random
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import orjson

from agentd.normalize.dialects.anthropic import AnthropicMessages
from agentd.normalize.model import ToolUse
from agentd.normalize.sessions import new_messages

_WORDS = ["the", "a", "file", "test", "run", "build", "fix", "error", "value", "config", "path", "module"]


def _text(rng: random.Random, chars: int) -> str:
    words: list[str] = []
    size = 0
    while size < chars:
        word = rng.choice(_WORDS)
        words.append(word)
        size += len(word) + 1
    return " ".join(words)


def session(turns: int, seed: int = 7) -> list[bytes]:
    """A Claude-Code-shaped conversation: system prompt and 25 tools (~80 KB), growing by a
    prompt, a tool call and a ~30 KB tool result each turn (to ~1 MB at 30 turns)."""
    rng = random.Random(seed)
    schema = {"type": "object", "properties": {f"arg{j}": {"type": "string"} for j in range(4)}}
    tools = [{"name": f"Tool{i}", "description": _text(rng, 2200), "input_schema": schema} for i in range(25)]
    system = [{"type": "text", "text": _text(rng, 20_000)}]
    messages: list[dict[str, Any]] = []
    bodies = []
    for turn in range(turns):
        for message in messages[-1:]:
            message["content"][-1].pop("cache_control", None)
        prompt = {"type": "text", "text": _text(rng, 400), "cache_control": {"type": "ephemeral"}}
        messages.append({"role": "user", "content": [prompt]})
        body = {"model": "claude-sonnet-4-5", "system": system, "tools": tools, "messages": messages}
        bodies.append(json.dumps(body).encode())
        call = {
            "type": "tool_use",
            "id": f"toolu_{turn}",
            "name": "Bash",
            "input": {"command": _text(rng, 60)},
        }
        result = {"type": "tool_result", "tool_use_id": f"toolu_{turn}", "content": _text(rng, 30_000)}
        messages.append({"role": "assistant", "content": [{"type": "text", "text": _text(rng, 200)}, call]})
        messages.append({"role": "user", "content": [result]})
    return bodies


def _event(payload: dict[str, Any]) -> bytes:
    return f"event: {payload['type']}\ndata: {json.dumps(payload, separators=(',', ':'))}\n\n".encode()


def sse_stream(text_events: int) -> bytes:
    """An Anthropic stream: many text deltas, then one tool call."""
    delta = {"type": "text_delta", "text": "token " * 8}
    tool = {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {}}
    events = [
        _event({"type": "message_start", "message": {"id": "m", "model": "x", "usage": {"input_tokens": 1}}})
    ]
    events += [_event({"type": "content_block_delta", "index": 0, "delta": delta})] * text_events
    events += [
        _event({"type": "content_block_start", "index": 1, "content_block": tool}),
        _event(
            {
                "type": "content_block_delta",
                "index": 1,
                "delta": {"type": "input_json_delta", "partial_json": '{"command": "ls"}'},
            }
        ),
        _event({"type": "content_block_stop", "index": 1}),
        _event({"type": "message_stop"}),
    ]
    return b"".join(events)


def _timed(fn: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _ms(samples: Sequence[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"{statistics.median(ordered):.2f} / {p95:.2f}"


class _Seen:
    def __init__(self) -> None:
        self.keys: set[str] = set()

    def claim(self, keys: Sequence[str]) -> Iterable[str]:
        fresh = [k for k in keys if k not in self.keys]
        self.keys.update(fresh)
        return fresh


def _parse_table(dialect: AnthropicMessages, bodies: list[bytes], repeat: int) -> list[str]:
    lines = [
        "Request parse + per-message digest (Anthropic dialect) against a bare parse of the same bytes;",
        "median / p95 ms. `new` = messages turn N adds, the only ones detectors scan.",
        "",
        "| turn | body KB | json.loads | orjson.loads | agentd parse+digest | agentd, gc.freeze() | new |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    seen = _Seen()
    for turn, body in enumerate(bodies):
        fresh = new_messages(dialect.parse_request(body).messages, seen.claim)
        if turn not in (0, 4, 9, 19, len(bodies) - 1):
            continue
        stdlib = _timed(lambda b=body: json.loads(b), repeat)
        bare = _timed(lambda b=body: orjson.loads(b), repeat)
        ours = _timed(lambda b=body: dialect.parse_request(b), repeat)
        gc.freeze()  # what a daemon does after start-up: long-lived objects leave the GC's scans
        frozen = _timed(lambda b=body: dialect.parse_request(b), repeat)
        gc.unfreeze()
        cells = [str(turn + 1), str(len(body) // 1024), _ms(stdlib), _ms(bare), _ms(ours), _ms(frozen)]
        lines.append("| " + " | ".join([*cells, str(len(fresh))]) + " |")
    return lines


def _stream_table(dialect: AnthropicMessages, quick: bool) -> list[str]:
    stream = sse_stream(2000 if quick else 20_000)
    chunks = [stream[i : i + 1400] for i in range(0, len(stream), 1400)]  # TCP-segment-sized pieces

    def edit() -> None:
        editor = dialect.stream_editor(_allow)
        for chunk in chunks:
            editor.feed(chunk)
        editor.end()

    def split() -> None:
        buffer = b""
        for chunk in chunks:
            buffer += chunk
            *_, buffer = buffer.split(b"\n\n")

    repeat = 3 if quick else 10
    ours = statistics.median(_timed(edit, repeat))
    baseline = statistics.median(_timed(split, repeat))
    mb = len(stream) / 1e6
    events = stream.count(b"\n\n")
    return [
        "",
        f"SSE stream editor over {mb:.1f} MB ({events} events) in 1400-byte chunks, one tool call held:",
        "",
        "| | median ms | MB/s | µs per event |",
        "|---|---:|---:|---:|",
        *(
            f"| {label} | {ms:.1f} | {mb / ms * 1000:.0f} | {ms * 1000 / events:.2f} |"
            for label, ms in (("baseline: split into events", baseline), ("agentd stream editor", ours))
        ),
    ]


def run(quick: bool) -> list[str]:
    dialect = AnthropicMessages()
    bodies = session(30)
    return _parse_table(dialect, bodies, 5 if quick else 25) + _stream_table(dialect, quick)


def _allow(call: ToolUse) -> None:
    return None
