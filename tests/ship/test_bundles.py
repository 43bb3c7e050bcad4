from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agentd.errors import PolicyError
from agentd.ship.bundles import PolicyBundle, SignedBundle, sign_bundle, verify_bundle
from agentd.wire._generated.agentd.v1 import collector_pb2

KEY = Ed25519PrivateKey.generate()
PUBLIC = KEY.public_key().public_bytes_raw()
BUNDLE = PolicyBundle(
    version="2026-05-01-1",
    serial=1,
    created=datetime(2026, 5, 1, tzinfo=UTC),
    policies={"team.cedar": "// rules"},
    catalog_overrides={"tools": {"Bash": ["executes_code"]}},
    config_overrides={"policy": {"mode": "monitor"}},
)


def test_a_signed_bundle_verifies_back_to_itself() -> None:
    assert verify_bundle(sign_bundle(BUNDLE, KEY.sign), PUBLIC) == BUNDLE


def _signed_payload(message: collector_pb2.PolicyBundle) -> SignedBundle:
    payload = message.SerializeToString()
    return SignedBundle(payload, KEY.sign(payload))


@pytest.mark.parametrize(
    ("signed", "words"),
    [
        (
            SignedBundle(
                sign_bundle(BUNDLE, KEY.sign).payload + b"\x00", sign_bundle(BUNDLE, KEY.sign).signature
            ),
            "does not verify",
        ),
        (sign_bundle(BUNDLE, Ed25519PrivateKey.generate().sign), "does not verify"),
        (SignedBundle(b"", b""), "does not verify"),
        (SignedBundle(b"\xff\xff", KEY.sign(b"\xff\xff")), "malformed"),
        (
            _signed_payload(collector_pb2.PolicyBundle(version="v", catalog_overrides_json="{nope")),
            "malformed",
        ),
        (_signed_payload(collector_pb2.PolicyBundle(version="v", config_overrides_json="[1]")), "non-object"),
        (_signed_payload(collector_pb2.PolicyBundle()), "lacks a version"),
    ],
    ids=["tampered", "other-key", "empty", "garbage", "bad-json", "array-overrides", "no-version"],
)
def test_bad_bundles_are_policy_errors(signed: SignedBundle, words: str) -> None:
    with pytest.raises(PolicyError, match=words):
        verify_bundle(signed, PUBLIC)
