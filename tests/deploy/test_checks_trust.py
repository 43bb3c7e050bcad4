import contextlib
import socket
import ssl
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from agentd.deploy.checks_trust import check_ca, check_ca_trust, check_collector, collector_address
from agentd.deploy.doctor import Status
from tests.deploy.conftest import NOW, HostFactory
from tests.support.certs import make_ca, make_leaf


def _install_ca(tmp_path: Path, not_before: datetime = NOW - timedelta(days=1), days: int = 365) -> bytes:
    cert, key = make_ca("agentd test CA", not_before=not_before, days=days)
    ca_dir = tmp_path / "state" / "ca"
    ca_dir.mkdir(parents=True)
    (ca_dir / "mitmproxy-ca-cert.pem").write_bytes(cert)
    (ca_dir / "mitmproxy-ca.pem").write_bytes(key + cert)
    (ca_dir / "mitmproxy-ca.pem").chmod(0o600)
    return cert


def test_no_ca_yet(make_host: HostFactory) -> None:
    [before_start] = check_ca(make_host())
    assert before_start.status is Status.WARN
    [running_without] = check_ca(make_host(daemon={"pid": 1}))
    assert running_without.status is Status.FAIL
    assert check_ca_trust(make_host()) == []


@pytest.mark.parametrize(
    ("start", "days", "status", "text"),
    [
        (NOW - timedelta(days=1), 3650, Status.PASS, "valid until 2036"),
        (NOW - timedelta(days=340), 365, Status.WARN, "expires on 2026-06-26"),
        (NOW - timedelta(days=400), 365, Status.FAIL, "expired on"),
        (NOW + timedelta(days=10), 365, Status.FAIL, "not valid yet"),
    ],
)
def test_ca_validity(
    make_host: HostFactory, tmp_path: Path, start: datetime, days: int, status: Status, text: str
) -> None:
    _install_ca(tmp_path, not_before=start, days=days)
    [check] = check_ca(make_host())
    assert check.status is status
    assert text in check.summary


def test_a_private_key_readable_by_others_fails(make_host: HostFactory, tmp_path: Path) -> None:
    _install_ca(tmp_path)
    (tmp_path / "state" / "ca" / "mitmproxy-ca.pem").chmod(0o644)
    checks = check_ca(make_host())
    assert [c.name for c in checks] == ["ca", "ca.key"]
    assert checks[1].status is Status.FAIL
    assert checks[1].fix == f"chmod 600 {tmp_path / 'state' / 'ca' / 'mitmproxy-ca.pem'}"


@pytest.mark.parametrize(
    "content", [b"", b"garbage", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"]
)
def test_a_damaged_certificate_fails(make_host: HostFactory, tmp_path: Path, content: bytes) -> None:
    ca_dir = tmp_path / "state" / "ca"
    ca_dir.mkdir(parents=True)
    (ca_dir / "mitmproxy-ca-cert.pem").write_bytes(content)
    [check] = check_ca(make_host())
    assert check.status is Status.FAIL
    assert "not a PEM certificate" in check.summary


def test_the_public_copy_is_used_when_the_state_is_private(make_host: HostFactory, tmp_path: Path) -> None:
    cert, _ = make_ca("agentd test CA", not_before=NOW - timedelta(days=1))
    public = tmp_path / "root" / "usr" / "local" / "share" / "ca-certificates" / "agentd-ca.crt"
    public.parent.mkdir(parents=True)
    public.write_bytes(cert)
    [check] = check_ca(make_host())
    assert check.status is Status.PASS
    assert str(public) in check.summary


def test_trust_in_the_system_bundle(make_host: HostFactory, tmp_path: Path) -> None:
    cert = _install_ca(tmp_path)
    other, _ = make_ca("a public root")
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(other)
    [untrusted] = check_ca_trust(make_host(trust_bundle=bundle))
    assert untrusted.status is Status.WARN
    assert untrusted.fix is not None
    assert "update-ca-certificates" in untrusted.fix or "agentd-ca-trust" in untrusted.fix
    bundle.write_bytes(other + cert)
    [trusted] = check_ca_trust(make_host(trust_bundle=bundle))
    assert trusted.status is Status.PASS
    [no_bundle] = check_ca_trust(make_host(trust_bundle=None))
    assert no_bundle.status is Status.WARN


def test_trust_on_macos_asks_the_keychain(make_host: HostFactory, tmp_path: Path) -> None:
    _install_ca(tmp_path)
    [check] = check_ca_trust(make_host(platform="darwin"))
    # No `security` tool here: the check says it could not ask rather than guessing.
    assert check.status is Status.WARN


@contextlib.contextmanager
def tls_server(cert: bytes, key: bytes, tmp_path: Path, tls: bool = True) -> Iterator[int]:
    """A loopback server that completes TLS handshakes (or plain accepts) until closed."""
    (tmp_path / "leaf.pem").write_bytes(cert + key)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "leaf.pem")
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn, contextlib.suppress(OSError):
                if tls:
                    with context.wrap_socket(conn, server_side=True) as wrapped:
                        wrapped.recv(1)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        listener.close()
        thread.join(5)


@pytest.fixture
def collector_ca(tmp_path: Path) -> tuple[Path, bytes, bytes]:
    ca_cert, ca_key = make_ca("collector test CA")
    (tmp_path / "collector-ca.pem").write_bytes(ca_cert)
    leaf, leaf_key = make_leaf(ca_cert, ca_key, "localhost")
    return tmp_path / "collector-ca.pem", leaf, leaf_key


def test_collector_over_tls(
    make_host: HostFactory, tmp_path: Path, collector_ca: tuple[Path, bytes, bytes]
) -> None:
    ca_path, leaf, key = collector_ca
    with tls_server(leaf, key, tmp_path) as port:
        url = f"https://localhost:{port}"
        [trusted] = check_collector(make_host(settings={"collector": {"url": url, "ca": str(ca_path)}}))
        assert trusted.status is Status.PASS, trusted.summary
        assert trusted.summary.startswith(f"localhost:{port} reachable over TLSv1")
        [untrusted] = check_collector(make_host(settings={"collector": {"url": url}}))
        assert untrusted.status is Status.FAIL
        assert "does not verify" in untrusted.summary
        assert untrusted.fix is not None
        assert "[collector] ca" in untrusted.fix


def test_collector_plaintext_and_unreachable(
    make_host: HostFactory, tmp_path: Path, collector_ca: tuple[Path, bytes, bytes]
) -> None:
    _, leaf, key = collector_ca
    with tls_server(leaf, key, tmp_path, tls=False) as port:
        [plain] = check_collector(make_host(settings={"collector": {"url": f"http://127.0.0.1:{port}"}}))
    assert plain.status is Status.WARN
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    [refused] = check_collector(make_host(settings={"collector": {"url": f"127.0.0.1:{closed}"}}))
    assert refused.status is Status.FAIL
    assert "unreachable" in refused.summary


@pytest.mark.parametrize(
    ("collector", "text"),
    [
        ({}, "no collector configured"),
        ({"url": "https://"}, "url is unusable"),
        ({"url": "https://localhost:1", "ca": "/nonexistent/ca.pem"}, "cannot load"),
        ({"url": "https://localhost:1", "client_cert": "/nonexistent/c.pem"}, "cannot load"),
    ],
)
def test_collector_configuration_problems(
    make_host: HostFactory, collector: dict[str, str], text: str
) -> None:
    [check] = check_collector(make_host(settings={"collector": collector}))
    assert text in check.summary
    assert check.fix is not None


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("https://c.example:8443", ("https", "c.example", 8443)),
        ("https://c.example", ("https", "c.example", 443)),
        ("c.example:9000", ("https", "c.example", 9000)),
        ("http://[::1]:7000/path", ("http", "::1", 7000)),
    ],
)
def test_collector_address(url: str, address: tuple[str, str, int]) -> None:
    assert collector_address(url) == address
