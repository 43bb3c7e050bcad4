"""How agents reach agentd's proxy: a URL from the settings, or from the running daemon when
``[proxy] listen_port = 0`` lets it pick a port at start."""

from collections.abc import Mapping
from typing import Any

from agentd.config import Settings
from agentd.deploy.agents import IntegrationError
from agentd.errors import DaemonNotRunning
from agentd.observe.client import ControlError, call


def daemon_status(settings: Settings, timeout: float = 2.0) -> Mapping[str, Any] | None:
    """The running daemon's status snapshot, or None when nothing answers."""
    try:
        snapshot = call(settings.paths.control_socket, "status", timeout=timeout)
    except (DaemonNotRunning, ControlError):
        return None
    return snapshot if isinstance(snapshot, dict) else None


def listen_address(settings: Settings, snapshot: Mapping[str, Any] | None) -> tuple[str, int] | None:
    """(host, port) the proxy listens on: the daemon's report wins, then a fixed configured port."""
    proxy = snapshot.get("proxy") if snapshot else None
    listen = proxy.get("listen") if isinstance(proxy, dict) else None
    if isinstance(listen, str) and ":" in listen:
        host, _, port = listen.rpartition(":")
        if port.isdigit():
            return host.strip("[]"), int(port)
    if settings.proxy.listen_port:
        return settings.proxy.listen_host, settings.proxy.listen_port
    return None


def url_for(host: str, port: int) -> str:
    # A proxy bound to every interface is still reached on loopback.
    if host in ("0.0.0.0", ""):  # noqa: S104
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def proxy_url(settings: Settings, snapshot: Mapping[str, Any] | None = None) -> str:
    """The URL agents put in HTTPS_PROXY; IntegrationError when the port is not known yet."""
    if settings.proxy.listen_port == 0 and snapshot is None:
        snapshot = daemon_status(settings)
    address = listen_address(settings, snapshot)
    if address is None:
        raise IntegrationError(
            "[proxy] listen_port = 0 picks a port when agentd starts: start agentd first, "
            "or set a fixed listen_port, so agents can be pointed at it"
        )
    return url_for(*address)
