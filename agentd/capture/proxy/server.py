"""The embedded mitmproxy: a daemon Component that runs mitmproxy 12 in the daemon's loop.

It maps ``[proxy]`` settings to mitmproxy options (mode, listen address, the intercept
allow-list, upstream trust), starts the servers, reports the bound address, and on the way
out releases the listening port before shutting mitmproxy down (its shutdown alone leaves
the port bound: mitmproxy#6245).
"""

import asyncio
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from mitmproxy.addons.proxyserver import Proxyserver
from mitmproxy.options import Options
from mitmproxy.tools.dump import DumpMaster

from agentd.capture.proxy.addon import AddonStatistics, CaptureAddon
from agentd.capture.proxy.ca import CertificateAuthority
from agentd.capture.proxy.gate import Gate
from agentd.capture.proxy.hosts import HostMatcher
from agentd.config import ProxyMode, ProxySettings
from agentd.errors import AgentdError, ConfigError

log = logging.getLogger(__name__)


class ProxyStartError(AgentdError):
    """The proxy could not listen (port taken, local capture unavailable, ...)."""


class _Embedded:
    """mitmproxy's master behind a typed surface: its addon manager and options are untyped,
    so they are held as Any here and nowhere else."""

    def __init__(self, options: Options) -> None:
        self.master: Any = DumpMaster(options, with_termlog=False, with_dumper=False)
        self.addons: Any = self.master.addons
        self.options: Any = self.master.options

    def proxyserver(self) -> Proxyserver:
        proxyserver = self.addons.get("proxyserver")
        assert isinstance(proxyserver, Proxyserver)
        return proxyserver


class _Started:
    """Tells serve() that mitmproxy finished bringing its servers up (or failing to)."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    def running(self) -> None:
        self.event.set()


def _format_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def mode_options(settings: ProxySettings) -> dict[str, Any]:
    """The mitmproxy options that select the proxy mode and where it listens."""
    listen = f"@{settings.listen_host}:{settings.listen_port}"
    if settings.mode is ProxyMode.REGULAR:
        return {"mode": [f"regular{listen}"]}
    if settings.mode is ProxyMode.UPSTREAM:
        if not settings.upstream_proxy:
            raise ConfigError("proxy.mode = 'upstream' needs proxy.upstream_proxy (http://host:port)")
        url = urlsplit(settings.upstream_proxy)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ConfigError(
                f"proxy.upstream_proxy = {settings.upstream_proxy!r}: expected http(s)://host:port"
            )
        options: dict[str, Any] = {
            "mode": [f"upstream:{url.scheme}://{url.netloc.rpartition('@')[2]}{listen}"]
        }
        if url.username is not None:
            # Credentials travel as an option (Proxy-Authorization), never inside the mode spec.
            options["upstream_auth"] = f"{unquote(url.username)}:{unquote(url.password or '')}"
        return options
    spec = f"local:{settings.local_processes}" if settings.local_processes else "local"
    return {"mode": [spec]}


class ProxyServer:
    """Component ``proxy``: serves until cancelled; ``ready`` is set once it listens.

    Without a gate it is bare mitmproxy in the same embedding (the benchmark's baseline).
    """

    name = "proxy"

    def __init__(self, settings: ProxySettings, ca: CertificateAuthority, gate: Gate | None) -> None:
        self.settings = settings
        self.gate = gate
        self.ca = ca
        try:
            self.matcher = HostMatcher.build(settings.intercept_hosts)
        except ValueError as exc:
            raise ConfigError(f"proxy.intercept_hosts: {exc}") from None
        self._mode_options = mode_options(settings)
        self.addon = (
            None
            if gate is None
            else CaptureAddon(
                gate,
                self.matcher,
                max_body_bytes=settings.max_body_bytes,
                listen_port=lambda: self.port,
                attribute_peers=settings.mode is not ProxyMode.LOCAL,
            )
        )
        self.ready = asyncio.Event()
        self.listen: tuple[str, int] | None = None
        self.state = "stopped"

    @property
    def port(self) -> int | None:
        return self.listen[1] if self.listen else None

    def _options(self) -> Options:
        # Core options go to the constructor; addon options (upstream_auth) exist only once
        # the addons are loaded and are set in _configure.
        return Options(confdir=str(self.ca.directory), mode=self._mode_options["mode"])

    def _configure(self, mitm: "_Embedded") -> None:
        upstream_trust: Path | None = None
        if self.settings.upstream_ca is not None:
            upstream_trust = self.ca.write_upstream_bundle(self.settings.upstream_ca)
        addon_options = {k: v for k, v in self._mode_options.items() if k != "mode"}
        mitm.options.update(
            **addon_options,
            allow_hosts=list(self.matcher.patterns),
            # Trust is extended, never switched off: certifi plus the configured PEM.
            ssl_insecure=False,
            ssl_verify_upstream_trusted_ca=str(upstream_trust) if upstream_trust else None,
        )
        # We check startup ourselves: mitmproxy's ErrorCheck would sys.exit() the daemon.
        errorcheck = mitm.addons.get("errorcheck")
        if errorcheck is not None:
            errorcheck.finish()
            mitm.addons.remove(errorcheck)

    async def serve(self) -> None:
        self.state = "starting"
        try:
            self.ca.ensure()
        except OSError as exc:
            self.state = "failed"
            raise ProxyStartError(
                f"cannot prepare the CA in {self.ca.directory}: {exc.strerror or exc}"
            ) from exc
        if logging.getLogger("mitmproxy").level == logging.NOTSET:
            # One line per connection is noise in the daemon's log; warnings still show.
            logging.getLogger("mitmproxy").setLevel(logging.WARNING)
        mitm = _Embedded(self._options())
        started = _Started()
        try:
            self._configure(mitm)
            mitm.addons.add(started, *([self.addon] if self.addon else []))
        except Exception:
            mitm.master.shutdown()
            self.state = "failed"
            raise
        run = asyncio.ensure_future(mitm.master.run())
        try:
            await self._wait_started(run, started)
            self.listen = self._check_listening(mitm)
            self.state = "running"
            self.ready.set()
            log.info(
                "proxy listening", extra={"listen": self.statistics()["listen"], "mode": self.settings.mode}
            )
            await asyncio.shield(run)
        finally:
            self.ready.clear()
            await self._stop(mitm, run)
            self.listen = None
            if self.state != "failed":
                self.state = "stopped"

    async def _wait_started(self, run: "asyncio.Future[None]", started: _Started) -> None:
        waiter = asyncio.ensure_future(started.event.wait())
        pending: list[asyncio.Future[Any]] = [run, waiter]
        try:
            await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
        if run.done():
            self.state = "failed"
            run.result()  # mitmproxy's own exception, if it raised one
            raise ProxyStartError("mitmproxy stopped during startup")

    def _check_listening(self, mitm: "_Embedded") -> tuple[str, int] | None:
        proxyserver = mitm.proxyserver()
        failures = [str(server.last_exception) for server in proxyserver.servers if server.last_exception]
        if failures or len(proxyserver.servers) == 0:
            self.state = "failed"
            raise ProxyStartError("proxy failed to start: " + ("; ".join(failures) or "no server"))
        for server in proxyserver.servers:
            for address in server.listen_addrs:
                return str(address[0]), int(address[1])
        return None  # local capture mode listens on no port

    async def _stop(self, mitm: "_Embedded", run: "asyncio.Future[None]") -> None:
        try:
            await mitm.proxyserver().servers.update([])
        except Exception:
            log.exception("releasing the proxy's listening sockets failed")
        mitm.master.shutdown()
        if not run.done():
            await asyncio.wait([run])
        if not run.cancelled() and run.exception() is not None:
            log.error("mitmproxy stopped with an error", exc_info=run.exception())

    def statistics(self) -> Mapping[str, Any]:
        stats = self.addon.stats if self.addon else AddonStatistics()
        return {
            "state": self.state,
            "listen": _format_address(*self.listen) if self.listen else None,
            "mode": self.settings.mode.value,
            "intercept_hosts": len(self.matcher.patterns),
            "flows": stats.flows,
            "handled": stats.handled,
            "websocket_messages": stats.websocket_messages,
            "errors": stats.errors,
            "pipeline": dict(self.gate.statistics()) if self.gate else None,
        }
