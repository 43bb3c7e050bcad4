"""The scanner: text in, findings out. The only code that holds a raw matched value, and only
for the length of one ``scan`` call.

Compiled once (``Scanner.build``); ``scan`` is then cheap enough to call on every new message.
A scanner is safe to share between threads (one scan at a time).
"""

import hashlib
import hmac
import threading
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from agentd.detect import offsets
from agentd.detect.engines import Engine, EngineName, build_engine
from agentd.detect.redact import preview
from agentd.detect.rule import Candidate, Rule
from agentd.detect.rules import RULES
from agentd.events import Finding, FindingKind

DEFAULT_MAX_MATCHES = 10_000
DEFAULT_MAX_CANDIDATES = 50_000


@dataclass(frozen=True, slots=True)
class _Hit:
    rule: Rule
    start: int
    end: int
    fingerprint: str
    preview: str

    @property
    def rank(self) -> tuple[int, int, int, str]:
        return (-self.rule.priority, self.start - self.end, self.start, self.rule.id)


class _Spans:
    """Disjoint accepted spans, for the overlap test."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []

    def add_if_free(self, start: int, end: int) -> bool:
        at = bisect_left(self._starts, start)
        if at > 0 and self._ends[at - 1] > start:
            return False
        if at < len(self._starts) and self._starts[at] < end:
            return False
        self._starts.insert(at, start)
        self._ends.insert(at, end)
        return True


class Scanner:
    """Finds secrets, PII and injection markers in text and describes them without values."""

    def __init__(
        self, rules: Sequence[Rule], engine: Engine, fingerprint_key: bytes, allowlist: Iterable[str]
    ) -> None:
        if len(fingerprint_key) < 16:
            raise ValueError("the fingerprint key must be at least 16 bytes")
        self._rules = tuple(rules)
        self._engine = engine
        self._key = bytes(fingerprint_key)
        self._allowlist = frozenset(entry.strip().lower() for entry in allowlist)
        self._lock = threading.Lock()

    @classmethod
    def build(
        cls,
        fingerprint_key: bytes,
        allowlist: Iterable[str] = (),
        engine: EngineName = "hyperscan",
        *,
        rules: Sequence[Rule] = RULES,
        max_matches: int = DEFAULT_MAX_MATCHES,
        max_candidates: int = DEFAULT_MAX_CANDIDATES,
    ) -> "Scanner":
        """Compile ``rules`` once. ``allowlist`` holds fingerprints (hex) never to report.

        ``engine="re"`` is the reference engine; "hyperscan" falls back to it where no
        Hyperscan wheel is installed (``scanner.engine`` tells which one runs). A rule reports
        at most ``max_matches`` findings per text; past ``max_candidates`` anchor hits in one
        text it is treated as a flood and stops being looked for in the rest of that text.
        """
        built = build_engine(rules, engine, max_matches, max_candidates)
        return cls(rules, built, fingerprint_key, allowlist)

    @property
    def engine(self) -> EngineName:
        return self._engine.name

    @property
    def rules(self) -> tuple[Rule, ...]:
        return self._rules

    def fingerprint(self, value: str) -> str:
        """The keyed fingerprint findings carry for ``value`` (for building allowlists)."""
        data = value.encode("utf-8", "surrogatepass")
        return hmac.new(self._key, data, hashlib.sha256).hexdigest()

    def scan(self, text: str, location: str) -> list[Finding]:
        """Findings in ``text`` in order of position; spans are ``str`` indexes into ``text``
        and ``location`` is stored as given (the field path; the span says where inside it)."""
        if not text:
            return []
        data = offsets.encode(text)
        ascii_only = len(data) == len(text)
        with self._lock:
            hits = self._confirmed(data, ascii_only)
        if not hits:
            return []
        kept = self._resolve_overlaps(hits)
        if ascii_only:
            index = {offset: offset for hit in kept for offset in (hit.start, hit.end)}
        else:
            index = offsets.char_indexes(data, (o for hit in kept for o in (hit.start, hit.end)))
        findings = []
        for hit in kept:
            start, end = index[hit.start], index[hit.end]
            findings.append(
                Finding(
                    kind=hit.rule.kind,
                    rule_id=hit.rule.id,
                    severity=hit.rule.severity,
                    location=location,
                    start=start,
                    end=end,
                    length=end - start,
                    preview=hit.preview,
                    fingerprint=hit.fingerprint,
                )
            )
        return findings

    def _confirmed(self, data: bytes, ascii_only: bool) -> list[_Hit]:
        hits: list[_Hit] = []
        for index, match in self._engine.matches(data):
            rule = self._rules[index]
            start, end = match.span("value") if rule.value_group else match.span()
            if start < 0 or start == end:
                continue
            if not ascii_only:
                start, end = offsets.widen(data, start, end)
            candidate = Candidate(data, start, end, match)
            if not all(check(candidate) for check in rule.checks):
                continue
            raw = data[start:end]
            fingerprint = hmac.new(self._key, raw, hashlib.sha256).hexdigest()
            if fingerprint in self._allowlist:
                continue
            value = raw.decode("utf-8", "surrogatepass")
            hits.append(_Hit(rule, start, end, fingerprint, preview(value, rule.preview_chars)))
        return hits

    @staticmethod
    def _resolve_overlaps(hits: list[_Hit]) -> list[_Hit]:
        """Among overlapping secret and PII hits the most specific wins (priority, then length);
        injection markers are judged among themselves, since they may wrap other findings."""
        data_spans, injection_spans = _Spans(), _Spans()
        kept = []
        for hit in sorted(hits, key=lambda h: h.rank):
            spans = injection_spans if hit.rule.kind is FindingKind.INJECTION else data_spans
            if spans.add_if_free(hit.start, hit.end):
                kept.append(hit)
        kept.sort(key=lambda h: (h.start, h.end, h.rule.id))
        return kept
