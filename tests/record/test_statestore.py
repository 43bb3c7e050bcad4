from pathlib import Path

import pytest

from agentd.errors import SpoolCorrupt
from agentd.record.statestore import StateStore


def test_values_and_sets_survive_reopen(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    store = StateStore(path)
    store.put("labels", "s1", {"untrusted_content": True})
    assert store.add_members("seen", "s1", ["a", "b", "a"]) == ["a", "b"]
    store.close()
    again = StateStore(path)
    assert again.get("labels", "s1") == {"untrusted_content": True}
    assert again.add_members("seen", "s1", ["b", "c"]) == ["c"]
    assert again.has_member("seen", "s1", "a")
    assert not again.has_member("seen", "s2", "a")
    assert list(again.items("labels")) == [("s1", {"untrusted_content": True})]
    again.delete("labels", "s1")
    assert again.get("labels", "s1", "gone") == "gone"
    assert path.stat().st_mode & 0o777 == 0o600
    again.close()


def test_a_corrupt_file_is_reported_as_such(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(SpoolCorrupt, match="unusable"):
        StateStore(path)
