"""Policy bundles (pure): what the collector signs and publishes, and how a host verifies one.

A bundle travels as the serialised ``agentd.v1.PolicyBundle`` plus the collector's Ed25519
signature over exactly those bytes; hosts pin the collector's key at enrollment.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from google.protobuf.message import DecodeError

from agentd.errors import PolicyError
from agentd.ship.keys import verify
from agentd.wire._generated.agentd.v1 import collector_pb2


@dataclass(frozen=True)
class PolicyBundle:
    """Cedar policies by file name, plus catalog and config overrides, at one version."""

    version: str
    serial: int
    created: datetime
    policies: Mapping[str, str]
    catalog_overrides: Mapping[str, Any] = field(default_factory=dict)
    config_overrides: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SignedBundle:
    payload: bytes
    signature: bytes


def sign_bundle(bundle: PolicyBundle, signer: Callable[[bytes], bytes]) -> SignedBundle:
    message = collector_pb2.PolicyBundle(
        version=bundle.version,
        serial=bundle.serial,
        policies=dict(bundle.policies),
        catalog_overrides_json=json.dumps(bundle.catalog_overrides, sort_keys=True),
        config_overrides_json=json.dumps(bundle.config_overrides, sort_keys=True),
    )
    message.created.FromDatetime(bundle.created)
    payload = message.SerializeToString(deterministic=True)
    return SignedBundle(payload=payload, signature=signer(payload))


def verify_bundle(signed: SignedBundle, public_key: bytes) -> PolicyBundle:
    """The bundle, if ``public_key`` signed it; PolicyError (saying why) otherwise."""
    if not verify(public_key, signed.signature, signed.payload):
        raise PolicyError("policy bundle signature does not verify against the pinned collector key")
    message = collector_pb2.PolicyBundle()
    try:
        message.ParseFromString(signed.payload)
        catalog = json.loads(message.catalog_overrides_json or "{}")
        config = json.loads(message.config_overrides_json or "{}")
    except (DecodeError, RuntimeWarning, ValueError) as exc:
        raise PolicyError(f"signed policy bundle is malformed: {exc}") from exc
    if not message.version or not isinstance(catalog, dict) or not isinstance(config, dict):
        raise PolicyError("signed policy bundle lacks a version or has non-object overrides")
    return PolicyBundle(
        version=message.version,
        serial=message.serial,
        created=message.created.ToDatetime(tzinfo=UTC),
        policies=dict(message.policies),
        catalog_overrides=catalog,
        config_overrides=config,
    )
