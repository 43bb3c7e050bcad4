"""Tool definitions by content: a hash of name + description + input schema, and which tools in
an observation are new or changed against the hashes already known (a "rug pull"). Pure."""

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from agentd.normalize.model import ToolSpec


class ToolStatus(StrEnum):
    NEW = "new"
    CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class ToolDelta:
    tool: ToolSpec
    status: ToolStatus
    new_hash: str
    previous_hash: str | None = None


MAX_DEPTH = 64


def canonical(value: Any, depth: int = 0) -> Any:
    """JSON-ready and order-independent for mappings; other values become their repr. Nesting
    past MAX_DEPTH collapses to a marker, so a hostile schema cannot exhaust the stack."""
    if depth > MAX_DEPTH:
        return "<too deep>"
    if isinstance(value, Mapping):
        return {str(k): canonical(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(v, depth + 1) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return repr(value)


def definition_hash(tool: ToolSpec) -> str:
    """sha256 hex over the canonical JSON of [name, description, input schema]: the same
    definition always hashes alike, whatever key order or whitespace it arrived in."""
    payload = [tool.name, tool.description or "", canonical(tool.input_schema or {})]
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=True)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def compare(known: Mapping[str, str], tools: Sequence[ToolSpec]) -> list[ToolDelta]:
    """The tools in ``tools`` whose hash is not the one in ``known`` (tool name -> hash):
    ``new`` when the name is unknown, ``changed`` when its hash differs. A name listed twice
    in one observation counts once, by its last definition."""
    latest: dict[str, ToolSpec] = {}
    for tool in tools:
        latest[tool.name] = tool
    deltas = []
    for name, tool in latest.items():
        digest = definition_hash(tool)
        previous = known.get(name)
        if previous is None:
            deltas.append(ToolDelta(tool, ToolStatus.NEW, digest))
        elif previous != digest:
            deltas.append(ToolDelta(tool, ToolStatus.CHANGED, digest, previous))
    return deltas


def split_mcp_name(name: str) -> tuple[str | None, str]:
    """``mcp__server__tool`` (Claude Code, Codex) -> (server, tool); other names -> (None, name)."""
    if name.startswith("mcp__"):
        server, sep, tool = name[5:].partition("__")
        if sep and server and tool:
            return server, tool
    return None, name
