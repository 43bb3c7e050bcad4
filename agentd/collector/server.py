"""The collector's gRPC edge: grpc.aio server, TLS / mTLS or loopback plaintext, status codes.

Handlers run the synchronous service in worker threads so a slow database never stalls the
event loop; refusals map to gRPC codes the host's client can branch on.
"""

import asyncio
import ipaddress
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import grpc

from agentd.collector.chain import Reason, Refused
from agentd.collector.service import CollectorService
from agentd.collector.store import StoreError
from agentd.errors import ConfigError
from agentd.wire._generated.agentd.v1 import collector_pb2, collector_pb2_grpc

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 64 * 1024 * 1024

_STATUS = {
    Reason.MALFORMED: grpc.StatusCode.INVALID_ARGUMENT,
    Reason.UNKNOWN_HOST: grpc.StatusCode.UNAUTHENTICATED,
    Reason.WRONG_KEY: grpc.StatusCode.UNAUTHENTICATED,
    Reason.BAD_SIGNATURE: grpc.StatusCode.UNAUTHENTICATED,
    Reason.GAP: grpc.StatusCode.FAILED_PRECONDITION,
    Reason.FORK: grpc.StatusCode.FAILED_PRECONDITION,
    Reason.REPLAY: grpc.StatusCode.FAILED_PRECONDITION,
    Reason.STALE_EPOCH: grpc.StatusCode.FAILED_PRECONDITION,
    Reason.UNKNOWN_TOKEN: grpc.StatusCode.PERMISSION_DENIED,
    Reason.EXPIRED_TOKEN: grpc.StatusCode.PERMISSION_DENIED,
    Reason.TOKEN_USED_UP: grpc.StatusCode.PERMISSION_DENIED,
    Reason.STALE_TOKEN: grpc.StatusCode.PERMISSION_DENIED,
}
REASON_METADATA = "agentd-reason"

Request = TypeVar("Request")
Response = TypeVar("Response")


@dataclass(frozen=True)
class TlsFiles:
    cert: Path
    key: Path
    client_ca: Path | None = None  # when set, clients must present a certificate it signed


def check_listen(listen: str, tls: TlsFiles | None) -> tuple[str, int]:
    """``HOST:PORT`` parsed; plaintext is allowed on loopback only. ConfigError otherwise."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ConfigError(f"--listen {listen!r}: expected HOST:PORT")
    bare = host.strip("[]")
    if tls is None:
        try:
            loopback = ipaddress.ip_address(bare).is_loopback
        except ValueError:
            loopback = bare == "localhost"
        if not loopback:
            raise ConfigError(
                f"--insecure serves plaintext on loopback only, not on {host}: give --tls-cert/--tls-key"
            )
    return bare, int(port)


def credentials(tls: TlsFiles) -> grpc.ServerCredentials:
    try:
        key, cert = tls.key.read_bytes(), tls.cert.read_bytes()
        root = tls.client_ca.read_bytes() if tls.client_ca else None
    except OSError as exc:
        raise ConfigError(f"cannot read TLS file {exc.filename}: {exc.strerror}") from exc
    return grpc.ssl_server_credentials(
        [(key, cert)], root_certificates=root, require_client_auth=root is not None
    )


class _Servicer(collector_pb2_grpc.CollectorServicer):
    def __init__(self, service: CollectorService) -> None:
        self.service = service

    async def _call(
        self,
        work: Callable[[Request], Response],
        request: Request,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> Response:
        try:
            return await asyncio.to_thread(work, request)
        except Refused as refused:
            await context.send_initial_metadata(((REASON_METADATA, refused.reason.value),))
            await context.abort(_STATUS[refused.reason], str(refused))
        except StoreError as exc:
            log.error("collector database error", extra={"error": str(exc)})
            await context.abort(grpc.StatusCode.UNAVAILABLE, "collector database unavailable; retry later")
        raise AssertionError("unreachable: abort raises")

    async def Enroll(self, request: Any, context: Any) -> collector_pb2.EnrollResponse:
        return await self._call(self.service.enroll, request, context)

    async def PushBatch(self, request: Any, context: Any) -> collector_pb2.PushBatchResponse:
        return await self._call(self.service.push, request.batch, context)

    async def GetPolicy(self, request: Any, context: Any) -> collector_pb2.GetPolicyResponse:
        return await self._call(self.service.policy, request, context)

    async def Heartbeat(self, request: Any, context: Any) -> collector_pb2.HeartbeatResponse:
        return await self._call(self.service.heartbeat, request, context)


class CollectorServer:
    """A Component: serves the Collector service until cancelled, then stops gracefully."""

    name = "collector_server"

    def __init__(self, service: CollectorService, listen: str, tls: TlsFiles | None) -> None:
        self.service = service
        self.host, self.requested_port = check_listen(listen, tls)
        self.tls = tls
        self.port: int | None = None
        self.ready = asyncio.Event()

    async def serve(self) -> None:
        server = grpc.aio.server(
            options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ],
            compression=grpc.Compression.Gzip,
        )
        collector_pb2_grpc.add_CollectorServicer_to_server(_Servicer(self.service), server)
        address = (
            f"[{self.host}]:{self.requested_port}"
            if ":" in self.host
            else f"{self.host}:{self.requested_port}"
        )
        try:
            if self.tls is None:
                self.port = server.add_insecure_port(address)
            else:
                self.port = server.add_secure_port(address, credentials(self.tls))
        except RuntimeError as exc:
            raise ConfigError(f"cannot listen on {address}: {exc}") from exc
        await server.start()
        log.info(
            "collector listening", extra={"address": f"{self.host}:{self.port}", "tls": self.tls is not None}
        )
        self.ready.set()
        try:
            await server.wait_for_termination()
        finally:
            self.ready.clear()
            await asyncio.shield(server.stop(grace=2))

    def statistics(self) -> Mapping[str, Any]:
        return {
            "listen": f"{self.host}:{self.port}",
            "tls": self.tls is not None,
            **self.service.statistics(),
        }
