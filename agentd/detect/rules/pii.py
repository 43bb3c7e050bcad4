"""Personal data: email addresses, phone numbers, US SSNs, payment cards, IBANs, and IP
addresses (public and private reported apart, so policy can tell them apart)."""

import re

from agentd.detect import validators
from agentd.detect.checks import valid
from agentd.detect.rule import Candidate, Check
from agentd.detect.rules.shapes import boundary, pii
from agentd.events import Severity

# Documentation and test domains (RFC 2606 / 6761), and senders that are machines, not people.
_NON_PERSONAL_DOMAINS = ("example.com", "example.org", "example.net", "localhost", "users.noreply.github.com")
_NON_PERSONAL_SUFFIXES = (".example", ".test", ".invalid", ".localhost", ".local", ".internal")
_NON_PERSONAL_LOCALS = frozenset(
    {"noreply", "no-reply", "donotreply", "do-not-reply", "git", "mailer-daemon"}
)
# Last labels that are file extensions, not top-level domains (`logo@2x.png`, `pkg@1.0.tgz`).
_EXTENSION_NAMES = (
    "png jpg jpeg gif svg webp ico bmp tif tiff js mjs cjs ts tsx jsx css scss less map json "
    "lock txt md html htm xml yml yaml toml ini cfg py rb go rs java kt swift c h cpp hpp cs "
    "php sh zip gz tgz tar whl jar pdf csv log wasm so dll exe bin"
)
_FILE_EXTENSIONS = frozenset(_EXTENSION_NAMES.split())


def _personal_email(candidate: Candidate) -> bool:
    local, _, domain = candidate.value.lower().rpartition("@")
    if domain.rsplit(".", 1)[-1] in _FILE_EXTENSIONS or local in _NON_PERSONAL_LOCALS:
        return False
    if domain in _NON_PERSONAL_DOMAINS or domain.endswith(_NON_PERSONAL_SUFFIXES):
        return False
    return not any(domain.endswith("." + d) for d in _NON_PERSONAL_DOMAINS)


def _ip(public: bool) -> Check:
    def check(candidate: Candidate) -> bool:
        address = validators.ip_address(candidate.value)
        if address is None or not validators.is_identifying(address):
            return False
        return validators.is_public(address) is public

    return check


def _no_dotted_neighbours(candidate: Candidate) -> bool:
    """``1.2.3.4`` inside ``1.2.3.4.5`` (an OID, a version) is not an address."""
    before, after = candidate.before, candidate.after
    return not (before[-2:-1].isdigit() and before.endswith(".")) and not (
        after.startswith(".") and after[1:2].isdigit()
    )


# Dotted quads that are versions, section numbers or OIDs rather than addresses.
_VERSION_CONTEXT = re.compile(
    r"(?i)(?:version|ver|release|build|oid|objectidentifier|section|sec|rfc ?[0-9]{1,5}|§|v)[\W_]{0,3}$"
)


def _not_version_or_oid(candidate: Candidate) -> bool:
    """``5.2.1.1`` (a section), ``2.5.4.26`` (an X.500 OID), ``version 3.5.0.1``: not addresses.

    Every octet below 10, or an OID arc (first part 0-2, second below 40) counts as such; the
    price is a few real addresses there (``8.8.8.8``, ``1.1.1.1``), which identify nobody.
    """
    octets = [int(part) for part in candidate.value.split(".")]
    if max(octets) < 10 or (octets[0] <= 2 and octets[1] < 40):
        return False
    return _VERSION_CONTEXT.search(candidate.before) is None


def _ipv6_shaped(candidate: Candidate) -> bool:
    """At least three groups, so ``a::b`` in C++ and ``12:30`` times are not addresses."""
    value = candidate.value
    return value.count(":") >= 2 and sum(1 for group in value.split(":") if group) >= 3


def _ipv4_check(public: bool) -> tuple[Check, ...]:
    return (_ip(public), _no_dotted_neighbours, _not_version_or_oid)


_EMAIL = (
    boundary("A-Za-z0-9._%+-")
    + r"(?P<value>[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?){0,6}\.[A-Za-z]{2,24})(?![A-Za-z0-9-])"
)
_IPV4 = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV4_ADDRESS = boundary("A-Za-z0-9.") + rf"(?P<value>{_IPV4}(?:\.{_IPV4}){{3}})(?![A-Za-z0-9])"
_IPV4_ANCHOR = r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]"
# A loose shape (three to seven colons) that ``ipaddress`` then judges.
_IPV6_ADDRESS = (
    boundary("A-Za-z0-9:.") + r"(?P<value>[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){3,7})(?![A-Za-z0-9:]|\.[0-9])"
)
_IPV6_ANCHOR = r"[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:"

RULES = (
    pii(
        "email",
        _EMAIL,
        anchor=r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9]",
        checks=(_personal_email,),
        severity=Severity.LOW,
    ),
    pii(
        "phone",
        boundary("A-Za-z0-9+_.-") + r"(?P<value>(?:\+[1-9][0-9]{0,2}[ .-]?(?:\([0-9]{1,4}\)[ .-]?)?[0-9]{1,4}"
        r"(?:[ .-]?[0-9]{2,4}){1,4}|\([2-9][0-9]{2}\)[ ]?[2-9][0-9]{2}-[0-9]{4}|[2-9][0-9]{2}([.-])"
        r"[2-9][0-9]{2}\2[0-9]{4}))(?![A-Za-z0-9_-]|[.][0-9])",
        anchor=r"\+[1-9][0-9 .()-]{3}|\([2-9][0-9]{2}\)|[2-9][0-9]{2}[.-][2-9][0-9]{2}[.-][0-9]",
        checks=(valid(validators.phone),),
        severity=Severity.LOW,
    ),
    pii(
        "us_ssn",
        boundary("A-Za-z0-9-") + r"(?P<value>[0-9]{3}-[0-9]{2}-[0-9]{4})(?![A-Za-z0-9-])",
        anchor=r"[0-9]{3}-[0-9]{2}-[0-9]{4}",
        checks=(valid(validators.ssn),),
        severity=Severity.HIGH,
    ),
    pii(
        "payment_card",
        boundary("A-Za-z0-9_.-")
        + r"(?P<value>[2-6][0-9]{3}(?:(?P<sep>[ -]?)[0-9]{4}(?P=sep)[0-9]{4}(?P=sep)[0-9]{4}"
        r"(?:(?P=sep)[0-9]{3})?|(?P<amex>[ -]?)[0-9]{6}(?P=amex)[0-9]{4,5}|[0-9]{9,15}))"
        r"(?![A-Za-z0-9_-]|[.][0-9])",
        # Twelve digits in either grouping: shorter digit runs (ids, counters) are not candidates.
        anchor=r"[2-6][0-9]{3}(?:[ -]?[0-9]{4}){2}|[2-6][0-9]{3}[ -]?[0-9]{6}[ -]?[0-9]{2}",
        checks=(valid(validators.payment_card),),
        severity=Severity.HIGH,
    ),
    pii(
        "iban",
        boundary("A-Za-z0-9") + r"(?P<value>[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)"
        r"(?![A-Za-z0-9])",
        anchor=r"[A-Z]{2}[0-9]{2} ?[A-Z0-9]{4}",
        checks=(valid(validators.iban),),
        severity=Severity.MEDIUM,
    ),
    pii("ipv4.public", _IPV4_ADDRESS, anchor=_IPV4_ANCHOR, checks=_ipv4_check(True), severity=Severity.LOW),
    pii(
        "ipv4.private", _IPV4_ADDRESS, anchor=_IPV4_ANCHOR, checks=_ipv4_check(False), severity=Severity.INFO
    ),
    pii(
        "ipv6.public",
        _IPV6_ADDRESS,
        anchor=_IPV6_ANCHOR,
        checks=(_ip(True), _ipv6_shaped),
        severity=Severity.LOW,
    ),
    pii(
        "ipv6.private",
        _IPV6_ADDRESS,
        anchor=_IPV6_ANCHOR,
        checks=(_ip(False), _ipv6_shaped),
        severity=Severity.INFO,
    ),
)
