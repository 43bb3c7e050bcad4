"""Throwaway X.509 material: a CA and the leaf certificates it signs, as PEM.

The demo's local upstream uses it (agentd trusts the CA through ``[proxy] upstream_ca``), and
so do the tests' upstreams and collectors: one implementation of certificate building.
"""

import datetime
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HOSTS = ("localhost", "127.0.0.1")
_PEM = serialization.Encoding.PEM


@dataclass(frozen=True)
class UpstreamPki:
    ca_cert: Path
    cert: Path
    key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(_PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def make_ca(common_name: str, start: datetime.datetime, end: datetime.datetime) -> tuple[bytes, bytes]:
    """(certificate PEM, private key PEM) of a self-signed CA valid from ``start`` to ``end``."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(_PEM), _key_pem(key)


def make_leaf(
    ca_cert: bytes,
    ca_key: bytes,
    hosts: Sequence[str],
    start: datetime.datetime,
    end: datetime.datetime,
) -> tuple[bytes, bytes]:
    """(certificate PEM, private key PEM) for ``hosts`` (DNS names or IP addresses), signed by
    the CA; usable by a TLS server or, for mutual TLS, a client."""
    issuer = x509.load_pem_x509_certificate(ca_cert)
    signer = serialization.load_pem_private_key(ca_key, password=None)
    assert isinstance(signer, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(hosts[0]))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False
        )
        .sign(signer, hashes.SHA256())
    )
    return cert.public_bytes(_PEM), _key_pem(key)


def write_pki(
    directory: Path,
    start: datetime.datetime,
    end: datetime.datetime,
    hosts: Sequence[str] = HOSTS,
    ca_name: str = "agentd demo upstream CA",
) -> UpstreamPki:
    """Write a CA and a server certificate for ``hosts`` it signed into ``directory`` (key 0600)."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    ca_cert, ca_key = make_ca(ca_name, start, end)
    cert, key = make_leaf(ca_cert, ca_key, hosts, start, end)
    pki = UpstreamPki(
        directory / "upstream-ca.pem", directory / "upstream.pem", directory / "upstream-key.pem"
    )
    pki.ca_cert.write_bytes(ca_cert)
    pki.cert.write_bytes(cert)
    pki.key.touch(mode=0o600)
    pki.key.write_bytes(key)
    return pki


def make_pki(directory: Path, now: datetime.datetime) -> UpstreamPki:
    """The demo's upstream certificates, valid one day either side of ``now``."""
    return write_pki(directory, now - datetime.timedelta(days=1), now + datetime.timedelta(days=1))
