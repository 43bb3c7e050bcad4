"""How this host is set up for agentd, as the running daemon sees it: the CA and its trust,
and each installed agent's hooks and proxy environment — doctor's checks, run in the
background so `agentd status` can show them without paying for them.

Also ``self_watch``, the factory for the daemon's self-watching components.
"""

import asyncio
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from agentd.clock import Clock
from agentd.config import LoadedSettings
from agentd.deploy import ca_files, checks_agents, checks_trust
from agentd.deploy.agents import Places
from agentd.deploy.doctor import Check, CheckFunction, Host, run
from agentd.deploy.launcher import this_agentd
from agentd.events import Stamper
from agentd.observe.activity import Activity
from agentd.observe.footprint import CaptureLevelLever, Footprint, Lever
from agentd.record.spool import Spool

CHECKS: tuple[CheckFunction, ...] = (
    checks_trust.check_ca,
    checks_trust.check_ca_trust,
    checks_agents.check_agents,
    checks_agents.check_managed,
)
RECHECK_SECONDS = 300.0  # settings files and trust stores change rarely; doctor checks live
WAIT_FOR_PROXY_SECONDS = 1.0


class Component(Protocol):
    name: str

    async def serve(self) -> None: ...

    def statistics(self) -> Mapping[str, Any]: ...


Listen = Callable[[], str | None]


class Posture:
    """Component ``integration``: reruns the CA and agent checks every few minutes in a thread."""

    name = "integration"

    def __init__(
        self,
        loaded: LoadedSettings,
        clock: Clock,
        listen: Listen,
        *,
        places: Places | None = None,
        environ: Mapping[str, str] | None = None,
        interval: float = RECHECK_SECONDS,
    ) -> None:
        self.loaded = loaded
        self.clock = clock
        self.listen = listen
        env = dict(os.environ if environ is None else environ)
        self.places = places or Places(home=Path.home(), platform=sys.platform, environ=env)
        self.agentd = this_agentd(env)
        self.interval = interval
        self.results: list[Check] = []
        self.checked: str | None = None
        self.runs = 0

    async def serve(self) -> None:
        settings = self.loaded.settings
        while True:
            # The agents' proxy setting is compared with the address the proxy really got.
            if settings.proxy.enabled and settings.proxy.listen_port == 0 and self.listen() is None:
                await self.clock.sleep(WAIT_FOR_PROXY_SECONDS)
                continue
            self.results = await asyncio.to_thread(self.check)
            self.checked = self.clock.now().isoformat()
            self.runs += 1
            await self.clock.sleep(self.interval)

    def check(self) -> list[Check]:
        listen = self.listen()
        host = Host(
            settings=self.loaded.settings,
            loaded=self.loaded,
            config_error=None,
            places=self.places,
            agentd=self.agentd,
            daemon={"proxy": {"listen": listen}},
            now=self.clock.now(),
            trust_bundle=ca_files.system_bundle() if self.places.platform != "darwin" else None,
        )
        return run(host, CHECKS)

    def statistics(self) -> Mapping[str, Any]:
        ca = next((c for c in self.results if c.name == "ca"), None)
        trust = next((c for c in self.results if c.name == "ca.trust"), None)
        agents: dict[str, dict[str, Any]] = {}
        for result in self.results:
            parts = result.name.split(".")
            if parts[0] == "agent" and len(parts) >= 2:
                entry = agents.setdefault(parts[1], {"installed": len(parts) == 3})
                if len(parts) == 3:
                    entry[parts[2]] = {"status": result.status.value, "summary": result.summary}
        managed = next((c for c in self.results if c.name == "managed"), None)
        return {
            "checked": self.checked,
            "ca": {
                "path": str(ca_files.state_cert(self.loaded.settings.paths)),
                "status": ca.status.value if ca else None,
                "summary": ca.summary if ca else None,
                "system_trust": _verdict(trust),
            },
            "agents": agents,
            "managed": _verdict(managed),
        }


def _verdict(check: Check | None) -> dict[str, Any] | None:
    if check is None:
        return None
    return {"status": check.status.value, "summary": check.summary, "fix": check.fix}


def self_watch(
    loaded: LoadedSettings,
    *,
    spool: Spool,
    stamp: Stamper,
    clock: Clock,
    components: Iterable[Component],
    inspector: Any | None = None,
) -> list[Component]:
    """The daemon's self-protection (``footprint``), what is active now (``activity``) and its
    set-up report (``integration``), for `agentd status`. ``inspector`` is the proxy's content
    inspector (anything with a mutable ``level``), whose ``full`` capture can be shed."""
    components = list(components)
    levers: list[Lever] = [CaptureLevelLever(inspector)] if inspector is not None else []
    proxy = next((c for c in components if c.name == "proxy"), None)

    def listen() -> str | None:
        value = proxy.statistics().get("listen") if proxy is not None else None
        return value if isinstance(value, str) else None

    return [
        Footprint(sink=spool, stamp=stamp, clock=clock, levers=levers),
        Activity(spool, clock),
        Posture(loaded, clock, listen),
    ]
