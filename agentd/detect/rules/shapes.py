"""Rule shapes the families share: prefixed tokens, values assigned to a named key, and the
plain constructors for PII and injection rules. Families declare rules through these.
"""

from agentd.detect.checks import SECRET_DEFAULTS, min_entropy
from agentd.detect.rule import Check, Rule
from agentd.events import FindingKind, Severity

WORD = "A-Za-z0-9_"


def boundary(excluded: str) -> str:
    """Where a token may start: not right after one of ``excluded`` (or a backslash), unless
    that character ends an escape (``\\n``, ``\\t``) of JSON-encoded or shell-quoted text."""
    return rf"(?:(?<![\\{excluded}])|(?<=\\[nrt]))"


# What may separate a key from its value in code, .env, YAML, JSON, TOML, INI and shell:
# `KEY=v`, `key: v`, `"key": "v"`, `key => 'v'`, `key := v`, `cfg['key'] = 'v'`, `\"key\": \"v\"`.
SEPARATOR_HEAD = r"""[\\"'`]{0,3}\]?[ \t]{0,8}(?:=>|:=|=|:)"""
SEPARATOR = SEPARATOR_HEAD + r"""[ \t]{0,8}[\\"'`]{0,3}"""


def secret(
    rule_id: str,
    pattern: str,
    *,
    anchor: str = "",
    severity: Severity = Severity.HIGH,
    checks: tuple[Check, ...] = (),
    description: str = "",
    priority: int = 100,
    preview_chars: int = 4,
) -> Rule:
    """A secret rule; placeholder and repetition filters run before ``checks``."""
    return Rule(
        id=f"secret.{rule_id}",
        kind=FindingKind.SECRET,
        severity=severity,
        pattern=pattern,
        anchor=anchor,
        checks=SECRET_DEFAULTS + checks,
        description=description,
        priority=priority,
        preview_chars=preview_chars,
    )


def token(
    rule_id: str,
    prefix: str,
    body: str,
    length: int | tuple[int, int],
    *,
    severity: Severity = Severity.HIGH,
    entropy: float = 3.0,
    checks: tuple[Check, ...] = (),
    description: str = "",
    suffix: str = "",
) -> Rule:
    """A token that starts with a fixed ``prefix`` followed by ``length`` chars of class ``body``.

    The token must stand alone: no word character (or body character) right before or after.
    Hyperscan looks for the prefix and the shortest body; ``re`` confirms the rest.
    """
    low, high = (length, length) if isinstance(length, int) else length
    repeat = f"{{{low}}}" if low == high else f"{{{low},{high}}}"
    edge = f"[{WORD}]|{body}"
    pattern = f"{boundary(WORD)}{prefix}{body}{repeat}{suffix}(?!{edge})"
    anchor = f"{prefix}{body}{{{low}}}" if not suffix or low != high else f"{prefix}{body}{repeat}{suffix}"
    return secret(
        rule_id,
        pattern,
        anchor=anchor,
        severity=severity,
        checks=(min_entropy(entropy), *checks),
        description=description,
    )


def assigned(
    rule_id: str,
    keys: str,
    value: str,
    *,
    severity: Severity = Severity.HIGH,
    entropy: float = 3.0,
    checks: tuple[Check, ...] = (),
    description: str = "",
    priority: int = 90,
) -> Rule:
    """A value whose shape alone is too common (40 base64 chars, 32 hex) but whose key names it:
    ``AWS_SECRET_ACCESS_KEY=…``, ``"SecretAccessKey": "…"``, ``datadog_api_key: …``.

    ``keys`` is matched case-insensitively; the finding covers the value only.
    """
    pattern = f"(?i:{keys})[{WORD}.-]{{0,24}}{SEPARATOR}(?P<value>{value})(?![{WORD}+/=-])"
    return secret(
        rule_id,
        pattern,
        anchor=f"(?i:{keys})",
        severity=severity,
        checks=(min_entropy(entropy), *checks),
        description=description,
        priority=priority,
        preview_chars=2,
    )


def pii(
    rule_id: str,
    pattern: str,
    *,
    anchor: str = "",
    severity: Severity = Severity.MEDIUM,
    checks: tuple[Check, ...] = (),
    description: str = "",
    preview_chars: int = 2,
) -> Rule:
    return Rule(
        id=f"pii.{rule_id}",
        kind=FindingKind.PII,
        severity=severity,
        pattern=pattern,
        anchor=anchor,
        checks=checks,
        description=description,
        priority=40,
        preview_chars=preview_chars,
    )


def injection(
    rule_id: str,
    pattern: str,
    *,
    anchor: str = "",
    severity: Severity = Severity.HIGH,
    checks: tuple[Check, ...] = (),
    description: str = "",
) -> Rule:
    return Rule(
        id=f"injection.{rule_id}",
        kind=FindingKind.INJECTION,
        severity=severity,
        pattern=pattern,
        anchor=anchor,
        checks=checks,
        description=description,
        priority=10,
        preview_chars=12,
    )
