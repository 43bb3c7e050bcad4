"""Tolerant readers for fields of untrusted JSON: a wrong type reads as absent, never as a crash."""

from collections.abc import Mapping
from typing import Any

from agentd.errors import ParseError
from agentd.normalize import jsonvalue

_SSE_STARTS = (b"event:", b"data:", b":", b"id:", b"retry:")


def parse_object(body: bytes | str, what: str) -> dict[str, Any]:
    """The JSON object in ``body``; ParseError when it is not JSON or not an object."""
    value = jsonvalue.parse(body, what)
    if not isinstance(value, dict):
        raise ParseError(f"{what}: expected a JSON object, got {type(value).__name__}")
    return value


def obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def string(value: Any) -> str:
    return value if isinstance(value, str) else ""


def opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def opt_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def call_id(value: Any) -> str:
    """An id as text: JSON-RPC and some providers use numbers."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


def arguments_text(value: Any) -> str:
    """Tool arguments as JSON text: strings are taken as sent, values rendered compactly."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return jsonvalue.compact(value)


def looks_like_sse(body: bytes) -> bool:
    """Whether a buffered body is an event stream rather than one JSON document."""
    head = body[:64].lstrip(b"\xef\xbb\xbf").lstrip()
    return head.startswith(_SSE_STARTS)
