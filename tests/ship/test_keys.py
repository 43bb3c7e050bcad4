from pathlib import Path

import pytest
from keyring.backend import KeyringBackend

from agentd.errors import KeyStoreError
from agentd.ship.keys import KEYRING_SERVICE, key_id, load_host_key, load_signing_key, usable_keyring, verify


class MemoryKeyring(KeyringBackend):
    """A real keyring backend kept in memory: stands in for the macOS Keychain / Secret Service."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


class LockedKeyring(MemoryKeyring):
    """A backend that is installed but cannot be reached (a headless session's Secret Service)."""

    def get_password(self, service: str, username: str) -> str | None:
        raise RuntimeError("no D-Bus session")


def test_without_a_usable_keyring_the_key_is_a_private_file(tmp_path: Path) -> None:
    assert usable_keyring() is None  # this machine has no OS keyring; the fallback is what runs
    key = load_host_key(tmp_path / "keys", "host1")
    assert key.storage == "file"
    path = tmp_path / "keys" / "host_ed25519"
    assert key.location == str(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "keys").stat().st_mode & 0o777 == 0o700
    again = load_host_key(tmp_path / "keys", "host1")
    assert again.public_bytes == key.public_bytes
    signature = key.sign(b"payload")
    assert verify(key.public_bytes, signature, b"payload")
    assert not verify(key.public_bytes, signature, b"payloaD")
    assert not verify(b"short", signature, b"payload")
    assert key.statistics() == {"storage": "file", "location": str(path), "key_id": key_id(key.public_bytes)}
    assert "Ed25519PrivateKey" not in repr(key)


def test_a_usable_keyring_holds_the_key(tmp_path: Path) -> None:
    backend = MemoryKeyring()
    key = load_host_key(tmp_path / "keys", "host1", keyring_backend=backend)
    assert key.storage == "keyring"
    assert (KEYRING_SERVICE, "host-signing-key/host1") in backend.items
    assert not (tmp_path / "keys" / "host_ed25519").exists()
    assert load_host_key(tmp_path / "keys", "host1", keyring_backend=backend).public_bytes == key.public_bytes


def test_an_existing_file_key_stays_when_a_keyring_appears(tmp_path: Path) -> None:
    first = load_host_key(tmp_path / "keys", "host1")
    later = load_host_key(tmp_path / "keys", "host1", keyring_backend=MemoryKeyring())
    assert later.storage == "file"
    assert later.public_bytes == first.public_bytes


def test_an_unreachable_keyring_falls_back_to_a_file(tmp_path: Path) -> None:
    assert usable_keyring(LockedKeyring()) is None
    key = load_host_key(tmp_path / "keys", "host1", keyring_backend=LockedKeyring())
    assert key.storage == "file"


@pytest.mark.parametrize("content", [b"short", b"x" * 40])
def test_a_damaged_key_file_is_a_key_store_error(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "host_ed25519").write_bytes(content)
    with pytest.raises(KeyStoreError):
        load_host_key(tmp_path / "keys", "host1")


def test_a_damaged_keyring_entry_is_a_key_store_error(tmp_path: Path) -> None:
    backend = MemoryKeyring()
    backend.set_password(KEYRING_SERVICE, "host-signing-key/host1", "00" * 5)
    with pytest.raises(KeyStoreError, match="not an Ed25519 key"):
        load_host_key(tmp_path / "keys", "host1", keyring_backend=backend)


def test_signing_keys_load_or_are_created(tmp_path: Path) -> None:
    key = load_signing_key(tmp_path / "k")
    assert (
        load_signing_key(tmp_path / "k").public_key().public_bytes_raw()
        == key.public_key().public_bytes_raw()
    )
    (tmp_path / "bad").write_bytes(b"y" * 20)
    with pytest.raises(KeyStoreError):
        load_signing_key(tmp_path / "bad")


def test_key_ids_are_short_and_stable() -> None:
    assert key_id(b"\x00" * 32) == key_id(b"\x00" * 32)
    assert len(key_id(b"\x00" * 32)) == 16
    assert key_id(b"\x00" * 32) != key_id(b"\x01" * 32)
