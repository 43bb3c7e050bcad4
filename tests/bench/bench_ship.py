"""Record and ship throughput: spool append rate, and sustained events/s from a host's spool to
a real `agentd collector serve` over loopback TLS, on SQLite and on PostgreSQL.

Baselines measured in the same run: for the spool, plain SQLite inserts of already-encoded
rows (what storage alone costs); for shipping, the same rows written straight into the
collector's store (no gRPC, no signature, no chain check).
"""

import asyncio
import signal
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

from pydantic import SecretStr

from agentd.clock import SystemClock
from agentd.collector.store import open_store
from agentd.collector.store.records import BatchRows, ChainState, event_row
from agentd.config import CollectorSettings
from agentd.events import Stamper, UserPrompt
from agentd.record.spool import Spool
from agentd.ship.backoff import Backoff
from agentd.ship.client import CollectorClient
from agentd.ship.keys import load_host_key
from agentd.ship.shipper import Shipper
from agentd.wire.codec import encode_event, event_to_proto
from tests.support.agentd_env import AGENTD, make_home
from tests.support.collector import CollectorTls
from tests.support.postgres import running_postgres

CLOCK = SystemClock()
HOST = "be" * 16
STAMP = Stamper(host_id=HOST)


def _events(count: int) -> list[UserPrompt]:
    now = CLOCK.now()
    text = "please refactor the payment module and run the tests " * 3
    return [
        STAMP(UserPrompt, now, session_id="bench", message_index=i, text=text, chars=len(text))
        for i in range(count)
    ]


def bench_spool_append(directory: Path, count: int) -> tuple[float, float]:
    """(agentd events/s, baseline events/s): emit + group commit vs raw inserts of encoded rows."""
    events = _events(count)
    spool = Spool.open(
        directory / "append.sqlite3", max_bytes=10**10, retention_days=7, clock=CLOCK, stamp=STAMP
    )
    started = time.perf_counter()
    for i, event in enumerate(events, start=1):
        spool.emit(event)
        if i % 1000 == 0:  # the committer's group size under a sustained burst
            spool.flush()
    spool.flush()
    agentd_rate = count / (time.perf_counter() - started)
    spool.close()

    rows = [
        (i, e.id, 0, e.kind, 0, e.session_id, 0, 0, encode_event(e)) for i, e in enumerate(events, start=1)
    ]
    db = sqlite3.connect(directory / "baseline.sqlite3", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE e (seq INTEGER PRIMARY KEY, id, t, kind, sev, sess, p, size, payload BLOB)")
    started = time.perf_counter()
    for chunk in range(0, count, 1000):
        db.execute("BEGIN")
        db.executemany("INSERT INTO e VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows[chunk : chunk + 1000])
        db.execute("COMMIT")
    baseline_rate = count / (time.perf_counter() - started)
    db.close()
    return agentd_rate, baseline_rate


async def _ship(spool: Spool, home_state: Path, url: str, ca: Path, token: str) -> tuple[float, Shipper]:
    shipper = Shipper(
        spool,
        CollectorClient(url, ca=ca),
        load_host_key(home_state / "keys", HOST),
        settings=CollectorSettings(url=url, token=SecretStr(token), batch_max_age_seconds=0.05),
        state_dir=home_state,
        host_id=HOST,
        clock=CLOCK,
        backoff=Backoff(initial=0.05, maximum=1),
    )
    await shipper.ensure_enrolled()  # enrollment is not part of the measured throughput
    started = time.perf_counter()
    task = asyncio.get_running_loop().create_task(shipper.serve())
    while spool.statistics()["depth"] > 0:
        await asyncio.sleep(0.02)
        if task.done():
            task.result()
    elapsed = time.perf_counter() - started
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return elapsed, shipper


def bench_end_to_end(directory: Path, db_url: str, count: int) -> dict[str, float]:
    (directory / "home").mkdir(parents=True, exist_ok=True)
    home = make_home(directory / "home")
    tls = CollectorTls.create(directory / "tls")
    collector = subprocess.Popen(
        [
            *AGENTD,
            "collector",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--db",
            db_url,
            "--tls-cert",
            str(tls.cert),
            "--tls-key",
            str(tls.key),
        ],
        env=home.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert collector.stdout is not None
        port = int(collector.stdout.readline().strip().rsplit(":", 1)[1])
        token = home.run("collector", "token", "create", "--db", db_url).stdout.strip().splitlines()[-1]
        spool = Spool.open(
            directory / "spool.sqlite3", max_bytes=10**10, retention_days=7, clock=CLOCK, stamp=STAMP
        )
        for event in _events(count):
            spool.emit(event)
        spool.flush()
        elapsed, shipper = asyncio.run(
            _ship(spool, directory / "state", f"https://localhost:{port}", tls.ca, token)
        )
        stats = shipper.statistics()
        spool.close()
    finally:
        collector.send_signal(signal.SIGTERM)
        collector.communicate(timeout=60)
    return {
        "rate": count / elapsed,
        "batch": count / max(1, int(stats["batches_sent"])),
        "p95_ms": float(stats["batch_latency_p95_ms"] or 0),
    }


def bench_store_baseline(db_url: str, count: int) -> float:
    """Events/s writing the same rows straight into the collector store, 500 per transaction."""
    store = open_store(db_url)
    messages = [
        event_to_proto(e.model_copy(update={"seq": i})) for i, e in enumerate(_events(count), start=1)
    ]
    store.set_setting_once("bench", "1")
    with store.transaction() as cur:
        cur.execute(
            "INSERT INTO hosts (host_id, public_key, key_id, hostname, os, os_version, arch, agentd_version,"
            " users, enrolled_ms, last_digest) VALUES (?, ?, 'k', '', '', '', '', '', '[]', 0, ?)",
            (HOST, b"\x00" * 32, b"\x00" * 32),
        )
    chain = ChainState()
    started = time.perf_counter()
    for sequence, chunk in enumerate(range(0, count, 500), start=1):
        part = messages[chunk : chunk + 500]
        rows = [event_row(m, epoch=1, batch_sequence=sequence, received_ms=0) for m in part]
        digest = sequence.to_bytes(32, "big")
        store.store_batch(
            BatchRows(HOST, 1, sequence, digest, part[0].seq, part[-1].seq, 0, rows, [], []), expected=chain
        )
        chain = ChainState(epoch=1, sequence=sequence, digest=digest, last_event_seq=part[-1].seq)
    rate = count / (time.perf_counter() - started)
    store.close()
    return rate


def run(quick: bool) -> list[str]:
    count = 5_000 if quick else 50_000
    lines = [
        f"{count} events per measurement; loopback TLS; the collector is a separate "
        "`agentd collector serve` process.",
        "",
        "| measurement | events/s | baseline events/s | batch size | p95 batch latency | target |",
        "|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory(prefix="agentd-bench-ship-") as tmp:
        root = Path(tmp)
        (root / "spool").mkdir()
        append, raw = bench_spool_append(root / "spool", count)
        lines.append(
            f"| spool append (emit + group commit) | {append:,.0f} | {raw:,.0f} (raw SQLite) "
            "| - | - | >= 20,000 |"
        )
        backends: list[tuple[str, str, str]] = []
        sqlite_dir = root / "sqlite"
        sqlite_dir.mkdir()
        backends.append(
            ("SQLite", f"sqlite://{sqlite_dir / 'c.sqlite3'}", f"sqlite://{sqlite_dir / 'base.sqlite3'}")
        )
        with running_postgres(durable=True) as pg:
            backends.append(("PostgreSQL", pg.create_database("ship"), pg.create_database("base")))
            for name, url, baseline_url in backends:
                work = root / name
                work.mkdir(exist_ok=True)
                measured = bench_end_to_end(work, url, count)
                baseline = bench_store_baseline(baseline_url, count)
                lines.append(
                    f"| spool -> collector, {name} | {measured['rate']:,.0f} "
                    f"| {baseline:,.0f} (direct store) | {measured['batch']:.0f} "
                    f"| {measured['p95_ms']:.1f} ms | >= 5,000 |"
                )
    return lines
