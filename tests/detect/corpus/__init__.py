"""The labelled corpus: positives for every rule planted in realistic contexts, and hard
negatives, all generated at run time so no live-looking value is stored in the repository.

``build()`` returns the documents; ``evaluate(scanner, documents)`` scores a scanner on them.
Run ``python -m tests.detect.corpus`` for the precision / recall table.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from agentd.detect import Scanner
from agentd.detect.rules import FAMILIES
from tests.detect.corpus import contexts, negatives, personal
from tests.support.secrets import SAMPLES, Sample

SECRET_VARIANTS = 4
PII_VARIANTS = 14
INJECTION_VARIANTS = 12


@dataclass(frozen=True)
class Label:
    rule: str
    start: int
    end: int


@dataclass(frozen=True)
class Document:
    name: str
    text: str
    labels: tuple[Label, ...] = ()


@dataclass
class Score:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    misses: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 1.0


FAMILY_OF: dict[str, str] = {
    rule.id: family.__name__.rsplit(".", 1)[-1] for family in FAMILIES for rule in family.RULES
}

_PII_BUILDERS: tuple[Callable[[str], Sample], ...] = (
    personal.email,
    personal.phone,
    personal.us_phone,
    personal.ssn,
    personal.card,
    personal.iban,
    lambda seed: personal.ipv4(seed, public=True),
    lambda seed: personal.ipv4(seed, public=False),
    lambda seed: personal.ipv6(seed, public=True),
    lambda seed: personal.ipv6(seed, public=False),
)
_INJECTION_BUILDERS: tuple[Callable[[str], Sample], ...] = (
    personal.tag_run,
    personal.bidi,
    personal.zero_width,
    personal.html_comment,
    personal.markdown_comment,
    personal.phrase,
)
# Plain surroundings for personal data and markers: where they turn up in agent traffic.
_PROSE = (
    "Customer record: {}\n",
    '{{"type": "tool_result", "content": "name: Jane\\ncontact: {}\\n"}}',
    "Please follow up with {} about the invoice.",
    "| field | value |\n|---|---|\n| contact | {} |\n",
    "Log: user updated profile, new value {} saved\n",
    "README\n\nInstall the tool. {}\nThen run it.\n",
)
_MARKER_CONTEXTS = (
    "Fetch result:\n{}\nEnd of page.",
    "Tool description: Reads a file from disk.{}",
    "# Project notes\n{}\nSee the docs.\n",
    "Here is the file content: {} (truncated)",
)
# Markdown comments are only hidden on a line of their own.
_LINE_CONTEXTS = ("Fetch result:\n{}\nEnd of page.", "# Project notes\n\n{}\n\nSee the docs.\n")


def _positive(name: str, sample: Sample, variant: int) -> Document:
    text, start, end, _ = contexts.plant(sample, variant)
    return Document(name, text, (Label(sample.rule, start, end),))


def _embedded(name: str, sample: Sample, template: str) -> Document:
    marker = "\x00SLOT\x00"
    filled = template.format(marker)
    at = filled.index(marker)
    return Document(
        name, filled.replace(marker, sample.value), (Label(sample.rule, at, at + len(sample.value)),)
    )


def build() -> list[Document]:
    """Every document of the corpus, in a fixed order."""
    documents = []
    for rule_id, builder in sorted(SAMPLES.items()):
        for variant in range(SECRET_VARIANTS):
            seed = f"{rule_id}#{variant}"
            documents.append(_positive(f"{rule_id}#{variant}", builder(seed), variant + len(rule_id)))
    for index, builder in enumerate(_PII_BUILDERS):
        for variant in range(PII_VARIANTS):
            sample = builder(f"pii{index}#{variant}")
            template = _PROSE[(variant + index) % len(_PROSE)]
            if "tool_result" in template and not sample.value.isascii():
                template = _PROSE[0]
            documents.append(_embedded(f"{sample.rule}#{variant}", sample, template))
    for index, builder in enumerate(_INJECTION_BUILDERS):
        for variant in range(INJECTION_VARIANTS):
            sample = builder(f"inj{index}#{variant}")
            contexts_for = _LINE_CONTEXTS if sample.value.startswith("[") else _MARKER_CONTEXTS
            template = contexts_for[(variant + index) % len(contexts_for)]
            documents.append(_embedded(f"{sample.rule}#{variant}", sample, template))
    for index, text in enumerate(negatives.build()):
        documents.append(Document(f"negative#{index}", text))
    unique: dict[str, Document] = {}
    for document in documents:
        unique.setdefault(document.text, document)
    return list(unique.values())


def evaluate(scanner: Scanner, documents: Sequence[Document]) -> dict[str, Score]:
    """Per family (and "all"): a finding counts when rule and span equal a label's."""
    scores: dict[str, Score] = {"all": Score()}
    for document in documents:
        expected = {(label.rule, label.start, label.end) for label in document.labels}
        found = {(f.rule_id, f.start, f.end) for f in scanner.scan(document.text, document.name)}
        for rule, start, end in found - expected:
            for key in ("all", FAMILY_OF[rule]):
                score = scores.setdefault(key, Score())
                score.false_positives += 1
                score.false_alarms.append(f"{document.name}: {rule} {document.text[start:end][:40]!r}")
        for rule, start, end in expected:
            hit = (rule, start, end) in found
            for key in ("all", FAMILY_OF[rule]):
                score = scores.setdefault(key, Score())
                if hit:
                    score.true_positives += 1
                else:
                    score.false_negatives += 1
                    score.misses.append(
                        f"{document.name}: {document.text[max(0, start - 20) : end + 20][:120]!r}"
                    )
    return scores
