"""The control socket's wire format: one JSON object per line each way.

Request ``{"op": NAME, "args": {...}}``; reply ``{"ok": true, "result": ...}`` or
``{"ok": false, "error": MESSAGE}``. Kept dependency-free: the hook command imports it.
"""

import json
from typing import Any

MAX_LINE = 8 * 1024 * 1024


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":"), default=str).encode() + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    value = json.loads(line)
    if not isinstance(value, dict):
        raise ValueError("control message must be a JSON object")
    return value
