"""The host's Ed25519 signing key: in the OS keyring when a usable backend exists (macOS
Keychain, Secret Service), otherwise a 0600 file under ``state_dir/keys``.

The private key never leaves this module: callers get ``sign`` and the public bytes.
"""

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from agentd import keyfile
from agentd.errors import KeyStoreError

log = logging.getLogger(__name__)

KEYRING_SERVICE = "agentd"
Storage = Literal["keyring", "file"]


def key_id(public_key: bytes) -> str:
    """A short, stable name for a public key (first 16 hex digits of its SHA-256)."""
    return hashlib.sha256(public_key).hexdigest()[:16]


@dataclass(frozen=True)
class HostKey:
    """The host's signing key; ``storage`` and ``location`` say where it is kept."""

    _private: Ed25519PrivateKey = field(repr=False)
    public_bytes: bytes
    storage: Storage
    location: str

    @property
    def key_id(self) -> str:
        return key_id(self.public_bytes)

    def sign(self, data: bytes) -> bytes:
        return self._private.sign(data)

    def statistics(self) -> dict[str, Any]:
        return {"storage": self.storage, "location": self.location, "key_id": self.key_id}


def verify(public_key: bytes, signature: bytes, data: bytes) -> bool:
    """Whether ``signature`` is ``public_key``'s Ed25519 signature over ``data``."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


def usable_keyring(backend: Any = None) -> Any:
    """The keyring backend to use, or None when the OS offers none that works.

    ``backend`` overrides discovery (tests pass an in-memory backend). A backend is usable
    only if a lookup succeeds: on a headless Linux the Secret Service may be installed but
    unreachable, and the fail / null backends raise or store nothing.
    """
    if backend is None:
        try:
            import keyring
            from keyring.backends import fail, null
        except ImportError:
            return None
        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring | null.Keyring) or getattr(backend, "priority", 0) <= 0:
            return None
    try:
        backend.get_password(KEYRING_SERVICE, "probe")
    except Exception as exc:  # every keyring backend raises its own errors
        log.info("OS keyring not usable; host key goes to a file", extra={"reason": type(exc).__name__})
        return None
    return backend


def load_host_key(keys_dir: Path, host_id: str, *, keyring_backend: Any = None) -> HostKey:
    """This host's key, created on first use. KeyStoreError when it cannot be read or stored.

    A key that already exists (in the keyring or the file) is always the one used, so a
    keyring that appears later does not silently change the host's identity.
    """
    path = keys_dir / "host_ed25519"
    account = f"host-signing-key/{host_id}"
    backend = usable_keyring(keyring_backend)
    if backend is not None:
        try:
            stored = backend.get_password(KEYRING_SERVICE, account)
        except Exception as exc:
            raise KeyStoreError(f"cannot read the host key from the keyring: {type(exc).__name__}") from exc
        if stored:
            return _from_seed(bytes.fromhex(stored), "keyring", f"{KEYRING_SERVICE}/{account}")
    if path.exists():
        seed = keyfile.load_or_create(path)
        if len(seed) != 32:
            raise KeyStoreError(f"host key file {path} holds {len(seed)} bytes, expected 32")
        return _from_seed(seed, "file", str(path))
    seed = Ed25519PrivateKey.generate().private_bytes_raw()
    if backend is not None:
        try:
            backend.set_password(KEYRING_SERVICE, account, seed.hex())
        except Exception as exc:
            log.warning(
                "could not store the host key in the keyring; using a file", extra={"reason": str(exc)}
            )
        else:
            return _from_seed(seed, "keyring", f"{KEYRING_SERVICE}/{account}")
    seed = keyfile.write_new(path, seed)  # another process may have won the race: use its key
    return _from_seed(seed, "file", str(path))


def _from_seed(seed: bytes, storage: Storage, location: str) -> HostKey:
    try:
        private = Ed25519PrivateKey.from_private_bytes(seed)
    except ValueError as exc:
        raise KeyStoreError(f"the host key in {location} is not an Ed25519 key") from exc
    return HostKey(private, private.public_key().public_bytes_raw(), storage, location)


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    """Load (or create, 0600) an Ed25519 key file: the collector's policy-signing key."""
    seed = keyfile.load_or_create(path)
    if len(seed) != 32:
        raise KeyStoreError(f"signing key file {path} holds {len(seed)} bytes, expected 32")
    return Ed25519PrivateKey.from_private_bytes(seed)
