import pytest

from agentd.detect import Scanner
from agentd.detect.rules import pii
from tests.detect.corpus import personal
from tests.detect.rules.table import assert_nothing_from, assert_sample_found, family_rules, found

BUILDERS = {
    "pii.email": personal.email,
    "pii.phone": personal.phone,
    "pii.us_ssn": personal.ssn,
    "pii.payment_card": personal.card,
    "pii.iban": personal.iban,
    "pii.ipv4.public": lambda seed: personal.ipv4(seed, public=True),
    "pii.ipv4.private": lambda seed: personal.ipv4(seed, public=False),
    "pii.ipv6.public": lambda seed: personal.ipv6(seed, public=True),
    "pii.ipv6.private": lambda seed: personal.ipv6(seed, public=False),
}


def test_every_rule_has_a_builder() -> None:
    assert set(BUILDERS) == set(family_rules(pii))


@pytest.mark.parametrize("rule_id", family_rules(pii))
def test_every_rule_finds_its_sample_in_context(scanner: Scanner, rule_id: str) -> None:
    assert_sample_found(scanner, BUILDERS[rule_id], rule_id, variants=6)


AMEX = "37598765432100" + personal._luhn_digit("37598765432100")

TRUE_POSITIVES = [
    ("Reach me at maria.garcia@globex.com.", "pii.email", "maria.garcia@globex.com"),
    ("cc: <omar.haddad+hr@umbrella.de>", "pii.email", "omar.haddad+hr@umbrella.de"),
    ("call +44 20 7946 0958 after 5", "pii.phone", "+44 20 7946 0958"),
    ("mobile: (415) 555-2671", "pii.phone", "(415) 555-2671"),
    ("SSN: 219-45-6789", "pii.us_ssn", "219-45-6789"),
    ("card 4539 1488 0343 6467 exp 09/27", "pii.payment_card", "4539 1488 0343 6467"),
    (f"amex {AMEX[:4]}-{AMEX[4:10]}-{AMEX[10:]}", "pii.payment_card", f"{AMEX[:4]}-{AMEX[4:10]}-{AMEX[10:]}"),
    ("IBAN: DE89 3704 0044 0532 0130 00", "pii.iban", "DE89 3704 0044 0532 0130 00"),
    ("IBAN GB82WEST12345698765432", "pii.iban", "GB82WEST12345698765432"),
    ("client 81.2.69.142 connected", "pii.ipv4.public", "81.2.69.142"),
    ("bound to 192.168.1.20:8080", "pii.ipv4.private", "192.168.1.20"),
    ("peer 2a00:1450:4001:82a::200e", "pii.ipv6.public", "2a00:1450:4001:82a::200e"),
    ("ula fd12:3456:789a:1::1 in use", "pii.ipv6.private", "fd12:3456:789a:1::1"),
    ('{"content": "name\\nmaria@globex.com"}', "pii.email", "maria@globex.com"),
]


@pytest.mark.parametrize(("text", "rule_id", "value"), TRUE_POSITIVES)
def test_true_positives(scanner: Scanner, text: str, rule_id: str, value: str) -> None:
    assert found(scanner, text) == {(rule_id, value)}


FALSE_POSITIVES = [
    "Contact us at support@example.com or sales@example.org.",
    "git@github.com:acme-corp/agentd.git",
    "From: GitHub <noreply@github.com>",
    "49699333+dependabot[bot]@users.noreply.github.com",
    "user@localhost and admin@test.invalid",
    "logo@2x.png and icon@3x.webp",
    "npm install left-pad@1.3.0",
    "x = a@b  # matrix product",
    "ID 123-456-7890 is not a phone number.",
    "Released on 2024-05-06 at 12:30:45.",
    "Version v1.2.3.4 and build 10.0.19045.3803",
    "OID 1.3.6.1.4.1.311.21.8",
    "Mac address 00:1A:2B:3C:4D:5E",
    "std::chrono::seconds and Foo::Bar::baz",
    "ratio 12:30:45:00",
    "listening on 127.0.0.1:8080 and 0.0.0.0, [::1]",
    "ZIP 94103-1234",
    "SSN 000-12-3456, 666-12-3456 and 912-34-5678 are never issued; 078-05-1120 is the wallet card.",
    "Test cards 4242 4242 4242 4242, 4111-1111-1111-1111, 378282246310005",
    "Invoice 4000 1234 5678 9011 (Luhn fails)",
    "Timestamp 1716239022123",
    "IBAN DE00 0000 0000 0000 0000 00 is not valid",
    "Build 20240506.1 took 3600 seconds",
    "multicast 239.255.255.250 and broadcast 255.255.255.255",
    "See NIST SP 800 38D, 5.2.1.1 and RFC 4519 2.5.4.26",
    "ORGANIZATION_NAME = ObjectIdentifier('2.5.4.10'); __version__ = \"3.5.0.1\"",
    "resolver 8.8.8.8 and 1.1.1.1",
    "release 4.12.200.17 is out",
]


@pytest.mark.parametrize("text", FALSE_POSITIVES)
def test_false_positives(scanner: Scanner, text: str) -> None:
    assert_nothing_from(scanner, pii, text)
