"""The labelled corpus: floors for precision and recall, and the two engines agree on it."""

import pytest

from agentd.detect import RULES, Scanner
from tests.detect.corpus import FAMILY_OF, Document, build, evaluate


@pytest.fixture(scope="module")
def documents() -> list[Document]:
    return build()


def test_corpus_size_and_coverage(documents: list[Document]) -> None:
    positives = [label for d in documents for label in d.labels]
    negatives = [d for d in documents if not d.labels]
    assert len(positives) >= 500
    assert len(negatives) >= 500
    assert {label.rule for label in positives} == {rule.id for rule in RULES}
    assert len({d.text for d in documents}) == len(documents)


def test_precision_and_recall_floors(scanner: Scanner, documents: list[Document]) -> None:
    scores = evaluate(scanner, documents)
    overall = scores["all"]
    assert overall.recall >= 0.95, overall.misses
    assert overall.precision >= 0.95, overall.false_alarms
    for family in set(FAMILY_OF.values()):
        assert scores[family].recall >= 0.9, (family, scores[family].misses)
        assert scores[family].precision >= 0.9, (family, scores[family].false_alarms)


def test_engines_agree_on_every_document(
    scanner: Scanner, reference: Scanner, documents: list[Document]
) -> None:
    assert scanner.engine == "hyperscan"
    assert reference.engine == "re"
    disagreements = [
        d.name for d in documents if scanner.scan(d.text, d.name) != reference.scan(d.text, d.name)
    ]
    assert disagreements == []


def test_engines_agree_on_the_whole_corpus_as_one_text(
    scanner: Scanner, reference: Scanner, documents: list[Document]
) -> None:
    text = "\n\n".join(d.text for d in documents)
    assert scanner.scan(text, "corpus") == reference.scan(text, "corpus")


def test_the_corpus_command_prints_the_table() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "tests.detect.corpus"], capture_output=True, text=True, check=True, timeout=300
    )
    assert "precision" in result.stdout
    assert "\nall " in result.stdout
