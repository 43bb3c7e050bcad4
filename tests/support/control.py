"""A real control-socket server with scripted answers, run on a background thread.

For tests of commands that ask the daemon something (status, the proxy's port) without
starting the whole daemon: it is agentd's own ControlServer, with handlers the test gives.
"""

import asyncio
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from agentd.observe.control import ControlServer


@contextmanager
def scripted_control(path: Path, answers: Mapping[str, Any]) -> Iterator[ControlServer]:
    """Serve ``op -> result`` on ``path`` until the block ends."""
    loop = asyncio.new_event_loop()
    server = ControlServer(path)
    for op, result in answers.items():

        async def handler(_args: dict[str, Any], result: Any = result) -> Any:
            return result

        server.register(op, handler)
    ready = threading.Event()
    task: asyncio.Task[None] | None = None

    def run() -> None:
        nonlocal task
        asyncio.set_event_loop(loop)
        task = loop.create_task(server.serve())
        loop.call_soon(lambda: loop.create_task(_signal(server, ready)))
        with suppress(asyncio.CancelledError):
            loop.run_until_complete(task)

    thread = threading.Thread(target=run, name="scripted-control", daemon=True)
    thread.start()
    if not ready.wait(10):
        raise AssertionError("the scripted control server did not start")
    try:
        yield server
    finally:
        loop.call_soon_threadsafe(lambda: task.cancel() if task else None)
        thread.join(10)
        loop.close()


async def _signal(server: ControlServer, ready: threading.Event) -> None:
    await server.ready.wait()
    ready.set()
