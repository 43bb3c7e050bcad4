import json
from datetime import UTC, datetime, timedelta

import pytest

from agentd.clock import SystemClock
from agentd.collector.store import ChainMoved, SqlStore, StoreError, open_store
from agentd.collector.store.records import (
    AlertRow,
    BatchRows,
    ChainState,
    EventRow,
    InventoryRow,
    StoredPolicy,
)
from tests.support.collector import SimulatedHost

CLOCK = SystemClock()


def rows_for(host: SimulatedHost, sequence: int, seqs: range, digest: bytes) -> BatchRows:
    events = [
        EventRow(
            host.host_id,
            host.epoch,
            s,
            f"id{s}",
            1000 + s,
            "user_prompt",
            "info",
            "sess",
            "unknown",
            None,
            None,
            None,
            sequence,
            5000,
            json.dumps({"text": f"t{s}"}),
        )
        for s in seqs
    ]
    return BatchRows(
        host.host_id, host.epoch, sequence, digest, seqs[0], seqs[-1], 5000, events, alerts=[], inventory=[]
    )


def test_migrations_are_recorded_and_idempotent(db_url: str) -> None:
    first = open_store(db_url)
    second = open_store(db_url)  # a second replica starting against the same database
    assert first.migrate() == second.migrate() == 1
    first.close()
    second.close()


def test_a_setting_is_written_once(store: SqlStore) -> None:
    assert store.setting("k") is None
    assert store.set_setting_once("k", "a") == "a"
    assert store.set_setting_once("k", "b") == "a"
    assert store.setting("k") == "a"


def test_tokens_round_trip(store: SqlStore) -> None:
    now = CLOCK.now()
    store.add_token("hash1", now, now + timedelta(hours=1), 3)
    token = store.token("hash1")
    assert token is not None
    assert (token.max_uses, token.uses) == (3, 0)
    assert store.token("nope") is None


def test_store_batch_moves_the_chain_by_compare_and_set(store: SqlStore) -> None:
    host = SimulatedHost()
    host.enroll_directly(store)
    start = ChainState()
    store.store_batch(rows_for(host, 1, range(1, 4), b"\x01" * 32), expected=ChainState(epoch=0))
    record = store.host(host.host_id)
    assert record is not None
    assert record.chain == ChainState(epoch=host.epoch, sequence=1, digest=b"\x01" * 32, last_event_seq=3)
    # a second writer that still believes the old state loses, and stores nothing
    with pytest.raises(ChainMoved):
        store.store_batch(rows_for(host, 1, range(1, 4), b"\x09" * 32), expected=start)
    assert store.count_events(host.host_id) == 3
    assert store.batch_digest(host.host_id, host.epoch, 1) == b"\x01" * 32
    assert store.batch_digest(host.host_id, host.epoch, 2) is None


def test_queries_filter_by_host_kind_and_time(store: SqlStore) -> None:
    host = SimulatedHost()
    host.enroll_directly(store)
    store.store_batch(rows_for(host, 1, range(1, 6), b"\x01" * 32), expected=ChainState())
    assert [e.seq for e in store.events(host_id=host.host_id, limit=2)] == [1, 2]
    assert store.events(host_id="other") == []
    assert store.events(kinds=("alert",)) == []
    since = datetime(1970, 1, 1, 0, 0, 1, 3000, tzinfo=UTC)
    assert [e.seq for e in store.events(since=since)] == [3, 4, 5]
    assert store.events()[0].as_json()["text"] == "t1"


def test_host_alerts_are_idempotent_by_event_id(store: SqlStore) -> None:
    alert = AlertRow("h", 1, "r", "t", "why", "high", "host", event_id="e1", details='{"a": 1}')
    store.add_alert(alert)
    store.add_alert(alert)
    store.add_alert(AlertRow("h", 2, "collector.gap", "t", "why", "high", "collector"))
    store.add_alert(AlertRow("h", 3, "collector.gap", "t", "why", "high", "collector"))
    rows = store.alerts(host_id="h")
    assert [r.rule_id for r in rows] == ["r", "collector.gap", "collector.gap"]
    assert rows[0].as_json()["details"] == {"a": 1}


def test_inventory_keeps_first_seen_and_updates_last_seen(store: SqlStore) -> None:
    host = SimulatedHost()
    host.enroll_directly(store)
    batch = rows_for(host, 1, range(1, 2), b"\x01" * 32)
    first = InventoryRow(host.host_id, "tool", "srv/read", '{"hash": "a"}', 10, 10)
    store.store_batch(BatchRows(**{**batch.__dict__, "inventory": [first]}), expected=ChainState())
    later = rows_for(host, 2, range(2, 3), b"\x02" * 32)
    again = InventoryRow(host.host_id, "tool", "srv/read", '{"hash": "b"}', 20, 20)
    store.store_batch(
        BatchRows(**{**later.__dict__, "inventory": [again]}),
        expected=ChainState(epoch=host.epoch, sequence=1, digest=b"\x01" * 32, last_event_seq=1),
    )
    (item,) = store.inventory()
    assert (item.first_seen_ms, item.last_seen_ms, json.loads(item.detail)) == (10, 20, {"hash": "b"})


def test_policies_are_ordered_by_serial(store: SqlStore) -> None:
    assert store.latest_policy() is None
    assert store.next_policy_serial() == 1
    store.publish_policy(StoredPolicy(1, "v1", 1, b"p1", b"s1"))
    store.publish_policy(StoredPolicy(2, "v2", 2, b"p2", b"s2"))
    latest = store.latest_policy()
    assert latest is not None
    assert (latest.version, latest.payload) == ("v2", b"p2")
    assert store.next_policy_serial() == 3
    with pytest.raises(StoreError):
        store.publish_policy(StoredPolicy(3, "v2", 3, b"p", b"s"))  # versions are unique


def test_unknown_database_schemes_are_refused() -> None:
    with pytest.raises(StoreError, match="unsupported database URL 'mysql'"):
        open_store("mysql://x")
