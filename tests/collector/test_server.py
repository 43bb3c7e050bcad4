from pathlib import Path

import grpc
import pytest

from agentd.collector.server import REASON_METADATA, TlsFiles, check_listen, credentials
from agentd.errors import ConfigError
from agentd.wire._generated.agentd.v1 import collector_pb2, collector_pb2_grpc
from tests.support.certs import make_ca, make_leaf
from tests.support.collector import SimulatedHost, running_collector


@pytest.mark.parametrize(
    ("listen", "tls", "expected"),
    [
        ("127.0.0.1:0", False, ("127.0.0.1", 0)),
        ("localhost:4317", False, ("localhost", 4317)),
        ("[::1]:9", False, ("::1", 9)),
        ("0.0.0.0:443", True, ("0.0.0.0", 443)),
    ],
)
def test_listen_addresses(listen: str, tls: bool, expected: tuple[str, int]) -> None:
    files = TlsFiles(Path("c"), Path("k")) if tls else None
    assert check_listen(listen, files) == expected


@pytest.mark.parametrize(
    ("listen", "words"),
    [
        ("0.0.0.0:4317", "loopback only"),
        ("collector.example.com:4317", "loopback only"),
        ("4317", "expected HOST:PORT"),
        ("host:port", "expected HOST:PORT"),
    ],
)
def test_plaintext_is_refused_off_loopback(listen: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        check_listen(listen, None)


async def _push(channel: grpc.aio.Channel, wire: bytes) -> collector_pb2.PushBatchResponse:
    stub = collector_pb2_grpc.CollectorStub(channel)
    request = collector_pb2.PushBatchRequest(batch=collector_pb2.SignedBatch.FromString(wire))
    response: collector_pb2.PushBatchResponse = await stub.PushBatch(request, timeout=30)
    return response


async def test_refusals_carry_a_grpc_code_and_the_reason(tmp_path: Path) -> None:
    with running_collector(f"sqlite://{tmp_path / 'c.sqlite3'}", tmp_path, tls=False) as collector:
        host = SimulatedHost()
        async with grpc.aio.insecure_channel(f"127.0.0.1:{collector.port}") as channel:
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await _push(channel, host.batch(2).wire)
            assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED
            assert "unknown_host: host" in (caught.value.details() or "")
            assert (REASON_METADATA, "unknown_host") in tuple(caught.value.initial_metadata() or ())
            host.enroll_directly(collector.store)
            host.sequence, host.digest = 0, b"\x00" * 32
            assert (await _push(channel, host.batch(2).wire)).acked_sequence == 1
            host.batch(2)
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await _push(channel, host.batch(2).wire)
            assert caught.value.code() is grpc.StatusCode.FAILED_PRECONDITION
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await _push(channel, b"")
            assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT


async def test_tls_is_verified(tmp_path: Path) -> None:
    with running_collector(f"sqlite://{tmp_path / 'c.sqlite3'}", tmp_path) as collector:
        assert collector.tls is not None
        trusted = grpc.ssl_channel_credentials(root_certificates=collector.tls.ca.read_bytes())
        async with grpc.aio.secure_channel(f"localhost:{collector.port}", trusted) as channel:
            stub = collector_pb2_grpc.CollectorStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.GetPolicy(collector_pb2.GetPolicyRequest(host_id="x"), timeout=30)
            assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED  # TLS worked; the host is unknown
        other_ca, _ = make_ca("someone else")
        untrusted = grpc.ssl_channel_credentials(root_certificates=other_ca)
        async with grpc.aio.secure_channel(f"localhost:{collector.port}", untrusted) as channel:
            stub = collector_pb2_grpc.CollectorStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.GetPolicy(collector_pb2.GetPolicyRequest(host_id="x"), timeout=30)
            assert caught.value.code() is grpc.StatusCode.UNAVAILABLE


async def test_mutual_tls_requires_a_client_certificate(tmp_path: Path) -> None:
    client_ca, client_ca_key = make_ca("agentd hosts")
    (tmp_path / "clients.pem").write_bytes(client_ca)
    with running_collector(
        f"sqlite://{tmp_path / 'c.sqlite3'}", tmp_path, client_ca=tmp_path / "clients.pem"
    ) as collector:
        assert collector.tls is not None
        server_ca = collector.tls.ca.read_bytes()
        anonymous = grpc.ssl_channel_credentials(root_certificates=server_ca)
        async with grpc.aio.secure_channel(f"localhost:{collector.port}", anonymous) as channel:
            stub = collector_pb2_grpc.CollectorStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.GetPolicy(collector_pb2.GetPolicyRequest(host_id="x"), timeout=30)
            assert caught.value.code() is grpc.StatusCode.UNAVAILABLE
        cert, key = make_leaf(client_ca, client_ca_key, "laptop-1")
        identified = grpc.ssl_channel_credentials(
            root_certificates=server_ca, private_key=key, certificate_chain=cert
        )
        async with grpc.aio.secure_channel(f"localhost:{collector.port}", identified) as channel:
            stub = collector_pb2_grpc.CollectorStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.GetPolicy(collector_pb2.GetPolicyRequest(host_id="x"), timeout=30)
            assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED  # past TLS: an unknown host


def test_missing_tls_files_are_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read TLS file"):
        credentials(TlsFiles(tmp_path / "absent.pem", tmp_path / "absent.key"))
