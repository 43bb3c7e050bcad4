"""Sortable event identifiers: 48 bits of milliseconds then 80 random bits, Crockford base32.

Lexical order is time order (to the millisecond), so ids sort the way events happened.
"""

import os
from datetime import datetime

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ID_LENGTH = 26


def new_event_id(at: datetime, randomness: bytes | None = None) -> str:
    """A 26-character id for an event that happened ``at``; ``randomness`` (10 bytes) for tests."""
    millis = int(at.timestamp() * 1000)
    if not 0 <= millis < 1 << 48:
        raise ValueError(f"timestamp out of range for an event id: {at.isoformat()}")
    rand = randomness if randomness is not None else os.urandom(10)
    if len(rand) != 10:
        raise ValueError("event id randomness must be 10 bytes")
    value = (millis << 80) | int.from_bytes(rand, "big")
    chars = []
    for _ in range(ID_LENGTH):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))
