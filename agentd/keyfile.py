"""Small secret files (the fingerprint HMAC key, file-backed signing keys): created 0600, atomically."""

import contextlib
import os
import secrets
from pathlib import Path

from agentd.errors import KeyStoreError


def load_or_create(path: Path, size: int = 32) -> bytes:
    """The bytes in ``path``, creating it with ``size`` random bytes (mode 0600) when absent."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise KeyStoreError(f"cannot read key file {path}: {exc.strerror}") from exc
    else:
        if len(data) < 16:
            raise KeyStoreError(f"key file {path} is too short ({len(data)} bytes)")
        return data
    return write_new(path, secrets.token_bytes(size))


def write_new(path: Path, data: bytes) -> bytes:
    """Write ``data`` to ``path`` 0600 unless it exists; return whatever the file then holds."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            # link() fails if another process won the race; its key is the one to use.
            os.link(tmp, path)
        except FileExistsError:
            return path.read_bytes()
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
    except OSError as exc:
        raise KeyStoreError(f"cannot create key file {path}: {exc.strerror}") from exc
    return data


def host_id(state_dir: Path) -> str:
    """This host's stable id (created on first use), carried by every event and batch."""
    return load_or_create(state_dir / "host_id", size=16).hex()
