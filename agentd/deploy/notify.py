"""Service-manager readiness: the sd_notify protocol (a datagram on $NOTIFY_SOCKET), no dependency.

systemd starts `Type=notify` units and waits for READY=1; launchd and a shell ignore all of
this, because without $NOTIFY_SOCKET every call is a no-op that returns False.
"""

import asyncio
import os
import socket
from collections.abc import Callable, Mapping
from typing import Any

from agentd.clock import Clock

NOTIFY_SOCKET_ENV = "NOTIFY_SOCKET"


def _address(raw: str) -> str | bytes | None:
    if raw.startswith("@"):
        # An abstract-namespace socket: the leading '@' stands for a NUL byte.
        return b"\0" + raw[1:].encode()
    if raw.startswith("/"):
        return raw
    return None  # vsock and other address kinds are not used for local services


def notify(fields: Mapping[str, str], environ: Mapping[str, str] | None = None) -> bool:
    """Send ``KEY=value`` lines to the service manager; True when a manager was told.

    Never raises: readiness reporting must not be able to take the daemon down.
    """
    raw = (os.environ if environ is None else environ).get(NOTIFY_SOCKET_ENV, "")
    address = _address(raw)
    if address is None:
        return False
    message = "\n".join(f"{key}={value}" for key, value in fields.items()).encode()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message)
    except OSError:
        return False
    return True


def ready(status: str = "", environ: Mapping[str, str] | None = None) -> bool:
    """Tell systemd the daemon is serving (the proxy listens); `Type=notify` start completes."""
    fields = {"READY": "1", "MAINPID": str(os.getpid())}
    if status:
        fields["STATUS"] = status
    return notify(fields, environ)


def stopping(environ: Mapping[str, str] | None = None) -> bool:
    """Tell systemd an orderly stop has begun, so it does not count it as a crash."""
    return notify({"STOPPING": "1"}, environ)


def status(text: str, environ: Mapping[str, str] | None = None) -> bool:
    """A one-line status that `systemctl status agentd` shows."""
    return notify({"STATUS": text}, environ)


class ServiceNotifier:
    """A daemon component that tells the service manager when agentd is ready, and that it stops.

    ``readiness`` returns a one-line status once the daemon serves (control socket up, proxy
    listening), else None; it is polled until then. Cancelling the component (the daemon's
    orderly stop) sends STOPPING=1.
    """

    name = "service"

    def __init__(
        self,
        readiness: Callable[[], str | None],
        clock: Clock,
        environ: Mapping[str, str] | None = None,
        interval: float = 0.05,
    ) -> None:
        self._readiness = readiness
        self._clock = clock
        self._environ = environ
        self._interval = interval
        self._manager = _address((os.environ if environ is None else environ).get(NOTIFY_SOCKET_ENV, ""))
        self._ready_sent = False

    async def serve(self) -> None:
        if self._manager is None:
            await asyncio.Event().wait()  # nobody to tell: idle until the daemon stops
        try:
            while (line := self._readiness()) is None:
                await self._clock.sleep(self._interval)
            self._ready_sent = ready(line, self._environ)
            await asyncio.Event().wait()
        finally:
            stopping(self._environ)

    def statistics(self) -> Mapping[str, Any]:
        return {"manager": "systemd" if self._manager is not None else None, "ready_sent": self._ready_sent}
