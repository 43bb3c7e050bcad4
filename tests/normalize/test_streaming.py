import json
from typing import Any

import pytest

from agentd.normalize.model import Denial, ParsedResponse, ToolUse, ToolUseHook
from agentd.normalize.streaming import MAX_PROBLEMS, EventStreamEditor, Held, HoldQueue, replay


def entry(raw: str) -> Held:
    return Held(raw=raw.encode())


def raws(entries: list[Held]) -> list[bytes]:
    return [e.raw if isinstance(e.raw, bytes) else e.raw.encode() for e in entries]


def test_hold_queue_keeps_order_behind_a_held_call() -> None:
    queue = HoldQueue()
    queue.push(entry("a"))
    queue.push(entry("b"), owner="k")
    queue.push(entry("c"))
    assert raws(queue.drain()) == [b"a"]
    assert queue.drain() == []
    assert queue.size == 2
    queue.close("k")
    assert raws(queue.drain()) == [b"b", b"c"]
    assert queue.size == 0


def test_hold_queue_replaces_a_call_where_it_began() -> None:
    queue = HoldQueue()
    queue.push(entry("b1"), owner="k")
    queue.push(entry("x"))
    queue.push(entry("b2"), owner="k")
    queue.replace("k", [entry("R1"), entry("R2")])
    assert raws(queue.drain()) == [b"R1", b"R2", b"x"]


@pytest.mark.parametrize(
    ("close_order", "drained_after_each"),
    [
        (["k2", "k1"], [[], [b"1", b"2", b"tail"]]),
        (["k1", "k2"], [[b"1"], [b"2", b"tail"]]),
    ],
)
def test_hold_queue_with_two_open_calls(
    close_order: list[str], drained_after_each: list[list[bytes]]
) -> None:
    queue = HoldQueue()
    queue.push(entry("1"), owner="k1")
    queue.push(entry("2"), owner="k2")
    queue.push(entry("tail"))
    for key, expected in zip(close_order, drained_after_each, strict=True):
        queue.close(key)
        assert raws(queue.drain()) == expected


class Tagged(EventStreamEditor):
    """A minimal dialect: {"call": k, "part": s} events build call k; {"call": k, "done": true}
    completes it; a denied call becomes one {"denied": k} event."""

    def __init__(self, hook: ToolUseHook, **limits: int) -> None:
        super().__init__(hook, **limits)
        self.parts: dict[str, list[str]] = {}
        self.calls: list[ToolUse] = []
        self.fail_after_push = False

    def handle(self, entry: Held) -> None:
        event = entry.payload if isinstance(entry.payload, dict) else {}
        key = event.get("call")
        if key is None:
            self.emit(entry)
            if self.fail_after_push:
                raise ValueError("after push")
            return
        self.hold(key, entry)
        self.parts.setdefault(key, []).append(event.get("part", ""))
        if event.get("done"):
            call = ToolUse(key, "tool", "".join(self.parts[key]))
            self.calls.append(call)
            denial = self.decide(call)
            if denial is None:
                self.release(key)
            else:
                self.replace(key, [self.render("denied", {"denied": key, "why": denial.reason})])

    def snapshot(self) -> ParsedResponse:
        return ParsedResponse(tool_uses=tuple(self.calls))


def sse(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


def test_editor_holds_then_forwards_an_allowed_call() -> None:
    editor = Tagged(lambda call: None)
    assert editor.feed(sse({"text": "hi"})) == sse({"text": "hi"})
    assert editor.feed(sse({"call": "k", "part": "{"})) == b""
    assert editor.feed(sse({"text": "meanwhile"})) == b""
    out = editor.feed(sse({"call": "k", "part": "}", "done": True}))
    assert out == sse({"call": "k", "part": "{"}) + sse({"text": "meanwhile"}) + sse(
        {"call": "k", "part": "}", "done": True}
    )
    assert editor.response().tool_uses == (ToolUse("k", "tool", "{}"),)


def test_editor_replaces_a_denied_call_in_the_stream_framing() -> None:
    editor = Tagged(lambda call: Denial("nope"))
    data = sse({"call": "k", "part": "x"}).replace(b"\n", b"\r\n") + sse({"call": "k", "done": True}).replace(
        b"\n", b"\r\n"
    )
    assert editor.feed(data) == b'event: denied\r\ndata: {"denied":"k","why":"nope"}\r\n\r\n'


def test_websocket_messages_are_held_and_replaced_as_messages() -> None:
    editor = Tagged(lambda call: Denial("nope"))
    assert editor.feed_message('{"text": "a"}') == ['{"text": "a"}']
    assert editor.feed_message('{"call": "k", "part": "x"}') == []
    assert editor.feed_message("not json") == []  # held behind the open call, in order
    assert editor.feed_message('{"call": "k", "done": true}') == ['{"denied":"k","why":"nope"}', "not json"]
    assert any("websocket message" in p for p in editor.response().problems)


def test_end_forwards_an_unfinished_call_raw_and_marks_truncation() -> None:
    editor = Tagged(lambda call: Denial("nope"))
    held = sse({"call": "k", "part": "x"})
    assert editor.feed(held) == b""
    assert editor.end() == held
    assert editor.end() == b""
    assert editor.response().truncated


def test_a_websocket_closed_inside_a_call_drops_what_it_held() -> None:
    editor = Tagged(lambda call: None)
    assert editor.feed_message('{"call": "k", "part": "x"}') == []
    assert editor.end() == b""
    parsed = editor.response()
    assert parsed.truncated
    assert parsed.problems == ("websocket closed inside a tool call; its held messages were dropped",)


def test_held_bytes_over_the_bound_release_everything() -> None:
    editor = Tagged(lambda call: Denial("nope"), max_held_bytes=100)
    first = sse({"call": "k", "part": "x" * 60})
    second = sse({"call": "k", "part": "y" * 60})
    after = sse({"call": "k", "done": True})
    assert editor.feed(first) == b""
    assert editor.feed(second + after) == first + second + after
    assert editor.feed(b"later") == b"later"  # passthrough from now on
    parsed = editor.response()
    assert parsed.truncated
    assert any("exceed 100 bytes" in p for p in parsed.problems)


def test_a_handler_failure_after_emitting_does_not_duplicate() -> None:
    editor = Tagged(lambda call: None)
    editor.fail_after_push = True
    data = sse({"text": "a"})
    assert editor.feed(data) == data
    assert editor.response().problems == ("cannot handle stream event: ValueError",)


def test_problems_are_capped() -> None:
    editor = Tagged(lambda call: None)
    data = b"data: {bad\n\n" * (MAX_PROBLEMS + 5)
    assert editor.feed(data) == data
    problems = editor.response().problems
    assert len(problems) == MAX_PROBLEMS + 1
    assert problems[-1] == "... and 5 more problems"


def test_replay_runs_a_whole_body() -> None:
    data = sse({"call": "k", "part": "x"}) + sse({"call": "k", "done": True})
    out, parsed = replay(Tagged(lambda call: None), data)
    assert out == data
    assert parsed.tool_uses == (ToolUse("k", "tool", "x"),)
