from pathlib import Path

import pytest

from agentd.errors import KeyStoreError
from agentd.keyfile import load_or_create


def test_created_once_0600_and_stable(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "fp.key"
    first = load_or_create(path)
    assert len(first) == 32
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert load_or_create(path) == first
    assert not list(path.parent.glob(".*tmp"))


def test_short_or_unreadable_files_are_errors(tmp_path: Path) -> None:
    short = tmp_path / "short.key"
    short.write_bytes(b"abc")
    with pytest.raises(KeyStoreError, match="too short"):
        load_or_create(short)
    folder = tmp_path / "dir.key"
    folder.mkdir()
    with pytest.raises(KeyStoreError, match="cannot read"):
        load_or_create(folder)


def test_host_id_is_stable_hex(tmp_path: Path) -> None:
    from agentd.keyfile import host_id

    first = host_id(tmp_path)
    assert len(first) == 32
    int(first, 16)
    assert host_id(tmp_path) == first
