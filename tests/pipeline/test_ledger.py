from pathlib import Path

from agentd.pipeline.ledger import Ledger
from agentd.record.statestore import StateStore


def test_claims_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    store = StateStore(path)
    ledger = Ledger(store)
    assert ledger.start_session("s1")
    assert not ledger.start_session("s1")
    assert ledger.claim_messages("s1", ["a", "b"]) == ["a", "b"]
    assert ledger.claim_messages("s1", ["a", "b", "c"]) == ["c"]
    assert ledger.claim_call("s1", "call-1")
    assert not ledger.claim_call("s1", "call-1")
    assert ledger.tools_changed("s1", "digest-1")
    ledger.remember_response("resp-1", "s1")
    store.close()

    again = Ledger(StateStore(path))
    assert not again.start_session("s1")
    assert again.claim_messages("s1", ["a", "b", "c", "d"]) == ["d"]
    assert not again.claim_call("s1", "call-1")
    assert not again.tools_changed("s1", "digest-1")
    assert again.tools_changed("s1", "digest-2")
    assert again.session_of_response("resp-1") == "s1"
    assert again.session_of_response("unknown") is None


def test_sessions_are_separate(tmp_path: Path) -> None:
    ledger = Ledger(StateStore(tmp_path / "state.sqlite3"))
    assert ledger.claim_messages("s1", ["a"]) == ["a"]
    assert ledger.claim_messages("s2", ["a"]) == ["a"]
    assert ledger.claim_call("s2", "c")
    assert ledger.claim_call("s1", "c")


def test_evicted_sessions_fall_back_to_the_store(tmp_path: Path) -> None:
    ledger = Ledger(StateStore(tmp_path / "state.sqlite3"), max_cached_sessions=2)
    for session in ("s1", "s2", "s3"):
        assert ledger.start_session(session)
        assert ledger.claim_messages(session, ["m"]) == ["m"]
    # s1 left the cache; the store still knows it.
    assert not ledger.start_session("s1")
    assert ledger.claim_messages("s1", ["m", "n"]) == ["n"]


def test_duplicate_keys_in_one_claim_count_once(tmp_path: Path) -> None:
    ledger = Ledger(StateStore(tmp_path / "state.sqlite3"))
    assert ledger.claim_messages("s", ["x", "x", "y"]) == ["x", "y"]
