import concurrent.futures
import ssl
from pathlib import Path

import certifi
import pytest
from cryptography import x509

from agentd.capture.proxy.ca import CertificateAuthority
from agentd.errors import ConfigError
from tests.support.upstreams import make_pki


def test_creates_an_agentd_ca_with_private_parts_owner_only(tmp_path: Path) -> None:
    ca = CertificateAuthority(tmp_path / "state" / "ca")
    assert not ca.exists()
    ca.ensure()
    assert ca.exists()
    cert = x509.load_pem_x509_certificate(ca.cert_path.read_bytes())
    assert "agentd" in cert.subject.rfc4514_string()
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert b"PRIVATE KEY" not in ca.cert_path.read_bytes()
    assert b"PRIVATE KEY" in ca.key_path.read_bytes()
    assert ca.directory.stat().st_mode & 0o777 == 0o700
    for secret in ca.directory.glob("mitmproxy-ca.*"):
        assert secret.stat().st_mode & 0o777 == 0o600, secret


def test_ensure_keeps_an_existing_ca(tmp_path: Path) -> None:
    ca = CertificateAuthority(tmp_path / "ca")
    ca.ensure()
    first = ca.key_path.read_bytes()
    ca.key_path.chmod(0o644)  # someone loosened it: ensure() tightens it again
    CertificateAuthority(tmp_path / "ca").ensure()
    assert ca.key_path.read_bytes() == first
    assert ca.key_path.stat().st_mode & 0o777 == 0o600


def test_concurrent_creation_yields_one_ca(tmp_path: Path) -> None:
    directory = tmp_path / "ca"
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: CertificateAuthority(directory).ensure(), range(4)))
    ca = CertificateAuthority(directory)
    key_pem = ca.key_path.read_bytes()
    cert = x509.load_pem_x509_certificate(ca.cert_path.read_bytes())
    assert x509.load_pem_x509_certificate(key_pem).fingerprint(
        cert.signature_hash_algorithm
    ) == cert.fingerprint(cert.signature_hash_algorithm)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".ca-")], "staging dirs are cleaned up"


def test_client_bundle_holds_system_roots_and_the_agentd_ca(tmp_path: Path) -> None:
    ca = CertificateAuthority(tmp_path / "ca")
    ca.ensure()
    bundle = ca.client_bundle_path.read_text()
    assert bundle.count("-----BEGIN CERTIFICATE-----") > 50, "the system roots are included"
    assert bundle.endswith(ca.cert_path.read_text())
    # Usable as a CA file by an ordinary TLS client.
    ssl.create_default_context(cafile=str(ca.client_bundle_path))


def test_upstream_bundle_extends_certifi(tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    ca = CertificateAuthority(tmp_path / "ca")
    path = ca.write_upstream_bundle(pki.ca_cert)
    text = path.read_bytes()
    assert text.startswith(Path(certifi.where()).read_bytes().rstrip(b"\n"))
    assert text.endswith(pki.ca_cert.read_bytes())
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("content", [None, b"", b"not a certificate"])
def test_unusable_upstream_ca_is_a_config_error(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "upstream.pem"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ConfigError, match=r"proxy\.upstream_ca"):
        CertificateAuthority(tmp_path / "ca").write_upstream_bundle(path)


def test_file_names_are_mitmproxys() -> None:
    from mitmproxy.options import CONF_BASENAME as MITMPROXY_BASENAME

    from agentd.capture.proxy.ca import CONF_BASENAME

    assert CONF_BASENAME == MITMPROXY_BASENAME
