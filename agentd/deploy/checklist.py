"""The doctor's checks in the order they are reported, and gathering the Host they look at."""

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from agentd.clock import SystemClock
from agentd.config import Settings, load
from agentd.deploy import ca_files, checks_agents, checks_host, checks_runtime, checks_trust
from agentd.deploy.agents import Places
from agentd.deploy.doctor import CheckFunction, Host
from agentd.deploy.endpoint import daemon_status
from agentd.deploy.launcher import this_agentd
from agentd.errors import ConfigError
from agentd.paths import config_files

CHECKS: tuple[CheckFunction, ...] = (
    checks_runtime.check_python,
    checks_runtime.check_dependencies,
    checks_runtime.check_config,
    checks_host.check_daemon,
    checks_host.check_port,
    checks_trust.check_ca,
    checks_trust.check_ca_trust,
    checks_agents.check_agents,
    checks_agents.check_managed,
    checks_trust.check_collector,
    checks_host.check_keys,
    checks_host.check_spool_disk,
    checks_host.check_file_watches,
)


def gather(config_path: Path | None, environ: Mapping[str, str] | None = None) -> Host:
    """Load the settings (a bad file becomes the config check's failure, not an exit) and ask
    the daemon for its status."""
    env = dict(os.environ if environ is None else environ)
    try:
        loaded = load(config_files(config_path))
        settings, error = loaded.settings, None
    except ConfigError as exc:
        loaded, settings, error = None, Settings(), str(exc)
    places = Places(home=Path.home(), platform=sys.platform, environ=env)
    return Host(
        settings=settings,
        loaded=loaded,
        config_error=error,
        places=places,
        agentd=this_agentd(env),
        daemon=daemon_status(settings),
        now=SystemClock().now(),
        trust_bundle=ca_files.system_bundle(),
    )
