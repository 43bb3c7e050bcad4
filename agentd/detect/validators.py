"""Structure validators, run only on candidates: entropy, Luhn, IBAN, phone, SSN, JWT, PEM.

Each takes the candidate's text and answers whether it is structurally what the rule claims.
They never raise on hostile input: anything unexpected is simply not valid.
"""

import base64
import binascii
import ipaddress
import json
import math
import re
from collections import Counter

import phonenumbers

_DIGITS = re.compile(r"[0-9]")
_NON_DIGITS = re.compile(r"[^0-9]")


_ENTROPY_SAMPLE = 256
# n * log2(n) for every count a sample can hold, so entropy is table lookups in C.
_N_LOG_N = tuple(n * math.log2(n) if n else 0.0 for n in range(_ENTROPY_SAMPLE + 1))


def entropy(text: str) -> float:
    """Shannon entropy in bits per character (0 for empty text), over at most the first 256
    characters: plenty to tell random from regular, and bounded for key blocks."""
    if not text:
        return 0.0
    text = text[:_ENTROPY_SAMPLE]
    size = len(text)
    return math.log2(size) - sum(map(_N_LOG_N.__getitem__, Counter(text).values())) / size


def luhn(digits: str) -> bool:
    """The Luhn checksum over a string of ASCII digits."""
    if not digits or not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


# (prefix range low, high, allowed lengths): Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay.
_CARD_RANGES: tuple[tuple[int, int, tuple[int, ...]], ...] = (
    (4, 4, (13, 16, 19)),
    (51, 55, (16,)),
    (2221, 2720, (16,)),
    (34, 34, (15,)),
    (37, 37, (15,)),
    (6011, 6011, (16, 19)),
    (644, 649, (16, 19)),
    (65, 65, (16, 19)),
    (3528, 3589, (16, 19)),
    (300, 305, (14,)),
    (36, 36, (14,)),
    (38, 39, (14, 16)),
    (62, 62, (16, 17, 18, 19)),
)


# Numbers payment processors publish for testing; they appear in docs and fixtures, not wallets.
_TEST_CARDS = frozenset(
    {
        "4111111111111111", "4012888888881881", "4222222222222", "4242424242424242",
        "4000056655665556", "5555555555554444", "5105105105105100", "5200828282828210",
        "2223003122003222", "378282246310005", "371449635398431", "378734493671000",
        "6011111111111117", "6011000990139424", "3056930009020004", "36227206271667",
        "3566002020360505", "6200000000000005", "4000000000000002", "4000000000009995",
    }
)  # fmt: skip


def payment_card(text: str) -> bool:
    """A card number: one kind of separator, a known brand range and length, a valid Luhn sum,
    and not one of the published test numbers."""
    separators = set(_DIGITS.sub("", text))
    if len(separators) > 1 or separators - {" ", "-"}:
        return False
    digits = _NON_DIGITS.sub("", text)
    if len(set(digits)) < 4 or digits in _TEST_CARDS:
        return False
    for low, high, lengths in _CARD_RANGES:
        width = len(str(low))
        if low <= int(digits[:width]) <= high and len(digits) in lengths:
            return luhn(digits)
    return False


_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip


def iban(text: str) -> bool:
    """An IBAN: a known country, that country's length, and the ISO 7064 mod-97 check."""
    compact = text.replace(" ", "").upper()
    if not compact.isascii() or not compact.isalnum() or _IBAN_LENGTHS.get(compact[:2]) != len(compact):
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(char, 36)) for char in rearranged)
    return int(number) % 97 == 1


def phone(text: str, region: str = "US") -> bool:
    """A dialable number for phonenumbers' metadata (international form, or ``region``'s)."""
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_valid_number(parsed))


_SSN = re.compile(r"([0-9]{3})-([0-9]{2})-([0-9]{4})")
_SSN_PUBLICISED = frozenset({"078-05-1120", "219-09-9999", "123-45-6789"})


def ssn(text: str) -> bool:
    """A US Social Security number the SSA could have issued (area, group and serial rules)."""
    match = _SSN.fullmatch(text)
    if match is None or text in _SSN_PUBLICISED:
        return False
    area, group, serial = (int(part) for part in match.groups())
    return 0 < area < 900 and area != 666 and group > 0 and serial > 0


def _b64url_json(segment: str) -> object:
    padded = segment + "=" * (-len(segment) % 4)
    try:
        return json.loads(base64.urlsafe_b64decode(padded))
    except (binascii.Error, ValueError):
        return None


def jwt(text: str) -> bool:
    """A JSON Web Token: a JSON header naming its ``alg``, a JSON object payload, a signature."""
    parts = text.split(".")
    if len(parts) != 3 or len(text) > 16384:
        return False
    header, payload = _b64url_json(parts[0]), _b64url_json(parts[1])
    if not isinstance(header, dict) or not isinstance(header.get("alg"), str):
        return False
    return isinstance(payload, dict) and (bool(parts[2]) or header["alg"].lower() == "none")


_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END ([A-Z0-9 ]+)-----", re.DOTALL)
_PEM_HEADER = re.compile(r"^[A-Za-z-]+:.*$", re.MULTILINE)
_DER_LABELS = frozenset(
    {"RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY", "PRIVATE KEY", "ENCRYPTED PRIVATE KEY"}
)


def _der_length_ok(blob: bytes) -> bool:
    if len(blob) < 64 or blob[0] != 0x30:
        return False
    first = blob[1]
    if first < 0x80:
        return first + 2 == len(blob)
    width = first & 0x7F
    if not 1 <= width <= 3:
        return False
    return int.from_bytes(blob[2 : 2 + width], "big") + 2 + width == len(blob)


def pem_private_key(text: str) -> bool:
    """A PEM or PGP private key block with a body that decodes to the structure its label names.

    JSON- or shell-escaped blocks (literal ``\\n``) are accepted; a truncated or elided body
    (``MIIE...``) is not.
    """
    text = text.replace("\\r", "").replace("\\n", "\n").replace("\r", "")
    match = _PEM.fullmatch(text.strip())
    if match is None or match.group(1) != match.group(3):
        return False
    label, body = match.group(1), match.group(2)
    encrypted = "ENCRYPTED" in body[:200] and "Proc-Type:" in body[:200]
    body = _PEM_HEADER.sub("", body)
    lines = [line.strip() for line in body.split("\n") if line.strip()]
    # PGP armor ends with a CRC-24 line ("=abcd") that is not part of the packet data.
    if label.startswith("PGP") and lines and lines[-1].startswith("=") and len(lines[-1]) == 5:
        lines = lines[:-1]
    try:
        blob = base64.b64decode("".join(lines), validate=True)
    except (binascii.Error, ValueError):
        return False
    if label == "OPENSSH PRIVATE KEY":
        return blob.startswith(b"openssh-key-v1\x00")
    if label.startswith("PGP"):
        return len(blob) >= 64 and bool(blob[0] & 0x80)
    if label in _DER_LABELS:
        return len(blob) >= 64 if encrypted else _der_length_ok(blob)
    return False


def ip_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address ``text`` spells, or None (leading zeros and zone ids are refused)."""
    if "%" in text:
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Globally routable: not private, loopback, link-local, multicast, reserved or documentation."""
    return address.is_global and not address.is_multicast


def is_identifying(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Names a host or network: not loopback, unspecified, multicast or reserved (which every
    machine shares and so say nothing about anyone)."""
    return not (address.is_loopback or address.is_unspecified or address.is_multicast or address.is_reserved)
