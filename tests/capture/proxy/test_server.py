import asyncio
import base64
import socket
import ssl
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from agentd.capture.proxy.ca import CertificateAuthority
from agentd.capture.proxy.server import ProxyServer, ProxyStartError, mode_options
from agentd.config import ProxyMode, ProxySettings
from agentd.errors import ConfigError
from tests.support import secrets
from tests.support.clients import Connection, in_thread, tls_through
from tests.support.proxy import running_proxy
from tests.support.upstreams import ConnectProxy, Reply, Upstream, make_pki


def _free_to_bind(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


async def test_start_reports_the_bound_port_and_stop_releases_it(tmp_path: Path) -> None:
    async with running_proxy(tmp_path) as proxy:
        port = proxy.port
        stats = proxy.server.statistics()
        assert stats["listen"] == f"127.0.0.1:{port}"
        assert stats["state"] == "running"
        assert stats["mode"] == "regular"
        assert not _free_to_bind(port)
    assert _free_to_bind(port), "the listening socket is closed when the component stops"
    assert proxy.server.statistics()["state"] == "stopped"
    assert proxy.server.statistics()["listen"] is None


async def test_a_fixed_port_can_be_reused_after_stop(tmp_path: Path) -> None:
    async with running_proxy(tmp_path) as first:
        port = first.port
    settings = ProxySettings(listen_port=port)
    server = ProxyServer(settings, CertificateAuthority(tmp_path / "ca"), None)
    task = asyncio.ensure_future(server.serve())
    await server.ready.wait()
    assert server.port == port
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert _free_to_bind(port)


async def test_a_taken_port_fails_clearly(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        server = ProxyServer(ProxySettings(listen_port=port), CertificateAuthority(tmp_path / "ca"), None)
        with pytest.raises(ProxyStartError, match=str(port)):
            await server.serve()
    assert server.statistics()["state"] == "failed"


def _handshake(
    proxy_port: int, target_host: str, target_port: int, context: ssl.SSLContext
) -> x509.Certificate:
    with tls_through(proxy_port, target_host, target_port, context) as tls:
        der = tls.getpeercert(binary_form=True)
        assert der is not None
        return x509.load_der_x509_certificate(der)


async def test_hosts_off_the_list_present_their_own_certificate(tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    with Upstream(lambda _r: Reply.json({}), pki) as upstream:
        async with running_proxy(tmp_path, pki=pki, intercept=("localhost",)) as proxy:
            # 127.0.0.1 is not on the list: the tunnel is untouched, upstream's certificate shows.
            own = await in_thread(
                lambda: _handshake(proxy.port, "127.0.0.1", upstream.port, pki.client_context())
            )
            assert own.issuer.rfc4514_string() == "CN=agentd test upstream CA"
            with pytest.raises(ssl.SSLCertVerificationError):
                await in_thread(
                    lambda: _handshake(proxy.port, "127.0.0.1", upstream.port, proxy.client_context())
                )
            # localhost is on the list: agentd intercepts and presents a certificate from its CA.
            minted = await in_thread(
                lambda: _handshake(proxy.port, "localhost", upstream.port, proxy.client_context())
            )
            assert "agentd" in minted.issuer.rfc4514_string()
    assert proxy.server.statistics()["flows"] == 0, "no HTTP flow was opened by handshakes alone"


async def test_upstream_certificates_are_verified(tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    with Upstream(lambda _r: Reply.json({"ok": True}), pki) as upstream:
        # No upstream_ca: the test CA is not trusted, so the proxy refuses to talk to upstream.
        async with running_proxy(tmp_path, pki=None) as proxy:

            def call() -> int:
                with tls_through(proxy.port, "localhost", upstream.port, proxy.client_context()) as tls:
                    return Connection(tls).request("GET", "localhost", "/").status

            assert await in_thread(call) == 502
        assert upstream.requests == []


async def test_upstream_mode_chains_through_the_corporate_proxy(tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    with Upstream(lambda _r: Reply.json({"ok": True}), pki) as upstream, ConnectProxy() as corporate:
        secret = secrets.password("corporate-proxy")
        settings = ProxySettings(
            mode=ProxyMode.UPSTREAM, upstream_proxy=f"http://alice:{secret}@127.0.0.1:{corporate.port}"
        )
        async with running_proxy(tmp_path, pki=pki, settings=settings) as proxy:
            assert proxy.server.statistics()["mode"] == "upstream"

            def call() -> Any:
                with tls_through(proxy.port, "localhost", upstream.port, proxy.client_context()) as tls:
                    return Connection(tls).request("GET", "localhost", "/v1/models")

            response = await in_thread(call)
        assert response.status == 200
        assert response.body == b'{"ok": true}'
        target, auth = corporate.connects[0]
        assert target == f"localhost:{upstream.port}"
        assert auth == "Basic " + base64.b64encode(f"alice:{secret}".encode()).decode()


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (ProxySettings(), {"mode": ["regular@127.0.0.1:8899"]}),
        (ProxySettings(listen_host="::1", listen_port=0), {"mode": ["regular@::1:0"]}),
        (
            ProxySettings(mode=ProxyMode.UPSTREAM, upstream_proxy="http://proxy.corp:3128"),
            {"mode": ["upstream:http://proxy.corp:3128@127.0.0.1:8899"]},
        ),
        (
            ProxySettings(mode=ProxyMode.UPSTREAM, upstream_proxy="https://u:p@proxy.corp"),
            {"mode": ["upstream:https://proxy.corp@127.0.0.1:8899"], "upstream_auth": "u:p"},
        ),
        (ProxySettings(mode=ProxyMode.LOCAL), {"mode": ["local"]}),
        (ProxySettings(mode=ProxyMode.LOCAL, local_processes="claude,node"), {"mode": ["local:claude,node"]}),
    ],
)
def test_mode_options(settings: ProxySettings, expected: dict[str, Any]) -> None:
    assert mode_options(settings) == expected


@pytest.mark.parametrize("upstream", [None, "", "socks5://proxy:1080", "proxy.corp:3128", "http://"])
def test_upstream_mode_needs_an_http_proxy_url(upstream: str | None) -> None:
    with pytest.raises(ConfigError, match="upstream_proxy"):
        mode_options(ProxySettings(mode=ProxyMode.UPSTREAM, upstream_proxy=upstream))


def test_bad_intercept_entries_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"proxy\.intercept_hosts"):
        ProxyServer(ProxySettings(intercept_hosts=("bad host",)), CertificateAuthority(tmp_path), None)


async def test_an_unusable_ca_directory_fails_clearly(tmp_path: Path) -> None:
    (tmp_path / "state").write_text("a file where the state directory should be")
    server = ProxyServer(ProxySettings(listen_port=0), CertificateAuthority(tmp_path / "state" / "ca"), None)
    with pytest.raises(ProxyStartError, match="cannot prepare the CA"):
        await server.serve()
    assert server.statistics()["state"] == "failed"
