"""Findings as the scanner would report them, for tests of what consumes findings."""

from agentd.events import Finding, FindingKind, Severity


def finding(kind: str = "secret", rule_id: str = "aws-access-key", location: str = "arguments") -> Finding:
    return Finding(
        kind=FindingKind(kind),
        rule_id=rule_id,
        severity=Severity.HIGH,
        location=location,
        start=0,
        end=20,
        length=20,
        preview="AKIA…(20)",
        fingerprint="0" * 64,
    )
