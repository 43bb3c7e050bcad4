from pathlib import Path
from typing import Any

import pytest

from agentd.config import PathsSettings, ProxySettings, Settings
from agentd.deploy.agents import IntegrationError
from agentd.deploy.endpoint import daemon_status, listen_address, proxy_url, url_for
from tests.support.control import scripted_control


def _settings(tmp_path: Path, host: str = "127.0.0.1", port: int = 0) -> Settings:
    run_dir = Path("/tmp") / f"agentd-ep-{abs(hash(tmp_path)) % 10**8}"
    return Settings(
        paths=PathsSettings(state_dir=tmp_path, run_dir=run_dir),
        proxy=ProxySettings(listen_host=host, listen_port=port),
    )


@pytest.mark.parametrize(
    ("listen_host", "listen", "expected"),
    [
        ("127.0.0.1", "127.0.0.1:40123", "http://127.0.0.1:40123"),
        ("0.0.0.0", "0.0.0.0:40123", "http://127.0.0.1:40123"),
        ("::1", "[::1]:40123", "http://[::1]:40123"),
        ("::", ":::40123", "http://[::1]:40123"),
        ("::", "[::]:40123", "http://[::1]:40123"),
        ("localhost", "localhost:1", "http://localhost:1"),
    ],
)
def test_proxy_url_asks_the_daemon_for_a_port_it_picked(
    tmp_path: Path, listen_host: str, listen: str, expected: str
) -> None:
    settings = _settings(tmp_path, listen_host)
    with scripted_control(settings.paths.control_socket, {"status": {"proxy": {"listen": listen}}}):
        assert proxy_url(settings) == expected
        assert daemon_status(settings) == {"proxy": {"listen": listen}}


@pytest.mark.parametrize("listen", [None, "", "nonsense", "host:port", 8899, ["127.0.0.1", 1]])
def test_a_daemon_without_a_usable_address_leaves_the_port_unknown(tmp_path: Path, listen: Any) -> None:
    settings = _settings(tmp_path)
    with (
        scripted_control(settings.paths.control_socket, {"status": {"proxy": {"listen": listen}}}),
        pytest.raises(IntegrationError, match="start agentd first"),
    ):
        proxy_url(settings)


def test_no_daemon_and_a_picked_port(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    assert daemon_status(settings) is None
    with pytest.raises(IntegrationError, match="listen_port = 0"):
        proxy_url(settings)


def test_a_fixed_port_needs_no_daemon(tmp_path: Path) -> None:
    assert proxy_url(_settings(tmp_path, port=8899)) == "http://127.0.0.1:8899"
    assert listen_address(_settings(tmp_path, port=8899), {"proxy": {"listen": "127.0.0.1:9"}}) == (
        "127.0.0.1",
        9,
    )


def test_a_daemon_answering_junk_is_not_running(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    with scripted_control(settings.paths.control_socket, {"status": ["not", "a", "snapshot"]}):
        assert daemon_status(settings) is None


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        ("127.0.0.1", 1, "http://127.0.0.1:1"),
        ("", 2, "http://127.0.0.1:2"),
        ("fe80::1", 3, "http://[fe80::1]:3"),
    ],
)
def test_url_for(host: str, port: int, url: str) -> None:
    assert url_for(host, port) == url
