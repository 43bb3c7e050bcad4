"""Where agentd's interception CA certificate lives, and whether a trust bundle holds it.

The daemon keeps its CA in ``state_dir/ca`` (mitmproxy's file names; private, mode 0700).
A system install also publishes the certificate where every user can read it and the OS
trust store picks it up; agents' settings point at that public copy.
"""

import hashlib
import os
import ssl
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from agentd.config import PathsSettings

if TYPE_CHECKING:
    from cryptography import x509

STATE_CERT_NAME = "mitmproxy-ca-cert.pem"  # capture/proxy/ca.py's CertificateAuthority.cert_path
STATE_KEY_NAME = "mitmproxy-ca.pem"

# The public copy a system install trusts: Debian's update-ca-certificates reads
# /usr/local/share/ca-certificates/*.crt; macOS agents read this path from managed settings.
LINUX_PUBLIC_CERT = Path("usr/local/share/ca-certificates/agentd-ca.crt")
MACOS_PUBLIC_CERT = Path("Library/Application Support/agentd/agentd-ca.pem")

SYSTEM_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu
    "/etc/pki/tls/certs/ca-bundle.crt",  # Fedora, RHEL
    "/etc/ssl/cert.pem",  # Alpine, macOS (OpenSSL's view; the keychain is separate)
)


def state_cert(paths: PathsSettings) -> Path:
    return paths.ca_dir / STATE_CERT_NAME


def state_key(paths: PathsSettings) -> Path:
    return paths.ca_dir / STATE_KEY_NAME


def public_cert(platform: str, root: Path = Path("/")) -> Path:
    return root / (MACOS_PUBLIC_CERT if platform == "darwin" else LINUX_PUBLIC_CERT)


def cert_for_agents(paths: PathsSettings, platform: str, system: bool, root: Path = Path("/")) -> Path:
    """The CA file to name in agents' settings: the public copy for managed settings; for one
    user, the daemon's own file when they can read it (their own daemon), else the public
    copy a system install publishes (the service's state dir is private to it)."""
    public = public_cert(platform, root)
    if system:
        return public
    state = state_cert(paths)
    if os.access(state, os.R_OK) or not public.is_file():
        return state
    return public


def fingerprints(pem: bytes) -> set[str]:
    """SHA-256 fingerprints of every certificate in a PEM blob; unparsable blocks are skipped."""
    from cryptography import x509

    found: set[str] = set()
    for block in pem.split(b"-----END CERTIFICATE-----"):
        start = block.find(b"-----BEGIN CERTIFICATE-----")
        if start < 0:
            continue
        try:
            with warnings.catch_warnings():
                # Trust bundles carry old roots (negative serials...) that are not ours to judge.
                warnings.simplefilter("ignore")
                cert = x509.load_pem_x509_certificate(block[start:] + b"-----END CERTIFICATE-----\n")
        except ValueError:
            continue
        found.add(fingerprint(cert))
    return found


def fingerprint(cert: "x509.Certificate") -> str:
    from cryptography.hazmat.primitives.serialization import Encoding

    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


def load_certificate(path: Path) -> "x509.Certificate":
    """The first certificate in a PEM file; OSError or ValueError when it cannot be read."""
    from cryptography import x509

    return x509.load_pem_x509_certificate(path.read_bytes())


def system_bundle() -> Path | None:
    """The PEM bundle OpenSSL-based clients on this machine trust, if there is one."""
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile, *SYSTEM_BUNDLES):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None
