"""A simulated host that signs and chains batches, and a real collector served in the
background (gRPC over loopback, TLS with certificates made at run time)."""

import contextlib
import hashlib
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agentd.clock import SystemClock
from agentd.collector.runtime import signing_key
from agentd.collector.server import CollectorServer, TlsFiles
from agentd.collector.service import CollectorService, create_token
from agentd.collector.store import SqlStore, open_store
from agentd.collector.store.records import HostFacts, HostRecord
from agentd.events import Stamper, UserPrompt
from agentd.record.schema import SpooledEvent
from agentd.record.spool import SealedBatch
from agentd.ship import batches
from agentd.ship.keys import key_id
from agentd.wire.codec import encode_event
from tests.support.agentd_env import AGENTD, AgentdHome
from tests.support.background import serving
from tests.support.certs import make_ca, make_leaf

CLOCK = SystemClock()


@dataclass
class SimulatedHost:
    """Builds the batches a host would send: consecutive, signed, hash-chained."""

    host_id: str = "a1" * 16
    epoch: int = 1_700_000_000_000
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    sequence: int = 0
    digest: bytes = batches.ZERO_DIGEST
    next_seq: int = 1

    @property
    def public_key(self) -> bytes:
        return self.key.public_key().public_bytes_raw()

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def events(self, count: int, text: str = "hello") -> list[SpooledEvent]:
        stamp = Stamper(host_id=self.host_id)
        out = []
        for _ in range(count):
            event = stamp(UserPrompt, CLOCK.now(), message_index=self.next_seq, text=text, chars=len(text))
            out.append(
                SpooledEvent(
                    self.next_seq,
                    "user_prompt",
                    encode_event(event.model_copy(update={"seq": self.next_seq})),
                )
            )
            self.next_seq += 1
        return out

    def batch(
        self, count: int = 3, *, events: list[SpooledEvent] | None = None, advance: bool = True
    ) -> SealedBatch:
        sealed = batches.build(
            events or self.events(count),
            self.sequence + 1,
            self.digest,
            host_id=self.host_id,
            epoch=self.epoch,
            created=CLOCK.now(),
            signer=self.key.sign,
            key_id=self.key_id,
        )
        if advance:
            self.sequence, self.digest = sealed.sequence, sealed.digest
        return sealed

    def enroll_directly(self, store: SqlStore) -> None:
        """Register this host in the store as Enroll would."""
        token = create_token(store, CLOCK.now(), timedelta(days=1))
        store.enroll(
            HostRecord(
                host_id=self.host_id,
                public_key=self.public_key,
                key_id=self.key_id,
                facts=HostFacts(hostname="sim"),
                enrolled=CLOCK.now(),
            ),
            hashlib.sha256(token.encode()).hexdigest(),
        )


@dataclass
class CollectorTls:
    ca: Path
    cert: Path
    key: Path

    @classmethod
    def create(cls, directory: Path) -> "CollectorTls":
        """Certificates in ``directory``, made on first use and reused after (a restarted
        collector keeps its certificate, as a real one does)."""
        paths = cls(directory / "ca.pem", directory / "server.pem", directory / "server.key")
        if paths.key.exists():
            return paths
        directory.mkdir(parents=True, exist_ok=True)
        ca_cert, ca_key = make_ca("agentd test collector CA")
        cert, key = make_leaf(ca_cert, ca_key, "localhost")
        paths.ca.write_bytes(ca_cert)
        paths.cert.write_bytes(cert)
        paths.key.write_bytes(key)
        return paths


@dataclass
class RunningCollector:
    url: str
    port: int
    store: SqlStore
    service: CollectorService
    tls: CollectorTls | None
    state_dir: Path

    def token(self) -> str:
        return create_token(self.store, CLOCK.now(), timedelta(days=1))


@contextlib.contextmanager
def running_collector(
    db_url: str, state_dir: Path, *, tls: bool = True, port: int = 0, client_ca: Path | None = None
) -> Iterator[RunningCollector]:
    """The real collector (service + grpc.aio server) on 127.0.0.1, in a background loop."""
    store = open_store(db_url)
    try:
        key = signing_key(store, state_dir / "policy_signing_ed25519", create=True)
        service = CollectorService(store, CLOCK, key.public_key().public_bytes_raw())
        paths = CollectorTls.create(state_dir / "tls") if tls else None
        files = TlsFiles(paths.cert, paths.key, client_ca) if paths else None
        server = CollectorServer(service, f"127.0.0.1:{port}", files)
        with serving(server, ready=server.ready):
            assert server.port is not None
            scheme = "https" if tls else "http"
            host = "localhost" if tls else "127.0.0.1"
            yield RunningCollector(
                f"{scheme}://{host}:{server.port}", server.port, store, service, paths, state_dir
            )
    finally:
        store.close()


@dataclass
class CollectorProcess:
    """A real `agentd collector serve` process."""

    process: "subprocess.Popen[str]"
    port: int
    url: str
    db_url: str
    ca: Path | None
    home: AgentdHome

    def admin(self, *args: str) -> "subprocess.CompletedProcess[str]":
        """Run `agentd collector ARGS --db URL` against this collector's database."""
        return self.home.run("collector", *args, "--db", self.db_url)

    def token(self) -> str:
        result = self.admin("token", "create")
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        self.process.communicate(timeout=60)
        return self.process.returncode


@contextlib.contextmanager
def collector_process(
    home: AgentdHome, db_url: str, *, tls: bool = True, port: int = 0, env: dict[str, str] | None = None
) -> Iterator[CollectorProcess]:
    """Start `agentd collector serve` (TLS with a CA made now, or --insecure) and wait for its
    "listening" line; stopped with SIGTERM on exit."""
    args = [*AGENTD, "collector", "serve", "--listen", f"127.0.0.1:{port}", "--db", db_url]
    ca = None
    if tls:
        paths = CollectorTls.create(home.root / "collector-tls")
        args += ["--tls-cert", str(paths.cert), "--tls-key", str(paths.key)]
        ca = paths.ca
    else:
        args.append("--insecure")
    process = subprocess.Popen(
        args, env=env or home.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if "listening on" not in line:
            process.kill()
            _, err = process.communicate()
            raise AssertionError(f"collector did not start: {line!r} {err}")
        bound = int(line.strip().rsplit(":", 1)[1])
        host = "localhost" if tls else "127.0.0.1"
        yield CollectorProcess(
            process, bound, f"{'https' if tls else 'http'}://{host}:{bound}", db_url, ca, home
        )
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
