from datetime import UTC, datetime, timedelta

import pytest

from agentd.decide.approvals import (
    DENIED_SECONDS,
    PENDING_SECONDS,
    ApprovalBook,
    ApprovalNotFound,
    ApprovalState,
    approval_id,
    parse_duration,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def request(book: ApprovalBook, session: str = "s", digest: str = "h1", now: datetime = NOW):  # type: ignore[no-untyped-def]
    return book.request(
        session_id=session,
        tool="Bash",
        input_hash=digest,
        reason="destructive",
        policy_ids=("p",),
        agent="codex",
        now=now,
    )


def test_the_same_call_gets_the_same_request() -> None:
    book = ApprovalBook()
    first, new = request(book)
    again, new_again = request(book)
    assert new
    assert not new_again
    assert first == again
    assert first.id == approval_id("s", "Bash", "h1")
    assert first.id.startswith("ap-")
    assert len(first.id) == 13
    other, _ = request(book, session="t")
    assert other.id != first.id


def test_a_grant_covers_the_identical_call_in_that_session_only() -> None:
    book = ApprovalBook()
    pending, _ = request(book)
    granted = book.decide(pending.id.upper(), grant=True, now=NOW, by="dev")
    assert granted.state is ApprovalState.GRANTED
    assert granted.decided_by == "dev"
    assert book.status("s", "Bash", "h1", NOW + timedelta(days=1)) == granted
    assert book.status("s", "Bash", "other-args", NOW) is None
    assert book.status("t", "Bash", "h1", NOW) is None


def test_a_timed_grant_lapses() -> None:
    book = ApprovalBook()
    pending, _ = request(book)
    book.decide(pending.id, grant=True, now=NOW, for_seconds=600)
    assert book.status("s", "Bash", "h1", NOW + timedelta(seconds=599)) is not None
    assert book.status("s", "Bash", "h1", NOW + timedelta(seconds=600)) is None


def test_refusals_and_pending_requests_lapse() -> None:
    book = ApprovalBook()
    pending, _ = request(book)
    refused = book.decide(pending.id, grant=False, now=NOW)
    assert refused.state is ApprovalState.DENIED
    assert book.status("s", "Bash", "h1", NOW + timedelta(seconds=DENIED_SECONDS - 1)) is not None
    assert book.status("s", "Bash", "h1", NOW + timedelta(seconds=DENIED_SECONDS)) is None
    request(book, digest="h2")
    assert len(book.listing(NOW + timedelta(seconds=PENDING_SECONDS + 1))) == 0


def test_unknown_ids_are_named() -> None:
    with pytest.raises(ApprovalNotFound, match="ap-nothing"):
        ApprovalBook().decide("ap-nothing", grant=True, now=NOW)


def test_json_round_trip_skips_damaged_entries() -> None:
    book = ApprovalBook()
    pending, _ = request(book)
    book.decide(pending.id, grant=True, now=NOW, for_seconds=60)
    request(book, digest="h2")
    data = book.to_json()
    restored = ApprovalBook.from_json([*data, {"id": "broken"}, "nonsense"])
    assert restored.to_json() == data
    assert ApprovalBook.from_json("garbage").listing(NOW) == []


@pytest.mark.parametrize(
    ("text", "seconds"), [("10m", 600), ("90s", 90), ("2h", 7200), ("1d", 86400), ("30", 30)]
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "-5m", "0", "10y", "9999d"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)
