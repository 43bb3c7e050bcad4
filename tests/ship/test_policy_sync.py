from pathlib import Path
from typing import Any

import pytest

from agentd.clock import SystemClock
from agentd.collector.runtime import SIGNING_KEY_FILE, signing_key
from agentd.collector.service import publish_policy
from agentd.decide.engine import PolicyEngine, PolicySource
from agentd.errors import PolicyError
from agentd.events import Alert, Event, PolicyUpdated, Stamper
from agentd.ship.bundles import PolicyBundle
from agentd.ship.client import CollectorClient
from agentd.ship.enrollment import Enrollment, enroll
from agentd.ship.keys import load_host_key
from agentd.ship.policy_sync import CACHE_FILE, PolicySync
from tests.support.collector import RunningCollector, running_collector

CLOCK = SystemClock()
HOST = "d4" * 16

WEB_RULE = """
@id("no-web-fetch")
@outcome("deny")
@reason("fetching web pages is off for this team")
forbid (principal, action == Agentd::Action::"call", resource)
when { resource.tool == "WebFetch" };
"""
BASH_RULE = WEB_RULE.replace("no-web-fetch", "no-bash").replace("WebFetch", "Bash")


class Sink:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def emit(self, event: Event) -> None:
        self.events.append(event)


class Engine:
    """What the composition root connects: the bundle's policies become the engine in force."""

    def __init__(self) -> None:
        self.engine = PolicyEngine([])

    def apply(self, bundle: PolicyBundle) -> None:
        sources = [PolicySource(name, text) for name, text in sorted(bundle.policies.items())]
        self.engine = PolicyEngine(sources, version=bundle.version)

    def fired(self, tool: str) -> list[str]:
        principal = {"id": "a", "kind": "claude-code", "user": "dev", "host": "h"}
        resource: dict[str, Any] = {
            "id": tool,
            "name": tool,
            "tool": tool,
            "server": "",
            "integration": "web",
            "capabilities": [],
            "risk": 0,
            "origin": "builtin",
            "email": False,
        }
        return [rule.id for rule in self.engine.evaluate(principal, resource, {}).fired]


async def _sync(collector: RunningCollector, state: Path, sink: Sink, engine: Engine) -> PolicySync:
    assert collector.tls is not None
    client = CollectorClient(collector.url, ca=collector.tls.ca)
    key = load_host_key(state / "keys", HOST)
    enrollment = await enroll(client, key, host_id=HOST, token=collector.token(), now=CLOCK.now())
    return _policy_sync(client, state, enrollment, sink, engine)


def _policy_sync(
    client: CollectorClient, state: Path, enrollment: Enrollment, sink: Sink, engine: Engine
) -> PolicySync:
    return PolicySync(
        client,
        cache_dir=state / "policy",
        host_id=HOST,
        enrollment=lambda: enrollment,
        clock=CLOCK,
        stamp=Stamper(host_id=HOST),
        sink=sink,
        poll_seconds=60,
        apply=engine.apply,
    )


def _publish(
    collector: RunningCollector, policies: dict[str, str], version: str | None = None
) -> PolicyBundle:
    key = signing_key(collector.store, collector.state_dir / SIGNING_KEY_FILE, create=False)
    return publish_policy(collector.store, key.sign, policies=policies, now=CLOCK.now(), version=version)


async def test_a_published_bundle_changes_decisions_without_restart(tmp_path: Path) -> None:
    sink, engine = Sink(), Engine()
    with running_collector(f"sqlite://{tmp_path / 'c.sqlite3'}", tmp_path / "collector") as collector:
        sync = await _sync(collector, tmp_path / "host", sink, engine)
        assert not await sync.check()  # nothing published yet
        assert engine.fired("WebFetch") == []
        bundle = _publish(collector, {"team.cedar": WEB_RULE})
        assert await sync.check()
        assert engine.fired("WebFetch") == ["no-web-fetch"]
        assert engine.engine.version == bundle.version
        assert sync.statistics()["version"] == bundle.version
        assert sync.statistics()["source"] == "collector"
        assert not await sync.check()  # unchanged
        updated = [e for e in sink.events if isinstance(e, PolicyUpdated)]
        assert [(u.version, u.accepted) for u in updated] == [(bundle.version, True)]
        assert (tmp_path / "host" / "policy" / CACHE_FILE).stat().st_mode & 0o777 == 0o600
        await sync.client.close()


async def test_a_tampered_bundle_is_refused_with_an_alert_and_the_last_good_stays(tmp_path: Path) -> None:
    sink, engine = Sink(), Engine()
    with running_collector(f"sqlite://{tmp_path / 'c.sqlite3'}", tmp_path / "collector") as collector:
        sync = await _sync(collector, tmp_path / "host", sink, engine)
        good = _publish(collector, {"team.cedar": WEB_RULE})
        assert await sync.check()
        cached = (tmp_path / "host" / "policy" / CACHE_FILE).read_bytes()
        bad = _publish(collector, {"team.cedar": BASH_RULE})
        with collector.store.transaction() as cur:  # someone edits the stored bundle in the database
            cur.execute("SELECT payload FROM policies WHERE serial = ?", (bad.serial,))
            payload = bytes(cur.fetchone()[0]).replace(b"Bash", b"Bush")
            cur.execute("UPDATE policies SET payload = ? WHERE serial = ?", (payload, bad.serial))
        assert not await sync.check()
        assert sync.version == good.version
        assert engine.fired("WebFetch") == ["no-web-fetch"]
        assert engine.fired("Bash") == []
        assert (tmp_path / "host" / "policy" / CACHE_FILE).read_bytes() == cached
        (alert,) = [e for e in sink.events if isinstance(e, Alert)]
        assert alert.rule_id == "policy.bundle_refused"
        assert "does not verify" in alert.reason
        assert good.version in alert.reason
        refused = [e for e in sink.events if isinstance(e, PolicyUpdated) and not e.accepted]
        assert len(refused) == 1
        assert not await sync.check()  # the same bad bytes are not alerted twice
        assert len([e for e in sink.events if isinstance(e, Alert)]) == 1
        assert sync.statistics()["refused"] == 1
        await sync.client.close()


async def test_an_older_bundle_and_one_the_engine_rejects_are_refused(tmp_path: Path) -> None:
    sink, engine = Sink(), Engine()
    with running_collector(f"sqlite://{tmp_path / 'c.sqlite3'}", tmp_path / "collector") as collector:
        sync = await _sync(collector, tmp_path / "host", sink, engine)
        _publish(collector, {"a.cedar": WEB_RULE})
        second = _publish(collector, {"a.cedar": BASH_RULE})
        assert await sync.check()
        assert sync.version == second.version
        with collector.store.transaction() as cur:  # the collector is rolled back to the older bundle
            cur.execute("DELETE FROM policies WHERE serial = ?", (second.serial,))
        assert not await sync.check()
        assert "older than the one in force" in str(sync.last_error)
        _publish(collector, {"a.cedar": "forbid (principal, action, resource) when { nonsense };"}, "broken")
        assert not await sync.check()
        assert sync.version == second.version
        assert engine.fired("Bash") == ["no-bash"]
        assert len([e for e in sink.events if isinstance(e, Alert)]) == 2
        await sync.client.close()


async def test_the_cached_bundle_is_applied_at_start_and_verified_again(tmp_path: Path) -> None:
    sink, engine = Sink(), Engine()
    with running_collector(f"sqlite://{tmp_path / 'c.sqlite3'}", tmp_path / "collector") as collector:
        sync = await _sync(collector, tmp_path / "host", sink, engine)
        bundle = _publish(collector, {"team.cedar": WEB_RULE})
        assert await sync.check()
        enrollment = sync.enrollment()
        assert enrollment is not None
        await sync.client.close()
    restarted_engine = Engine()
    restarted = _policy_sync(sync.client, tmp_path / "host", enrollment, Sink(), restarted_engine)
    loaded = restarted.load_cache()
    assert loaded is not None
    assert loaded.version == bundle.version
    assert restarted.statistics()["source"] == "cache"
    assert restarted_engine.fired("WebFetch") == ["no-web-fetch"]

    cache = tmp_path / "host" / "policy" / CACHE_FILE
    cache.write_bytes(cache.read_bytes().replace(b"WebFetch", b"WebFetcH"))
    tampered_sink = Sink()
    again = _policy_sync(sync.client, tmp_path / "host", enrollment, tampered_sink, Engine())
    assert again.load_cache() is None
    assert again.version is None
    assert [e.kind for e in tampered_sink.events] == ["policy_updated", "alert"]


def test_set_apply_hands_over_the_bundle_in_force() -> None:
    applied: list[str] = []
    sync = PolicySync(
        CollectorClient("https://localhost:1"),
        cache_dir=Path("/nonexistent"),
        host_id=HOST,
        enrollment=lambda: None,
        clock=CLOCK,
        stamp=Stamper(host_id=HOST),
        sink=Sink(),
        poll_seconds=1,
    )
    sync.set_apply(lambda bundle: applied.append(bundle.version))
    assert applied == []
    sync.current = PolicyBundle("v9", 9, CLOCK.now(), {})
    sync.set_apply(lambda bundle: applied.append(bundle.version))
    assert applied == ["v9"]
    with pytest.raises(PolicyError):
        sync.set_apply(_refuse)


def _refuse(_bundle: PolicyBundle) -> None:
    raise PolicyError("engine says no")
