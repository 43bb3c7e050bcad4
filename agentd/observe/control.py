"""The daemon side of the control socket: an owner-only Unix socket dispatching named ops.

Handlers are registered by the composition root; a failing handler answers with an error
and never takes the server down.
"""

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from agentd.observe.protocol import MAX_LINE, decode, encode

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[Any]]


class ControlServer:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._handlers: dict[str, Handler] = {}
        self.requests = 0
        self.ready = asyncio.Event()

    def register(self, op: str, handler: Handler) -> None:
        self._handlers[op] = handler

    async def serve(self) -> None:
        """Listen until cancelled; the socket file is removed on the way out."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        # The umask makes the socket 0600 from birth, not after a racy chmod.
        old_umask = os.umask(0o177)
        try:
            server = await asyncio.start_unix_server(self._handle, path=str(self.path), limit=MAX_LINE)
        finally:
            os.umask(old_umask)
        try:
            async with server:
                self.ready.set()
                await server.serve_forever()
        finally:
            self.ready.clear()
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                self.requests += 1
                writer.write(encode(await self._dispatch(line)))
                await writer.drain()
        except ValueError:  # the line exceeded MAX_LINE
            log.warning("control request over %d bytes refused", MAX_LINE)
            with contextlib.suppress(ConnectionError):
                writer.write(encode({"ok": False, "error": "request too large"}))
        except ConnectionError:
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _dispatch(self, line: bytes) -> dict[str, Any]:
        try:
            request = decode(line)
        except ValueError:
            return {"ok": False, "error": "request is not a JSON object"}
        op = request.get("op")
        handler = self._handlers.get(op) if isinstance(op, str) else None
        if handler is None:
            return {"ok": False, "error": f"unknown op {op!r}"}
        args = request.get("args")
        try:
            result = await handler(args if isinstance(args, dict) else {})
        except Exception as exc:
            log.exception("control op failed", extra={"op": op})
            return {"ok": False, "error": f"{op} failed: {type(exc).__name__}"}
        return {"ok": True, "result": result}
