import threading
from datetime import timedelta

import pytest

from agentd.clock import SystemClock
from agentd.collector.service import CollectorService, create_token
from agentd.collector.store import StoreError, open_store
from agentd.collector.store.postgres import PostgresStore, redact_url
from agentd.wire._generated.agentd.v1 import collector_pb2
from tests.support import secrets
from tests.support.collector import SimulatedHost
from tests.support.postgres import PostgresServer

CLOCK = SystemClock()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:secret@db:5432/x", "postgresql://u:***@db:5432/x"),
        ("postgresql://u@db/x", "postgresql://u@db/x"),
        ("postgresql://db/x?sslmode=require", "postgresql://db/x?sslmode=require"),
    ],
)
def test_urls_are_shown_without_passwords(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_an_unreachable_server_is_a_store_error_without_the_password() -> None:
    secret = secrets.password("pg")
    with pytest.raises(StoreError) as caught:
        PostgresStore(f"postgresql://agentd:{secret}@127.0.0.1:1/x", connect_timeout=2)
    assert secret not in str(caught.value)
    assert "cannot connect" in str(caught.value)


def test_json_details_are_jsonb_and_queryable(postgres: PostgresServer) -> None:
    store = open_store(postgres.create_database())
    host = SimulatedHost()
    service = CollectorService(store, CLOCK, b"\x00" * 32)
    service.enroll(
        collector_pb2.EnrollRequest(
            token=create_token(store, CLOCK.now(), timedelta(hours=1)),
            public_key=host.public_key,
            host_id=host.host_id,
        )
    )
    service.push(
        collector_pb2.SignedBatch.FromString(host.batch(3, events=host.events(3, text="needle")).wire)
    )
    with store.transaction() as cur:
        cur.execute("SELECT count(*) FROM events WHERE details->>'text' = ?", ("needle",))
        assert cur.fetchone()[0] == 3
    store.close()


def test_replicas_sharing_one_database_store_each_batch_exactly_once(postgres: PostgresServer) -> None:
    url = postgres.create_database()
    replicas = [open_store(url) for _ in range(3)]
    services = [CollectorService(s, CLOCK, b"\x00" * 32) for s in replicas]
    host = SimulatedHost()
    token = create_token(replicas[0], CLOCK.now(), timedelta(hours=1))
    services[0].enroll(
        collector_pb2.EnrollRequest(token=token, public_key=host.public_key, host_id=host.host_id)
    )
    batches = [host.batch(50) for _ in range(10)]
    errors: list[BaseException] = []

    def deliver(service: CollectorService) -> None:
        # Every replica receives every batch (a client retrying through a load balancer).
        try:
            for batch in batches:
                service.push(collector_pb2.SignedBatch.FromString(batch.wire))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=deliver, args=(s,)) for s in services]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    # Replicas may race ahead of one another; a replica that sees a later chain position for an
    # earlier batch refuses it as a replay, which is safe: the batch is already stored.
    assert all("replay" in str(e) for e in errors), errors
    assert replicas[0].count_events() == 500
    assert [e.seq for e in replicas[0].events(limit=None)] == list(range(1, 501))
    for store in replicas:
        store.close()
