from datetime import UTC, datetime
from pathlib import Path

import pytest

from agentd.errors import ConfigError
from agentd.ship.client import CollectorClient, Refusal
from agentd.ship.enrollment import Enrollment, enroll, host_facts, load_enrollment, save_enrollment
from agentd.ship.keys import load_host_key
from tests.support.collector import running_collector

AT = datetime(2026, 5, 1, tzinfo=UTC)


def test_host_facts_describe_this_machine() -> None:
    facts = host_facts()
    assert facts.hostname
    assert facts.os in ("linux", "darwin")
    assert facts.agentd_version


def test_enrollments_are_saved_privately_and_load_back(tmp_path: Path) -> None:
    assert load_enrollment(tmp_path) is None
    enrollment = Enrollment("h", "https://c:443", "kid", b"\x07" * 32, AT)
    path = save_enrollment(tmp_path / "state", enrollment)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_enrollment(tmp_path / "state") == enrollment


@pytest.mark.parametrize(
    "content",
    [
        "{",
        "[]",
        '{"host_id": "h"}',
        '{"host_id": "h", "collector_url": "u", '
        '"key_id": "k", "policy_public_key": "zz", "enrolled_at": "x"}',
    ],
)
def test_a_damaged_enrollment_says_to_enroll_again(tmp_path: Path, content: str) -> None:
    (tmp_path / "enrollment.json").write_text(content)
    with pytest.raises(ConfigError, match="run `agentd enroll` again"):
        load_enrollment(tmp_path)


async def test_enroll_pins_the_collector_policy_key(tmp_path: Path) -> None:
    with running_collector(f"sqlite://{tmp_path / 'c.sqlite3'}", tmp_path / "collector") as collector:
        assert collector.tls is not None
        key = load_host_key(tmp_path / "keys", "host-1")
        client = CollectorClient(collector.url, ca=collector.tls.ca)
        enrollment = await enroll(client, key, host_id="host-1", token=collector.token(), now=AT)
        assert enrollment.host_id == "host-1"
        assert enrollment.key_id == key.key_id
        assert enrollment.policy_public_key == collector.service.policy_public_key
        with pytest.raises(Refusal) as caught:
            await enroll(
                client, load_host_key(tmp_path / "other", "host-2"), host_id="host-2", token="nope", now=AT
            )
        assert caught.value.reason == "unknown_token"
        await client.close()
