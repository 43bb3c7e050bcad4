"""Declarative rule families, one module each, gathered in an explicit tuple.

Adding a family: a module with a ``RULES`` tuple, one line in ``FAMILIES``, and a table of
true and false positives in ``tests/detect/rules/test_<family>.py``.
"""

from agentd.detect.rule import Rule, rule_table
from agentd.detect.rules import cloud, generic, injection, keys, llm, pii, saas, urls, vcs

FAMILIES = (cloud, vcs, llm, saas, keys, urls, generic, pii, injection)
RULES: tuple[Rule, ...] = rule_table(*(family.RULES for family in FAMILIES))
