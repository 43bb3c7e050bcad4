import socket
from pathlib import Path

import pytest

from agentd.errors import CollectorUnavailable, ConfigError
from agentd.ship.client import CollectorClient, Refusal, Target, parse_url
from agentd.wire._generated.agentd.v1 import collector_pb2
from tests.support.collector import SimulatedHost, running_collector


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("https://collector.example.com", Target("collector.example.com:443", tls=True)),
        ("https://collector.example.com:8443", Target("collector.example.com:8443", tls=True)),
        ("grpcs://10.0.0.5:4317", Target("10.0.0.5:4317", tls=True)),
        ("collector.example.com:4317", Target("collector.example.com:4317", tls=True)),
        ("http://127.0.0.1:4317", Target("127.0.0.1:4317", tls=False)),
        ("grpc://localhost:1", Target("localhost:1", tls=False)),
        ("https://[::1]:9", Target("[::1]:9", tls=True)),
    ],
)
def test_collector_urls(url: str, target: Target) -> None:
    assert parse_url(url) == target


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://collector.example.com:80", "loopback only"),
        ("ftp://x", "expected https"),
        ("https://", "expected https"),
        ("https://host:99999", "out of range"),
    ],
)
def test_bad_collector_urls(url: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        parse_url(url)


def test_an_unreadable_ca_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the collector CA"):
        CollectorClient("https://localhost:1", ca=tmp_path / "absent.pem")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_nothing_listening_is_collector_unavailable() -> None:
    client = CollectorClient(f"http://127.0.0.1:{_closed_port()}", deadline=5)
    with pytest.raises(CollectorUnavailable, match="UNAVAILABLE"):
        await client.get_policy("h", "")
    await client.close()


async def test_refusals_name_their_reason_and_tls_uses_the_configured_ca(tmp_path: Path) -> None:
    with running_collector(f"sqlite://{tmp_path / 'c.sqlite3'}", tmp_path) as collector:
        assert collector.tls is not None
        client = CollectorClient(collector.url, ca=collector.tls.ca)
        host = SimulatedHost()
        with pytest.raises(Refusal) as caught:
            await client.push(host.batch(2).wire)
        assert caught.value.reason == "unknown_host"
        assert "UNAUTHENTICATED" in str(caught.value)
        response = await client.enroll(
            collector_pb2.EnrollRequest(
                token=collector.token(), public_key=host.public_key, host_id=host.host_id
            )
        )
        assert response.host_id == host.host_id
        host.sequence, host.digest = 0, b"\x00" * 32
        assert (await client.push(host.batch(2).wire)).acked_sequence == 1
        await client.close()
        await client.close()  # closing twice is harmless

        untrusting = CollectorClient(collector.url)  # system roots do not know the test CA
        with pytest.raises(CollectorUnavailable):
            await untrusting.get_policy(host.host_id, "")
        await untrusting.close()
