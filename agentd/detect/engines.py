"""The matchers behind the scanner: Hyperscan (one database, every rule, one pass) and the
reference engine (Python ``re``, one rule at a time). Both yield, per rule, exactly the matches
``rule.compiled.finditer(data)`` would, capped at ``max_matches`` per rule.

Hyperscan reports where an anchor hit ends; a rule's match starts at most the anchor's maximum
width before that, so every match starts inside such a window. The engine confirms each stretch
of merged windows with one bounded ``re`` search: finditer's semantics, with ``re`` running only
where an anchor hit.
"""

import contextlib
import importlib
import re
from collections.abc import Iterator, Sequence
from typing import Any, Literal, Protocol

from agentd.detect.rule import Rule

EngineName = Literal["hyperscan", "re"]
RuleMatch = tuple[int, "re.Match[bytes]"]

# How far past a match a rule's lookarounds may look; patterns only look one character ahead.
_LOOKAROUND_MARGIN = 64
# Below this many start positions, trying each one beats a search that also walks the
# pattern's width past the window.
_SHORT_WINDOW = 24
# Bytes re-read before the resume point after a flood, longer than any anchor match.
_RESUME_OVERLAP = 4096


class Engine(Protocol):
    name: EngineName

    def matches(self, data: bytes) -> Iterator[RuleMatch]:
        """(rule index, match) pairs; per rule in order of position."""
        ...


class ReEngine:
    """The reference: each rule's own ``finditer`` over the whole text."""

    name: EngineName = "re"

    def __init__(self, rules: Sequence[Rule], max_matches: int) -> None:
        self._rules = tuple(rules)
        self._max_matches = max_matches

    def matches(self, data: bytes) -> Iterator[RuleMatch]:
        for index, rule in enumerate(self._rules):
            for count, match in enumerate(rule.compiled.finditer(data)):
                if count == self._max_matches:
                    break
                yield index, match


def _anchor_reach(rule: Rule) -> int:
    width = _max_width(rule.anchor.encode("ascii"))
    if width is None:
        raise ValueError(f"rule {rule.id}: its anchor must have a bounded width")
    return width


def _max_width(pattern: bytes) -> int | None:
    """The longest text ``pattern`` can match, or None when unbounded or unknown."""
    try:
        parser: Any = importlib.import_module("re._parser")
        width = int(parser.parse(pattern).getwidth()[1])
    except (ImportError, AttributeError, TypeError, ValueError, re.error):
        return None
    return width if width < 1 << 20 else None


class _Collector:
    """Hyperscan's match callback: windows per rule, stopping the scan at the first flood."""

    def __init__(self, limit: int, reach: tuple[int, ...]) -> None:
        self.limit = limit
        self.reach = reach
        self.windows: dict[int, list[tuple[int, int]]] = {}
        self.offset = 0
        self.flooded: tuple[int, int] | None = None

    def __call__(self, index: int, start: int, end: int, _flags: int, _context: object) -> bool:
        start = max(0, end - self.reach[index])
        spans = self.windows.get(index)
        if spans is None:
            self.windows[index] = [(start + self.offset, end + self.offset)]
        elif len(spans) < self.limit:
            spans.append((start + self.offset, end + self.offset))
        else:
            self.flooded = (end + self.offset, index)
            return True
        return False


class HyperscanEngine:
    """All anchors in one Hyperscan database; ``re`` confirms the windows they mark.

    A rule whose anchor hits more than ``max_candidates`` times in one text is a flood (hostile
    or degenerate input): its hits so far are kept, and the rest of the text is scanned with a
    database compiled without it, so one noisy rule can neither stall the scan nor hide the others.
    """

    name: EngineName = "hyperscan"

    def __init__(self, rules: Sequence[Rule], max_matches: int, max_candidates: int) -> None:
        import hyperscan

        self._hs = hyperscan
        self._rules = tuple(rules)
        self._max_matches = max_matches
        self._max_candidates = max_candidates
        self._widths = tuple(_max_width(rule.pattern.encode("ascii")) for rule in self._rules)
        # Rules that share an anchor (public and private addresses) share one expression.
        members: dict[str, list[int]] = {}
        for index, rule in enumerate(self._rules):
            members.setdefault(rule.anchor, []).append(index)
        self._anchors = tuple(members)
        self._members = tuple(tuple(indexes) for indexes in members.values())
        # A hit says where the anchor ended; the match began at most the anchor's width before.
        self._reach = tuple(_anchor_reach(self._rules[indexes[0]]) for indexes in self._members)
        self._databases: dict[frozenset[int], Any] = {}
        self._database(frozenset())

    def _database(self, excluded: frozenset[int]) -> Any:
        """The database of every anchor but ``excluded`` (anchor indexes), compiled once."""
        database = self._databases.get(excluded)
        if database is None:
            indexes = [i for i in range(len(self._anchors)) if i not in excluded]
            if not indexes:
                return None
            database = self._hs.Database()
            database.compile(
                expressions=[self._anchors[i].encode("ascii") for i in indexes],
                ids=indexes,
                elements=len(indexes),
                flags=[0] * len(indexes),
            )
            if len(self._databases) >= 8:
                self._databases.pop(next(k for k in self._databases if k))
            self._databases[excluded] = database
        return database

    def windows(self, data: bytes) -> dict[int, list[tuple[int, int]]]:
        """Per anchor, the window [end - anchor width, end) of each hit, floods cut off."""
        collector = _Collector(self._max_candidates, self._reach)
        excluded: set[int] = set()
        while (database := self._database(frozenset(excluded))) is not None:
            chunk = data[collector.offset :] if collector.offset else data
            with contextlib.suppress(self._hs.ScanTerminated):
                database.scan(chunk, match_event_handler=collector)
            if collector.flooded is None:
                break
            stopped_at, anchor_index = collector.flooded
            excluded.add(anchor_index)
            collector.offset = max(0, stopped_at - _RESUME_OVERLAP)
            collector.flooded = None
        return collector.windows

    def matches(self, data: bytes) -> Iterator[RuleMatch]:
        for anchor, spans in sorted(self.windows(data).items()):
            clusters = list(_clusters(spans))
            for index in self._members[anchor]:
                confirmed = _confirm(data, self._rules[index].compiled, self._widths[index], clusters)
                for count, match in enumerate(confirmed):
                    if count == self._max_matches:
                        break
                    yield index, match


def _confirm(
    data: bytes, pattern: "re.Pattern[bytes]", width: int | None, clusters: list[tuple[int, int]]
) -> Iterator["re.Match[bytes]"]:
    """The matches ``pattern.finditer(data)`` yields, given that each starts inside a cluster."""
    size = len(data)
    at = 0
    for start, end in clusters:
        at = max(at, start)
        while at < end:
            if width is None or end - at <= _SHORT_WINDOW:
                match = pattern.match(data, at)
                if match is None:
                    at += 1
                    continue
            else:
                # No match starting before `end` can reach past this limit, so the bounded
                # search sees exactly what finditer over the whole text sees.
                limit = min(size, end - 1 + width + _LOOKAROUND_MARGIN)
                match = pattern.search(data, at, limit)
                if match is None or match.start() >= end:
                    break
            yield match
            at = max(match.end(), match.start() + 1)


def _clusters(spans: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """Overlapping or touching windows merged, in order: each stretch is searched once."""
    spans.sort()
    current_start, current_end = spans[0]
    for start, end in spans[1:]:
        if start <= current_end:
            current_end = max(current_end, end)
        else:
            yield current_start, current_end
            current_start, current_end = start, end
    yield current_start, current_end


def build_engine(rules: Sequence[Rule], name: EngineName, max_matches: int, max_candidates: int) -> Engine:
    """The named engine; "hyperscan" falls back to "re" where no Hyperscan wheel is installed."""
    if name == "hyperscan":
        try:
            return HyperscanEngine(rules, max_matches, max_candidates)
        except ImportError:
            pass
    return ReEngine(rules, max_matches)
