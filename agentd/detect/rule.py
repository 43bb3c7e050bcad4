"""The declarative rule: what a family module writes down, and the candidate its checks judge.

A rule is two expressions over UTF-8 bytes. ``anchor`` is what Hyperscan looks for: it matches
a prefix of every match of ``pattern`` at the same start, so it may be short and must stay in
Hyperscan's dialect (no lookarounds, no backreferences, no named groups). ``pattern`` is the
rule's exact expression for Python's ``re``, confirmed only where an anchor matched; its group
``value`` (or the whole match) is what the finding covers. ``checks`` then judge the value.
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from agentd.events import FindingKind, Severity

_CONTEXT = 24
_VALUE_GROUP = "value"
_RULE_ID = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9][a-z0-9_]*)+")


@dataclass(frozen=True, slots=True)
class Candidate:
    """One confirmed match, as its rule's checks see it; it never leaves the scanner."""

    data: bytes
    start: int
    end: int
    match: "re.Match[bytes]"

    @property
    def value(self) -> str:
        """The text the finding would cover."""
        return self.data[self.start : self.end].decode("utf-8", "surrogatepass")

    def group(self, name: str) -> str:
        """A named group of the rule's pattern ('' when it did not take part)."""
        span = self.match.span(name)
        return "" if span[0] < 0 else self.data[span[0] : span[1]].decode("utf-8", "replace")

    @property
    def before(self) -> str:
        """Up to 24 characters before the value (lossy at a cut character)."""
        return self.data[max(0, self.start - _CONTEXT) : self.start].decode("utf-8", "replace")

    @property
    def after(self) -> str:
        """Up to 24 characters after the value (lossy at a cut character)."""
        return self.data[self.end : self.end + _CONTEXT].decode("utf-8", "replace")


Check = Callable[[Candidate], bool]
"""True when the candidate should be reported; False drops it."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One detector: an id like ``secret.github.pat``, how bad a hit is, and how to find it."""

    id: str
    kind: FindingKind
    severity: Severity
    pattern: str
    anchor: str = ""
    checks: tuple[Check, ...] = ()
    description: str = ""
    priority: int = 50
    preview_chars: int = 4
    compiled: "re.Pattern[bytes]" = field(init=False, repr=False, compare=False)
    value_group: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not _RULE_ID.fullmatch(self.id):
            raise ValueError(f"rule id {self.id!r} is not dotted lowercase")
        if not self.id.startswith(f"{self.kind.value}."):
            raise ValueError(f"rule id {self.id!r} must start with its kind {self.kind.value!r}")
        compiled = re.compile(self.pattern.encode("ascii"))
        object.__setattr__(self, "compiled", compiled)
        object.__setattr__(self, "value_group", _VALUE_GROUP in compiled.groupindex)
        if not self.anchor:
            if "(?<" in self.pattern.replace("(?P<", "") or "(?=" in self.pattern or "(?!" in self.pattern:
                raise ValueError(f"rule {self.id}: a pattern with lookarounds needs an explicit anchor")
            object.__setattr__(self, "anchor", self.pattern.replace("(?P<value>", "(?:"))


def rule_table(*families: Sequence[Rule]) -> tuple[Rule, ...]:
    """Joins family tuples into one table, refusing duplicate ids."""
    rules = tuple(rule for family in families for rule in family)
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise ValueError(f"duplicate rule id {rule.id}")
        seen.add(rule.id)
    return rules
