"""Checks rule families attach to rules: validators and filters phrased over a candidate.

A check returns True to keep the candidate. Factories (``min_entropy(3.5)``) return checks;
plain names (``not_placeholder``) are checks.
"""

from collections.abc import Callable

from agentd.detect import filters, validators
from agentd.detect.rule import Candidate, Check


def not_placeholder(candidate: Candidate) -> bool:
    return not filters.is_placeholder(candidate.value)


def not_repetitive(candidate: Candidate) -> bool:
    return not filters.is_repetitive(candidate.value)


def not_digest_or_uuid(candidate: Candidate) -> bool:
    value = candidate.value
    return not (filters.is_hex_digest(value) or filters.is_uuid(value))


def literal_value(candidate: Candidate) -> bool:
    """The value is a literal, not a variable, attribute path or bare word."""
    return not filters.is_code_reference(candidate.value)


def min_entropy(bits: float, group: str = "") -> Check:
    """Shannon entropy of the value (or of ``group``) at least ``bits`` per character."""

    def check(candidate: Candidate) -> bool:
        text = candidate.group(group) if group else candidate.value
        return validators.entropy(text) >= bits

    return check


def valid(predicate: Callable[[str], bool], group: str = "") -> Check:
    """A validator from ``validators`` applied to the value (or to ``group``)."""

    def check(candidate: Candidate) -> bool:
        return predicate(candidate.group(group) if group else candidate.value)

    return check


def group_not_in(group: str, words: frozenset[str]) -> Check:
    """Drops the candidate when ``group`` (lower-cased) is one of ``words``."""

    def check(candidate: Candidate) -> bool:
        return candidate.group(group).lower() not in words

    return check


def not_preceded_by(*texts: str) -> Check:
    """Drops the candidate when the text just before the value ends with one of ``texts``."""

    def check(candidate: Candidate) -> bool:
        return not candidate.before.endswith(texts)

    return check


SECRET_DEFAULTS: tuple[Check, ...] = (not_placeholder, not_repetitive)
"""Applied to every secret rule before its own checks."""
