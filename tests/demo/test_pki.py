import ssl
import stat
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509

from agentd.demo.pki import make_pki


def test_a_server_certificate_the_ca_vouches_for(tmp_path: Path) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    pki = make_pki(tmp_path / "pki", now)
    cert = x509.load_pem_x509_certificate(pki.cert.read_bytes())
    assert cert.not_valid_before_utc < now < cert.not_valid_after_utc
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert stat.S_IMODE(pki.key.stat().st_mode) == 0o600
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(pki.cert, pki.key)  # the pair matches
    client = ssl.create_default_context(cafile=str(pki.ca_cert))
    assert client.cert_store_stats()["x509_ca"] == 1
