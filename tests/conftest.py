"""Guards for every test: no stray agentd config layers, no inherited proxy variables."""

from pathlib import Path

import pytest

from tests.support.agentd_env import AgentdHome, make_home

_PROXY_VARS = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
)


@pytest.fixture(autouse=True)
def _isolated_config(monkeypatch: pytest.MonkeyPatch) -> None:
    # An empty value switches a layer off: a config on the machine running the tests
    # must never leak into them.
    monkeypatch.setenv("AGENTD_SYSTEM_CONFIG", "")
    monkeypatch.setenv("AGENTD_MANAGED_CONFIG", "")
    monkeypatch.delenv("AGENTD_CONFIG", raising=False)
    for var in _PROXY_VARS:
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def agentd_home(tmp_path: Path) -> AgentdHome:
    """A config file whose state and run dirs live under tmp_path; port 0 for the proxy."""
    return make_home(tmp_path)
