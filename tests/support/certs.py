"""Real X.509 material built at test time: self-signed CAs and leaf certificates they sign
(a thin layer over agentd.demo.pki with test defaults)."""

import datetime

from agentd.clock import SystemClock
from agentd.demo import pki


def make_ca(
    common_name: str, *, days: int = 365, not_before: datetime.datetime | None = None
) -> tuple[bytes, bytes]:
    """(certificate PEM, private key PEM) of a self-signed CA."""
    start = not_before or SystemClock().now() - datetime.timedelta(days=1)
    return pki.make_ca(common_name, start, start + datetime.timedelta(days=days))


def make_leaf(ca_cert: bytes, ca_key: bytes, host: str = "localhost") -> tuple[bytes, bytes]:
    """(certificate PEM, private key PEM) for ``host`` (and 127.0.0.1), signed by the CA."""
    now = SystemClock().now()
    return pki.make_leaf(
        ca_cert,
        ca_key,
        (host, "127.0.0.1"),
        now - datetime.timedelta(days=1),
        now + datetime.timedelta(days=30),
    )
