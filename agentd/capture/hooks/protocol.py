"""The vocabulary every agent hook adapter speaks: a parsed hook event, agentd's answer, and the
native reply (stdout, stderr, exit code). Standard library only: the hook command imports it.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

# What a hook event is about, whatever the agent calls it.
PRE_TOOL = "pre_tool"  # a tool call about to run: the one that can be refused
POST_TOOL = "post_tool"  # a tool's result
PROMPT = "prompt"  # the user's prompt
OTHER = "other"  # anything else (session start, stop, ...): recorded, never refused

ALLOW = "allow"
DENY = "deny"
ASK = "ask"


@dataclass(frozen=True, slots=True)
class HookEvent:
    agent: str  # claude-code, codex, gemini-cli, cursor
    kind: str  # PRE_TOOL, POST_TOOL, PROMPT, OTHER
    native: str  # the agent's own event name: PreToolUse, BeforeTool, beforeShellExecution, ...
    session_id: str
    tool: str | None = None
    tool_input: Any = None  # JSON value as the agent sent it
    call_id: str | None = None  # joins the hook to the network view of the same call
    server: str | None = None  # MCP server, when the agent names it
    cwd: str | None = None
    prompt: str | None = None
    output: str | None = None  # a tool's result, as text
    is_error: bool = False


@dataclass(frozen=True, slots=True)
class HookAnswer:
    outcome: str  # ALLOW, DENY, ASK
    reason: str = ""


@dataclass(frozen=True, slots=True)
class NativeReply:
    """What the hook command prints and how it exits."""

    stdout: str = ""
    stderr: str = ""
    exit_code: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"stdout": self.stdout, "stderr": self.stderr, "exit_code": self.exit_code}

    @classmethod
    def from_json(cls, data: object) -> "NativeReply":
        """ValueError unless ``data`` is a reply the daemon could have sent."""
        if not isinstance(data, Mapping):
            raise ValueError("hook reply must be an object")
        stdout, stderr, code = data.get("stdout", ""), data.get("stderr", ""), data.get("exit_code", 0)
        if not isinstance(stdout, str) or not isinstance(stderr, str) or not isinstance(code, int):
            raise ValueError("hook reply has fields of the wrong type")
        if code not in (0, 1, 2):
            raise ValueError(f"hook reply exit code {code} is not one agents understand")
        return cls(stdout=stdout, stderr=stderr, exit_code=code)


class Adapter(Protocol):
    """One agent's hook protocol."""

    name: str

    def parse(self, payload: Mapping[str, Any]) -> HookEvent:
        """The event in ``payload``; agentd.errors.ParseError when it is not this agent's hook JSON."""
        ...

    def can_ask(self, event: HookEvent) -> bool:
        """Whether the agent can ask its user natively for this event (else approvals go to agentd)."""
        ...

    def render(self, event: HookEvent, answer: HookAnswer) -> NativeReply: ...

    def unavailable(self, native: str | None, reason: str, *, closed: bool) -> NativeReply:
        """The reply when agentd cannot decide: let it through (open) or block it (closed).
        Closed blocks tool calls, and input too broken to tell what it is (``native`` None);
        prompts and results always pass."""
        ...


MAX_REASON = 2000  # agents cap hook strings (Claude Code at 10,000 characters)


def clip(text: str) -> str:
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


def text_of(value: Any) -> str:
    """A tool result as text: strings as they are, anything else as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    except (ValueError, RecursionError):
        return str(value)


def field(payload: Mapping[str, Any], name: str) -> str | None:
    """A string field of the payload, or None when absent or not a string."""
    value = payload.get(name)
    return value if isinstance(value, str) else None
