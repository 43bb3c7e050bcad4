import base64
import json

import pytest

from agentd.detect import validators
from tests.support import secrets


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [("", 0.0, 0.0), ("aaaa", 0.0, 0.0), ("abcd", 2.0, 2.0), ("0123456789abcdef", 4.0, 4.0)],
)
def test_entropy(text: str, low: float, high: float) -> None:
    assert low <= validators.entropy(text) <= high


@pytest.mark.parametrize(
    ("digits", "expected"),
    [("79927398713", True), ("79927398710", False), ("", False), ("12a4", False), ("١٢٣", False)],
)
def test_luhn(digits: str, expected: bool) -> None:
    assert validators.luhn(digits) is expected


def _card(prefix: str, length: int) -> str:
    from tests.detect.corpus.personal import _luhn_digit

    partial = (prefix + "3957208164" * 2)[: length - 1]
    return partial + _luhn_digit(partial)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (_card("4", 16), True),
        (_card("5", 16)[:1] + "3" + _card("53", 16)[2:], True),
        (_card("37", 15), True),
        (_card("6011", 16), True),
        (" ".join(_card("4", 16)[i : i + 4] for i in range(0, 16, 4)), True),
        ("4539 1488-0343 6467", False),  # mixed separators
        (_card("4", 15), False),  # Visa is 13, 16 or 19 digits
        (_card("9", 16), False),  # no such brand
        ("4242424242424242", False),  # published test number
        ("4111111111111111", False),
        (_card("4", 16)[:-1] + "0" if not _card("4", 16).endswith("0") else _card("4", 16)[:-1] + "1", False),
    ],
)
def test_payment_card(text: str, expected: bool) -> None:
    assert validators.payment_card(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DE89370400440532013000", True),
        ("DE89 3704 0044 0532 0130 00", True),
        ("gb82 west 1234 5698 7654 32", True),
        ("GB82WEST12345698765431", False),
        ("DE8937040044053201300", False),  # one digit short for Germany
        ("XX89370400440532013000", False),
        ("DE89370400440532013000\u0661", False),
        ("", False),
    ],
)
def test_iban(text: str, expected: bool) -> None:
    assert validators.iban(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+44 20 7946 0958", True),
        ("(415) 555-2671", True),
        ("+1 123-456-7890", False),
        ("123-456-7890", False),
        ("+999 1234", False),
        ("not a number", False),
        ("+" + "9" * 500, False),
    ],
)
def test_phone(text: str, expected: bool) -> None:
    assert validators.phone(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("219-45-6789", True),
        ("000-12-3456", False),
        ("666-12-3456", False),
        ("912-34-5678", False),
        ("219-00-6789", False),
        ("219-45-0000", False),
        ("078-05-1120", False),
        ("219456789", False),
    ],
)
def test_ssn(text: str, expected: bool) -> None:
    assert validators.ssn(text) is expected


def _b64url(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (secrets.jwt("v"), True),
        (f"{_b64url({'alg': 'none'})}.{_b64url({'sub': '1'})}.", True),
        (f"{_b64url({'alg': 'HS256'})}.{_b64url({'sub': '1'})}.", False),  # signed alg, no signature
        (f"{_b64url({'typ': 'JWT'})}.{_b64url({'sub': '1'})}.c2ln", False),
        (f"{_b64url({'alg': 'HS256'})}.{_b64url([1, 2])}.c2ln", False),
        (f"{_b64url({'alg': 'HS256'})}.bm90IGpzb24.c2ln", False),
        ("eyJ%%%.eyJ.x", False),
        ("a.b", False),
        (f"{_b64url({'alg': 'HS256'})}.{'A' * 20000}.sig", False),
    ],
)
def test_jwt(text: str, expected: bool) -> None:
    assert validators.jwt(text) is expected


@pytest.mark.parametrize(
    ("label", "size"),
    [
        ("RSA PRIVATE KEY", 1190),
        ("EC PRIVATE KEY", 117),
        ("PRIVATE KEY", 1214),
        ("OPENSSH PRIVATE KEY", 380),
        ("PGP PRIVATE KEY BLOCK", 900),
    ],
)
def test_pem_private_key_accepts_well_formed_blocks(label: str, size: int) -> None:
    pem = secrets.private_key_pem("v", label, size)
    assert validators.pem_private_key(pem)
    assert validators.pem_private_key(json.dumps(pem)[1:-1])  # JSON-escaped newlines
    assert validators.pem_private_key(pem.replace("\n", "\r\n"))


def test_pem_private_key_accepts_a_real_key() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    for fmt in (serialization.PrivateFormat.TraditionalOpenSSL, serialization.PrivateFormat.PKCS8):
        pem = key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()
        assert validators.pem_private_key(pem)
    openssh = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    ).decode()
    assert validators.pem_private_key(openssh)


def test_pem_private_key_refuses_malformed_blocks() -> None:
    pem = secrets.private_key_pem("bad", "RSA PRIVATE KEY", 1190)
    lines = pem.splitlines()
    assert not validators.pem_private_key("\n".join([*lines[:3], *lines[-1:]]))  # truncated
    assert not validators.pem_private_key(pem.replace("END RSA", "END EC"))
    assert not validators.pem_private_key(pem.replace(lines[2], "!" * len(lines[2])))
    assert not validators.pem_private_key(
        "-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----"
    )
    assert not validators.pem_private_key(secrets.private_key_pem("c", "CERTIFICATE", 500))
    assert not validators.pem_private_key(
        "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "QUFB" * 40 + "\n-----END OPENSSH PRIVATE KEY-----"
    )


@pytest.mark.parametrize(
    ("text", "public", "identifying"),
    [
        ("81.2.69.142", True, True),
        ("10.1.2.3", False, True),
        ("100.64.0.1", False, True),
        ("127.0.0.1", False, False),
        ("0.0.0.0", False, False),
        ("224.0.0.1", False, False),
        ("2a00:1450:4001:82a::200e", True, True),
        ("fd12:3456:789a:1::1", False, True),
        ("::1", False, False),
        ("2001:db8::1", False, True),
    ],
)
def test_ip_addresses(text: str, public: bool, identifying: bool) -> None:
    address = validators.ip_address(text)
    assert address is not None
    assert validators.is_public(address) is public
    assert validators.is_identifying(address) is identifying


@pytest.mark.parametrize("text", ["256.1.1.1", "01.2.3.4", "12:30:45", "1.2.3", "fe80::1%eth0x", ""])
def test_ip_address_refuses_non_addresses(text: str) -> None:
    assert validators.ip_address(text) is None
