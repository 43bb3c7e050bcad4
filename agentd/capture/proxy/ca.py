"""agentd's interception CA: mitmproxy's confdir under ``state_dir/ca``, and the PEM bundles
built from it — system roots plus agentd's CA (for Codex's ``SSL_CERT_FILE``) and certifi plus
``[proxy] upstream_ca`` (what the proxy trusts upstream). Private key material is 0600.
"""

import contextlib
import os
import shutil
import ssl
import tempfile
from pathlib import Path

import certifi

from agentd.errors import ConfigError

# mitmproxy's file names (mitmproxy.options.CONF_BASENAME); mitmproxy itself is imported only
# when a CA has to be created, so `agentd env` and `agentd ca` start fast.
CONF_BASENAME = "mitmproxy"
KEY_SIZE = 2048
_ORGANIZATION = "agentd"
_COMMON_NAME = "agentd local interception CA"


def _system_roots() -> Path:
    """The OS trust bundle OpenSSL uses, else certifi's (macOS keeps its roots in the keychain)."""
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile):
        if candidate and Path(candidate).is_file() and Path(candidate).stat().st_size > 0:
            return Path(candidate)
    return Path(certifi.where())


def _write_atomically(path: Path, data: bytes, mode: int) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


class CertificateAuthority:
    """The CA files in ``directory`` (mitmproxy's confdir layout, basename ``mitmproxy``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @property
    def cert_path(self) -> Path:
        """The public certificate agents trust (``NODE_EXTRA_CA_CERTS``)."""
        return self.directory / f"{CONF_BASENAME}-ca-cert.pem"

    @property
    def key_path(self) -> Path:
        """Certificate and private key: never leaves the host, mode 0600."""
        return self.directory / f"{CONF_BASENAME}-ca.pem"

    @property
    def client_bundle_path(self) -> Path:
        """System roots plus agentd's CA, for clients that replace rather than extend trust."""
        return self.directory / "roots-and-agentd-ca.pem"

    @property
    def upstream_bundle_path(self) -> Path:
        return self.directory / "upstream-trust.pem"

    def exists(self) -> bool:
        return self.key_path.is_file() and self.cert_path.is_file()

    def ensure(self) -> None:
        """Create the CA when absent (atomically, so a CLI and the daemon may race) and make
        sure the key-bearing files are 0600 and the client bundle exists."""
        self.directory.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not self.exists():
            from mitmproxy.certs import CertStore

            staging = Path(tempfile.mkdtemp(dir=self.directory.parent, prefix=".ca-"))
            try:
                CertStore.create_store(
                    staging, CONF_BASENAME, KEY_SIZE, organization=_ORGANIZATION, cn=_COMMON_NAME
                )
                try:
                    staging.rename(self.directory)
                except OSError:
                    # The directory exists: another process won, or an earlier run left it
                    # without a CA. Only fill it in when the CA is still missing.
                    if not self.exists():
                        self.directory.mkdir(mode=0o700, exist_ok=True)
                        for item in staging.iterdir():
                            os.replace(item, self.directory / item.name)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        self.directory.chmod(0o700)
        for secret in self.directory.glob(f"{CONF_BASENAME}-ca.*"):
            secret.chmod(0o600)
        if not self.client_bundle_path.is_file():
            self.write_client_bundle()

    def write_client_bundle(self) -> Path:
        roots = _system_roots().read_bytes().rstrip(b"\n") + b"\n"
        _write_atomically(self.client_bundle_path, roots + self.cert_path.read_bytes(), 0o644)
        return self.client_bundle_path

    def write_upstream_bundle(self, upstream_ca: Path) -> Path:
        """certifi's roots plus ``upstream_ca``: what the proxy verifies upstream servers with."""
        try:
            extra = upstream_ca.read_bytes()
        except OSError as exc:
            raise ConfigError(
                f"proxy.upstream_ca = {str(upstream_ca)!r}: cannot read: {exc.strerror}"
            ) from exc
        if b"-----BEGIN CERTIFICATE-----" not in extra:
            raise ConfigError(f"proxy.upstream_ca = {str(upstream_ca)!r}: expected PEM certificates")
        roots = Path(certifi.where()).read_bytes().rstrip(b"\n") + b"\n"
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        _write_atomically(self.upstream_bundle_path, roots + extra, 0o600)
        return self.upstream_bundle_path
