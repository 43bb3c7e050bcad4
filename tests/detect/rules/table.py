"""The shape every family table shares: each rule's sample is found in several contexts, the
family's explicit true positives are found, and its false positives produce nothing."""

from collections.abc import Callable
from types import ModuleType

from agentd.detect import Scanner
from tests.detect.corpus import contexts
from tests.support.secrets import SAMPLES, Sample


def family_rules(family: ModuleType) -> list[str]:
    return [rule.id for rule in family.RULES]


def found(scanner: Scanner, text: str) -> set[tuple[str, str]]:
    """(rule id, covered text) of every finding in ``text``."""
    return {(f.rule_id, text[f.start : f.end]) for f in scanner.scan(text, "table")}


def assert_sample_found(
    scanner: Scanner, build: Callable[[str], Sample], rule_id: str, variants: int = 3
) -> None:
    for variant in range(variants):
        sample = build(f"{rule_id}/{variant}")
        text, start, end, _ = contexts.plant(sample, variant)
        spans = {(f.rule_id, f.start, f.end) for f in scanner.scan(text, "table")}
        assert (rule_id, start, end) in spans, f"{rule_id} not found in {text[:200]!r}: {spans}"


def assert_secret_sample_found(scanner: Scanner, rule_id: str) -> None:
    assert rule_id in SAMPLES, f"tests.support.secrets.SAMPLES has no builder for {rule_id}"
    assert_sample_found(scanner, SAMPLES[rule_id], rule_id)


def assert_nothing_from(scanner: Scanner, family: ModuleType, text: str) -> None:
    ids = set(family_rules(family))
    hits = [(f.rule_id, text[f.start : f.end]) for f in scanner.scan(text, "table") if f.rule_id in ids]
    assert not hits, f"false positives in {text[:120]!r}: {hits}"
