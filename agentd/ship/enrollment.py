"""Enrollment: the facts a host reports, the Enroll call, and the pinned result on disk.

``state_dir/enrollment.json`` holds the host id the collector confirmed, its URL, the key id
it trusts, and the collector's policy-signing public key that every bundle must verify against.
"""

import contextlib
import getpass
import json
import os
import platform
import socket
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from agentd import __version__
from agentd.errors import ConfigError
from agentd.ship.client import CollectorClient
from agentd.ship.keys import HostKey
from agentd.wire._generated.agentd.v1 import collector_pb2

ENROLLMENT_FILE = "enrollment.json"


@dataclass(frozen=True)
class Enrollment:
    host_id: str
    collector_url: str
    key_id: str
    policy_public_key: bytes
    enrolled_at: datetime

    def to_json(self) -> str:
        return json.dumps(
            {
                "host_id": self.host_id,
                "collector_url": self.collector_url,
                "key_id": self.key_id,
                "policy_public_key": self.policy_public_key.hex(),
                "enrolled_at": self.enrolled_at.isoformat(),
            },
            indent=2,
        )


def host_facts() -> collector_pb2.HostFacts:
    users: list[str] = []
    with contextlib.suppress(Exception):  # no passwd entry in some containers
        users.append(getpass.getuser())
    return collector_pb2.HostFacts(
        hostname=socket.gethostname(),
        os=platform.system().lower(),
        os_version=platform.release(),
        arch=platform.machine(),
        agentd_version=__version__,
        users=users,
    )


def load_enrollment(state_dir: Path) -> Enrollment | None:
    """The saved enrollment, None when the host never enrolled; ConfigError when it is damaged."""
    path = state_dir / ENROLLMENT_FILE
    try:
        data = json.loads(path.read_text())
        return Enrollment(
            host_id=data["host_id"],
            collector_url=data["collector_url"],
            key_id=data["key_id"],
            policy_public_key=bytes.fromhex(data["policy_public_key"]),
            enrolled_at=datetime.fromisoformat(data["enrolled_at"]),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path} is damaged ({exc}); run `agentd enroll` again") from exc


def save_enrollment(state_dir: Path, enrollment: Enrollment) -> Path:
    """Write the enrollment atomically (0600: it pins the key every policy is checked against)."""
    path = state_dir / ENROLLMENT_FILE
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(enrollment.to_json())
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)
    return path


async def enroll(
    client: CollectorClient, key: HostKey, *, host_id: str, token: str, now: datetime
) -> Enrollment:
    """Call Enroll with this host's facts and public key; Refusal / CollectorUnavailable on failure."""
    response = await client.enroll(
        collector_pb2.EnrollRequest(
            token=token, public_key=key.public_bytes, facts=host_facts(), host_id=host_id
        )
    )
    if response.host_id != host_id:
        raise ConfigError(
            f"the collector assigned host id {response.host_id!r}, but this host's events carry {host_id!r}"
        )
    if len(response.policy_public_key) != 32:
        raise ConfigError("the collector returned no usable policy-signing key")
    return Enrollment(
        host_id=response.host_id,
        collector_url=client.url,
        key_id=response.key_id or key.key_id,
        policy_public_key=response.policy_public_key,
        enrolled_at=now,
    )
