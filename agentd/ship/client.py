"""The host's gRPC edge to the collector: a grpc.aio channel over TLS (system roots or a
configured CA, optional client certificate), gzip, deadlines, and gRPC errors translated
once into CollectorUnavailable (retry with backoff) or Refusal (retrying will not help).
"""

import ipaddress
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import grpc

from agentd.errors import BatchRejected, CollectorUnavailable, ConfigError
from agentd.wire._generated.agentd.v1 import collector_pb2, collector_pb2_grpc

REASON_METADATA = "agentd-reason"  # the collector names the rule that refused a request
_RETRYABLE = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.CANCELLED,
    }
)
_MAX_MESSAGE_BYTES = 64 * 1024 * 1024

Response = TypeVar("Response")


class Refusal(BatchRejected):
    """The collector refused the request for a reason it named (``reason``, e.g. ``gap``)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Target:
    address: str  # host:port as gRPC dials it
    tls: bool


def parse_url(url: str) -> Target:
    """``https://host[:port]`` / ``grpcs://…`` (TLS), ``http://`` / ``grpc://`` (plaintext, loopback
    only). ConfigError for anything else."""
    parts = urlsplit(url if "://" in url else f"https://{url}")
    if parts.scheme not in ("https", "grpcs", "http", "grpc") or not parts.hostname:
        raise ConfigError(f"collector url {url!r}: expected https://HOST[:PORT]")
    tls = parts.scheme in ("https", "grpcs")
    try:
        port = parts.port or (443 if tls else 80)
    except ValueError as exc:
        raise ConfigError(f"collector url {url!r}: {exc}") from exc
    host = parts.hostname
    if not tls:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise ConfigError(f"collector url {url!r}: plaintext is allowed to loopback only; use https://")
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return Target(address=address, tls=tls)


def _read(path: Path | None, what: str) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the collector {what} {path}: {exc.strerror}") from exc


class CollectorClient:
    """One channel to the collector; every call has a deadline and raises agentd errors only."""

    def __init__(
        self,
        url: str,
        *,
        ca: Path | None = None,
        client_cert: Path | None = None,
        client_key: Path | None = None,
        deadline: float = 15.0,
    ) -> None:
        self.url = url
        self.target = parse_url(url)
        self.deadline = deadline
        options = [
            ("grpc.max_receive_message_length", _MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", _MAX_MESSAGE_BYTES),
            ("grpc.keepalive_time_ms", 60_000),
            # Reconnect promptly once the collector is back; our own backoff paces retries.
            ("grpc.initial_reconnect_backoff_ms", 200),
            ("grpc.max_reconnect_backoff_ms", 5_000),
        ]
        self._options = options
        self._credentials = (
            grpc.ssl_channel_credentials(
                root_certificates=_read(ca, "CA"),
                private_key=_read(client_key, "client key"),
                certificate_chain=_read(client_cert, "client certificate"),
            )
            if self.target.tls
            else None
        )
        self._channel: grpc.aio.Channel | None = None
        self._stub_: collector_pb2_grpc.CollectorStub | None = None

    @property
    def _stub(self) -> collector_pb2_grpc.CollectorStub:
        # grpc.aio binds a channel to the running loop: open it on first use, inside the loop.
        if self._stub_ is None:
            if self._credentials is not None:
                self._channel = grpc.aio.secure_channel(
                    self.target.address,
                    self._credentials,
                    options=self._options,
                    compression=grpc.Compression.Gzip,
                )
            else:
                self._channel = grpc.aio.insecure_channel(
                    self.target.address, options=self._options, compression=grpc.Compression.Gzip
                )
            self._stub_ = collector_pb2_grpc.CollectorStub(self._channel)
        return self._stub_

    async def enroll(self, request: collector_pb2.EnrollRequest) -> collector_pb2.EnrollResponse:
        return await self._call(self._stub.Enroll, request)

    async def push(self, wire: bytes) -> collector_pb2.PushBatchResponse:
        """Send one sealed batch (serialised SignedBatch bytes, as the spool keeps them)."""
        request = collector_pb2.PushBatchRequest(batch=collector_pb2.SignedBatch.FromString(wire))
        return await self._call(self._stub.PushBatch, request)

    async def get_policy(self, host_id: str, current_version: str) -> collector_pb2.GetPolicyResponse:
        request = collector_pb2.GetPolicyRequest(host_id=host_id, current_version=current_version)
        return await self._call(self._stub.GetPolicy, request)

    async def heartbeat(self, request: collector_pb2.HeartbeatRequest) -> collector_pb2.HeartbeatResponse:
        return await self._call(self._stub.Heartbeat, request)

    async def _call(self, method: Callable[..., Awaitable[Response]], request: Any) -> Response:
        try:
            return await method(request, timeout=self.deadline, wait_for_ready=False)
        except grpc.aio.AioRpcError as exc:
            raise translate(exc, self.url) from None

    async def close(self) -> None:
        channel, self._channel, self._stub_ = self._channel, None, None
        if channel is not None:
            await channel.close()


def translate(exc: grpc.aio.AioRpcError, url: str) -> CollectorUnavailable | Refusal:
    code = exc.code()
    detail = exc.details() or code.name
    if code in _RETRYABLE:
        return CollectorUnavailable(f"collector {url} unavailable ({code.name}): {_first_line(detail)}")
    reason = ""
    for metadata in (exc.initial_metadata(), exc.trailing_metadata()):
        for key, value in metadata or ():
            if key == REASON_METADATA:
                reason = str(value)
    return Refusal(
        f"collector {url} refused ({code.name}): {_first_line(detail)}", reason or code.name.lower()
    )


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0][:300] if text.strip() else ""
