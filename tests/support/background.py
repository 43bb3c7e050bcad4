"""Run a daemon Component's ``serve()`` on its own event loop in a background thread, so a
plain (synchronous) test can act on the world and wait for the component's events with
``wait_until``, as it would with the real daemon."""

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from typing import Any, Protocol


class Serving(Protocol):
    async def serve(self) -> None: ...


@contextlib.contextmanager
def serving(
    component: Serving, ready: Any = None, timeout: float = 30
) -> Iterator[asyncio.AbstractEventLoop]:
    """Start ``component.serve()``; on exit cancel it and re-raise whatever it raised.
    ``ready`` is an asyncio.Event the component sets once it is up (waited for here)."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    outcome: list[BaseException] = []
    task: asyncio.Task[None] | None = None

    async def main() -> None:
        nonlocal task
        task = asyncio.current_task()
        started.set()
        try:
            await component.serve()
        except asyncio.CancelledError:
            pass
        except BaseException as exc:
            outcome.append(exc)

    def run() -> None:
        loop.run_until_complete(main())
        loop.run_until_complete(loop.shutdown_default_executor())

    thread = threading.Thread(target=run, name="component", daemon=True)
    thread.start()
    started.wait(timeout)
    try:
        if ready is not None:
            from tests.support.agentd_env import wait_until

            def is_ready() -> bool:
                if outcome:
                    raise outcome[0]
                return bool(ready.is_set())

            wait_until(is_ready, timeout, f"{type(component).__name__} to be ready")
        yield loop
    finally:
        if task is not None:
            loop.call_soon_threadsafe(task.cancel)
        thread.join(timeout)
        loop.close()
    if outcome:
        raise outcome[0]
