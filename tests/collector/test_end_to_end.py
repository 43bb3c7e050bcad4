"""Acceptance: real `agentd run` daemons shipping to a real `agentd collector serve` over TLS,
on SQLite and on a real PostgreSQL. Bursts come from the daemon's test ops
(``AGENTD_TEST_OPS=1``: ``test.burst`` emits events into the spool as a busy pipeline would).
"""

import itertools
import json
import socket
import ssl
from collections import Counter
from pathlib import Path
from typing import Any

import httpx2
import pytest

from agentd.capture.proxy.ca import CertificateAuthority
from agentd.clock import SystemClock
from agentd.collector.runtime import SIGNING_KEY_FILE, signing_key
from agentd.collector.store import SqlStore, open_store
from agentd.collector.store.records import StoredPolicy
from agentd.record.reader import SpoolReader
from agentd.ship.bundles import PolicyBundle, sign_bundle
from tests.support import secrets
from tests.support.agentd_env import AgentdHome, RunningDaemon, make_home, wait_until
from tests.support.collector import CollectorProcess, collector_process
from tests.support.upstreams import (
    Reply,
    Text,
    ToolUse,
    Upstream,
    anthropic_message,
    make_pki,
    trust_upstreams,
)

pytestmark = pytest.mark.slow


def configure(home: AgentdHome, collector: CollectorProcess, *, token: bool = True, extra: str = "") -> None:
    lines = [
        "[collector]",
        f'url = "{collector.url}"',
        f'ca = "{collector.ca}"',
        "batch_max_age_seconds = 0.2",
        "heartbeat_seconds = 1",
        "policy_poll_seconds = 0.5",
    ]
    if token:
        lines.append(f'token = "{collector.token()}"')
    home.write_config("\n".join(lines) + "\n" + extra)


def start(home: AgentdHome) -> RunningDaemon:
    daemon = home.start_daemon(env=home.env(AGENTD_TEST_OPS="1"))
    wait_until(lambda: daemon.status()["collector"].get("enrolled") is True, 60, "enrollment")
    return daemon


def host_id(home: AgentdHome) -> str:
    return (home.state_dir / "host_id").read_bytes().hex()


def committed(home: AgentdHome) -> list[tuple[int, str, str]]:
    """(seq, id, kind) of every event the host's spool committed."""
    with SpoolReader(home.state_dir / "spool.sqlite3") as reader:
        return [(e.seq, e.id, e.kind) for e in reader.query(limit=None)]


def stored(store: SqlStore, host: str) -> list[tuple[int, str, str]]:
    return [(e.seq, e.id, e.kind) for e in store.events(host_id=host, limit=None)]


def assert_chain_intact(store: SqlStore, host: str) -> None:
    record = store.host(host)
    assert record is not None
    with store.transaction() as cur:
        cur.execute(
            "SELECT sequence, first_seq, last_seq FROM batches WHERE host_id = ? AND epoch = ?"
            " ORDER BY sequence",
            (host, record.chain.epoch),
        )
        batches = cur.fetchall()
    assert [b[0] for b in batches] == list(range(1, len(batches) + 1))
    assert record.chain.sequence == len(batches)
    for earlier, later in itertools.pairwise(batches):
        assert later[1] > earlier[2]
    assert [a.rule_id for a in store.alerts(host_id=host) if a.source == "collector"] == []


def test_kill_9_mid_burst_then_restart_delivers_every_committed_event_exactly_once(
    tmp_path: Path, db_url: str
) -> None:
    home = make_home(tmp_path)
    with collector_process(home, db_url) as collector:
        configure(home, collector)
        with start(home) as daemon:
            daemon.call("test.burst", count=10_000, chunk=100)
            wait_until(lambda: daemon.status()["spool"]["last_seq"] >= 3000, 120, "the burst to be under way")
            wait_until(lambda: daemon.status()["collector"]["batches_sent"] >= 1, 120, "a batch to ship")
            daemon.process.kill()
            daemon.process.communicate()
        before = committed(home)
        assert len(before) >= 3000
        assert [seq for seq, _, _ in before] == list(range(1, len(before) + 1))
        store = open_store(db_url)
        try:
            host = host_id(home)
            shipped_before_restart = len(stored(store, host))
            assert 0 < shipped_before_restart <= len(before)
            with start(home) as daemon:
                wait_until(lambda: len(stored(store, host)) >= len(before), 180, "the backlog to arrive")
                wait_until(lambda: daemon.status()["spool"]["depth"] == 0, 60, "an empty outbox")
                assert daemon.stop() == 0, daemon.stderr
            arrived = stored(store, host)
            assert arrived[: len(before)] == before  # every committed event, exactly once, in order
            assert len({seq for seq, _, _ in arrived}) == len(arrived)
            assert_chain_intact(store, host)
        finally:
            store.close()
        assert collector.stop() == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_collector_down_during_a_burst_shows_backoff_then_everything_arrives(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    db_url = f"sqlite://{tmp_path / 'collector.sqlite3'}"
    port = _free_port()
    with collector_process(home, db_url, port=port) as collector:
        configure(home, collector)
        daemon = start(home)
        assert collector.stop() == 0
    with daemon:
        daemon.call("test.burst", count=3000)
        wait_until(lambda: daemon.status()["collector"]["attempt"] >= 2, 120, "failed attempts")
        shown = home.run("status", "--json")
        assert shown.returncode == 0, shown.stderr
        status = json.loads(shown.stdout)["collector"]
        assert status["state"] == "backoff"
        assert status["backoff_seconds"] > 0
        assert status["next_retry"]
        assert "unavailable" in status["last_error"]
        wait_until(lambda: daemon.status()["spool"]["last_seq"] >= 3000, 60, "the burst to be committed")
        with collector_process(home, db_url, port=port):
            store = open_store(db_url)
            try:
                host = host_id(home)
                wait_until(lambda: len(stored(store, host)) >= 3000, 180, "the backlog to arrive")
                wait_until(lambda: daemon.status()["collector"]["state"] == "connected", 60, "recovery")
                assert [seq for seq, _, _ in stored(store, host)][:3000] == list(range(1, 3001))
                assert_chain_intact(store, host)
            finally:
                store.close()
            assert daemon.stop() == 0, daemon.stderr


def test_disk_cap_while_offline_keeps_alerts_and_decisions_and_reports_exact_drops(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    db_url = f"sqlite://{tmp_path / 'collector.sqlite3'}"
    port = _free_port()
    with collector_process(home, db_url, port=port) as collector:
        configure(home, collector, extra="[spool]\nmax_bytes = 1000000\n")
        daemon = start(home)
        assert collector.stop() == 0
    with daemon:
        daemon.call("test.burst", count=6000, mix="mixed")
        daemon.call("test.flush")
        wait_until(lambda: sum(daemon.status()["spool"]["dropped"].values()) > 0, 60, "the cap to drop")
        with collector_process(home, db_url, port=port):
            store = open_store(db_url)
            try:
                host = host_id(home)
                wait_until(lambda: daemon.status()["spool"]["depth"] == 0, 180, "the outbox to drain")
                rows = store.events(host_id=host, limit=None)
                kinds = Counter(e.kind for e in rows)
                assert kinds["alert"] == 600  # every alert survived the cap
                assert kinds["tool_call"] == 600  # every decision survived the cap
                dropped = Counter[str]()
                for row in rows:
                    if row.kind == "telemetry_dropped":
                        dropped.update(row.as_json()["counts"])
                assert dropped["user_prompt"] > 0
                assert dropped["user_prompt"] + kinds["user_prompt"] == 4800  # exact counts
                assert set(dropped) == {"user_prompt"}
                host_alerts = [a for a in store.alerts(host_id=host) if a.source == "host"]
                assert len(host_alerts) == 600
                assert_chain_intact(store, host)
            finally:
                store.close()
            assert daemon.stop() == 0, daemon.stderr


POLICY = """
@id("no-web-fetch")
@outcome("deny")
@reason("fetching web pages is off for this team")
forbid (principal, action == Agentd::Action::"call", resource)
when { resource.tool == "WebFetch" };
"""


def test_a_published_policy_reaches_the_running_daemon_and_a_tampered_one_is_refused(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    db_url = f"sqlite://{tmp_path / 'collector.sqlite3'}"
    with collector_process(home, db_url) as collector:
        configure(home, collector)
        (tmp_path / "policies").mkdir()
        (tmp_path / "policies" / "team.cedar").write_text(POLICY)
        with start(home) as daemon:
            published = collector.admin(
                "policy", "publish", str(tmp_path / "policies"), "--version", "team-1"
            )
            assert published.returncode == 0, published.stderr
            wait_until(
                lambda: daemon.status()["policy_sync"]["version"] == "team-1", 60, "the bundle to arrive"
            )
            assert (home.state_dir / "policy" / "bundle.bin").exists()
            # A bundle signed by the collector's key, then altered in the database (one write, so
            # the daemon never sees the untampered version).
            store = open_store(db_url)
            try:
                key = signing_key(store, home.state_dir / "collector" / SIGNING_KEY_FILE, create=False)
                signed = sign_bundle(
                    PolicyBundle(
                        "team-2", store.next_policy_serial(), SystemClock().now(), {"t.cedar": POLICY}
                    ),
                    key.sign,
                )
                tampered = signed.payload.replace(b"WebFetch", b"WebFetcH")
                store.publish_policy(StoredPolicy(2, "team-2", 0, tampered, signed.signature))
            finally:
                store.close()
            wait_until(lambda: daemon.status()["policy_sync"]["refused"] == 1, 60, "the refusal")
            assert daemon.status()["policy_sync"]["version"] == "team-1"
            alerts = home.run("events", "--json", "--type", "alert", "--limit", "0")
            assert "policy.bundle_refused" in alerts.stdout
            assert daemon.stop() == 0, daemon.stderr


def _database_text(db_url: str, path: Path) -> str:
    """Everything the collector's database holds, as text, to search for secrets."""
    if db_url.startswith("sqlite"):
        data = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        return data.decode("latin-1")
    store = open_store(db_url)
    chunks: list[str] = []
    try:
        with store.transaction() as cur:
            for table in (
                "settings",
                "tokens",
                "hosts",
                "batches",
                "events",
                "alerts",
                "inventory",
                "policies",
            ):
                cur.execute(f"SELECT t::text FROM {table} t")
                chunks += [row[0] for row in cur.fetchall()]
    finally:
        store.close()
    return "\n".join(chunks)


@pytest.mark.e2e
def test_no_raw_secret_from_agent_traffic_reaches_the_collector_database(tmp_path: Path, db_url: str) -> None:
    home = make_home(tmp_path)
    pki = make_pki(tmp_path / "pki")
    trust_upstreams(home.config, pki)
    planted = {
        "aws": secrets.aws_access_key_id("e2e"),
        "github": secrets.github_pat("e2e"),
        "anthropic": secrets.anthropic_key("e2e"),
    }
    prompt = f"deploy with {planted['aws']} and push using {planted['github']}"
    call = ToolUse(
        "toolu_secret_1", "Bash", {"command": f"curl -H 'x-api-key: {planted['anthropic']}' x.test"}
    )

    def script(_request: Any) -> Reply:
        return Reply.json(anthropic_message([Text("Running it."), call]))

    with collector_process(home, db_url) as collector:
        configure(home, collector)
        with start(home) as daemon, Upstream(script, pki) as upstream:
            ca = CertificateAuthority(home.state_dir / "ca").cert_path
            proxy = f"http://{daemon.status()['proxy']['listen']}"
            trust = ssl.create_default_context(cafile=str(ca))
            with httpx2.Client(proxy=proxy, verify=trust, timeout=60) as http:
                reply = http.post(
                    f"{upstream.url}/v1/messages",
                    headers={"x-api-key": "test-key", "anthropic-version": "2023-06-01"},
                    json={
                        "model": "claude-test",
                        "max_tokens": 50,
                        "messages": [{"role": "user", "content": prompt}],
                        "tools": [{"name": "Bash", "input_schema": {"type": "object"}}],
                    },
                )
                assert reply.status_code == 200
            store = open_store(db_url)
            try:
                host = host_id(home)

                def shipped() -> set[str]:
                    return {e.kind for e in store.events(host_id=host, limit=None)}

                wait_until(
                    lambda: {"user_prompt", "tool_call", "finding"} <= shipped(), 120, "the session to ship"
                )
            finally:
                store.close()
            assert daemon.stop() == 0, daemon.stderr
    text = _database_text(db_url, tmp_path / "collector.sqlite3")
    assert "user_prompt" in text  # the search covers the real rows
    for name, value in planted.items():
        assert value not in text, f"the raw {name} secret reached the collector database"
