import socket
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from agentd.clock import SystemClock
from agentd.config import CollectorSettings
from agentd.events import Stamper, UserPrompt
from agentd.record.spool import Spool
from agentd.ship.backoff import Backoff
from agentd.ship.client import CollectorClient
from agentd.ship.keys import load_host_key
from agentd.ship.shipper import Shipper
from agentd.wire._generated.agentd.v1 import collector_pb2
from tests.support.agentd_env import wait_until
from tests.support.background import serving
from tests.support.collector import RunningCollector, running_collector

CLOCK = SystemClock()
HOST = "c3" * 16
STAMP = Stamper(host_id=HOST)


def spool_at(path: Path) -> Spool:
    return Spool.open(path, max_bytes=10**9, retention_days=7, clock=CLOCK, stamp=STAMP, commit_interval=0.01)


def emit(spool: Spool, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        spool.emit(STAMP(UserPrompt, CLOCK.now(), message_index=i, text=f"m{i}", chars=3, session_id="s"))
    spool.flush()


def make_shipper(
    spool: Spool, state: Path, url: str, ca: Path | None, token: str | None, **settings: Any
) -> Shipper:
    collector_settings = CollectorSettings(
        url=url,
        token=SecretStr(token) if token else None,
        batch_max_events=settings.pop("batch_max_events", 100),
        batch_max_age_seconds=0.05,
        heartbeat_seconds=settings.pop("heartbeat_seconds", 60),
    )
    return Shipper(
        spool,
        CollectorClient(url, ca=ca, deadline=10),
        load_host_key(state / "keys", HOST),
        settings=collector_settings,
        state_dir=state,
        host_id=HOST,
        clock=CLOCK,
        backoff=Backoff(initial=0.05, maximum=0.4),
        health=lambda: [("proxy", "ok", "")],
    )


def stored_seqs(collector: RunningCollector) -> list[int]:
    return [e.seq for e in collector.store.events(host_id=HOST, limit=None)]


def test_enrolls_then_ships_every_event_in_order_and_heartbeats(tmp_path: Path) -> None:
    spool = spool_at(tmp_path / "spool.sqlite3")
    with running_collector(f"sqlite://{tmp_path / 'c.sqlite3'}", tmp_path / "collector") as collector:
        assert collector.tls is not None
        shipper = make_shipper(
            spool,
            tmp_path / "host",
            collector.url,
            collector.tls.ca,
            collector.token(),
            heartbeat_seconds=0.05,
        )
        emit(spool, 450)
        with serving(shipper):
            wait_until(lambda: len(stored_seqs(collector)) == 450, 60, "450 events at the collector")
            emit(spool, 7, start=450)  # fewer than a batch: the age bound ships them
            wait_until(lambda: len(stored_seqs(collector)) == 457, 60, "the small tail")
            wait_until(
                lambda: (collector.store.host(HOST) or _never()).last_seen is not None, 30, "a heartbeat"
            )
            stats = shipper.statistics()
        assert stored_seqs(collector) == list(range(1, 458))
        assert stats["state"] == "connected"
        assert stats["enrolled"]
        assert stats["events_sent"] == 457
        assert stats["batches_sent"] >= 5
        assert stats["batch_latency_p95_ms"] is not None
        assert stats["key"]["storage"] == "file"
        record = collector.store.host(HOST)
        assert record is not None
        assert record.components == [{"name": "proxy", "state": "ok", "detail": ""}]
        assert record.chain.last_event_seq == 457
    assert spool.statistics()["depth"] == 0
    assert (tmp_path / "host" / "enrollment.json").exists()
    spool.close()


def _never() -> Any:
    raise AssertionError("host vanished")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_backs_off_while_the_collector_is_down_then_delivers_everything(tmp_path: Path) -> None:
    port = _free_port()
    spool = spool_at(tmp_path / "spool.sqlite3")
    db = f"sqlite://{tmp_path / 'c.sqlite3'}"
    # Enroll while the collector is up, then take it down for the burst.
    with running_collector(db, tmp_path / "collector", tls=False, port=port) as collector:
        token = collector.token()
    shipper = make_shipper(spool, tmp_path / "host", f"http://127.0.0.1:{port}", None, token)
    with serving(shipper):
        emit(spool, 300)
        wait_until(lambda: shipper.state == "enrolling" or shipper.attempt >= 2, 60, "failed attempts")
        wait_until(lambda: shipper.attempt >= 2, 60, "two failed attempts")
        stats = shipper.statistics()
        assert stats["state"] == "backoff"
        assert stats["next_retry"] is not None
        assert 0 < stats["backoff_seconds"] <= 0.4
        assert "unavailable" in stats["last_error"]
        with running_collector(db, tmp_path / "collector", tls=False, port=port) as collector:
            wait_until(lambda: len(stored_seqs(collector)) == 300, 60, "the backlog to arrive")
            wait_until(lambda: shipper.state == "connected", 30, "the shipper to recover")
            assert stored_seqs(collector) == list(range(1, 301))
            assert shipper.statistics()["attempt"] == 0
    spool.close()


def test_a_batch_sent_but_not_acknowledged_is_resent_and_stored_once(tmp_path: Path) -> None:
    spool = spool_at(tmp_path / "spool.sqlite3")
    with running_collector(
        f"sqlite://{tmp_path / 'c.sqlite3'}", tmp_path / "collector", tls=False
    ) as collector:
        shipper = make_shipper(spool, tmp_path / "host", collector.url, None, collector.token())
        emit(spool, 120)
        with serving(shipper):
            wait_until(lambda: len(stored_seqs(collector)) == 120, 60, "the first events")
        # The daemon died after the collector stored batch N but before it recorded the ack.
        emit(spool, 50, start=120)
        batch = spool.seal_next(shipper.build_batch, max_events=100, max_bytes=10**6)
        assert batch is not None
        collector.service.push(collector_pb2.SignedBatch.FromString(batch.wire))
        restarted = make_shipper(
            spool, tmp_path / "host", collector.url, None, None
        )  # enrolled: no token needed
        with serving(restarted):
            wait_until(lambda: restarted.duplicates == 1, 60, "the resent batch to be acknowledged")
        assert stored_seqs(collector) == list(range(1, 171))
        assert spool.pending() == []
        assert collector.store.alerts() == []
    spool.close()


def test_without_enrollment_or_token_the_state_says_what_to_do(tmp_path: Path) -> None:
    spool = spool_at(tmp_path / "spool.sqlite3")
    shipper = make_shipper(spool, tmp_path / "host", f"http://127.0.0.1:{_free_port()}", None, None)
    with serving(shipper):
        wait_until(lambda: shipper.state == "not_enrolled", 30, "not_enrolled")
    assert "agentd enroll" in str(shipper.statistics()["last_error"])
    spool.close()


def test_a_refused_batch_pauses_shipping_with_the_reason(tmp_path: Path) -> None:
    spool = spool_at(tmp_path / "spool.sqlite3")
    with running_collector(
        f"sqlite://{tmp_path / 'c.sqlite3'}", tmp_path / "collector", tls=False
    ) as collector:
        shipper = make_shipper(spool, tmp_path / "host", collector.url, None, collector.token())
        emit(spool, 10)
        with serving(shipper):
            wait_until(lambda: len(stored_seqs(collector)) == 10, 60, "the first events")
        # The collector's record of this host's chain moved ahead of the host (a bad restore).
        with collector.store.transaction() as cur:
            cur.execute("UPDATE hosts SET last_sequence = 7 WHERE host_id = ?", (HOST,))
        emit(spool, 10, start=10)
        with serving(shipper):
            wait_until(lambda: shipper.state == "rejected", 60, "the refusal")
        # How many batches the first ten events took depends on timing; the refusal does not.
        assert "replay: batch" in str(shipper.statistics()["last_error"])
        assert spool.statistics()["depth"] == 10  # nothing is lost: the batch waits in the outbox
    spool.close()
