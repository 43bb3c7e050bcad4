"""Untrusted JSON in, compact and canonical JSON out: the one place normalize parses,
re-renders and digests JSON (orjson on the fast path, the standard library where orjson refuses).

orjson reads integers beyond 64 bits as floats; that is deterministic, so digests stay stable.
"""

import hashlib
import json
from typing import Any

import orjson

from agentd.errors import ParseError


def parse(data: bytes | str, what: str) -> Any:
    """The JSON value in ``data``; ParseError naming ``what`` when it is not JSON."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        # orjson's depth limit is the bound, whatever the process's recursion limit is.
        if "depth limit" in str(exc):
            raise ParseError(f"{what}: JSON nested too deeply") from None
    # orjson refuses a few things the providers' own parsers accept (lone surrogate escapes,
    # NaN); the standard library decides whether the body is really bad.
    try:
        return json.loads(data)
    except RecursionError:
        raise ParseError(f"{what}: JSON nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, int digit limits
        raise ParseError(f"{what}: not valid JSON ({_short(exc)})") from None


def compact(value: Any) -> str:
    """``value`` as compact JSON text, keys in their original order (how agents send it)."""
    try:
        return orjson.dumps(value).decode()
    except (orjson.JSONEncodeError, UnicodeDecodeError):
        return _stdlib_dumps(value, sort_keys=False)


def canonical(value: Any) -> bytes:
    """``value`` as canonical JSON bytes: sorted keys, no whitespace, UTF-8."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return _stdlib_dumps(value, sort_keys=True).encode("utf-8", "surrogatepass")


def digest(value: Any) -> str:
    """sha256 hex of the canonical JSON of ``value``: equal for equal values, however sent."""
    return hashlib.sha256(canonical(value)).hexdigest()


def _stdlib_dumps(value: Any, *, sort_keys: bool) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)
    except RecursionError:
        raise ParseError("JSON value nested too deeply") from None
    except (TypeError, ValueError) as exc:
        raise ParseError(f"JSON value cannot be rendered ({_short(exc)})") from None


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 120 else text[:117] + "..."
