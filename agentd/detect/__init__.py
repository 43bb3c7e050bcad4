"""Detect (pure): secrets, PII and injection markers to findings; never keeps a raw value.

scanner = Scanner.build(fingerprint_key)          # compiled once
findings = scanner.scan(text, "messages[3].content[0].text")
kept = render_content(text, findings, CaptureLevel.REDACTED)
"""

from agentd.detect.engines import EngineName
from agentd.detect.redact import preview, redact, render_content
from agentd.detect.rule import Rule
from agentd.detect.rules import RULES
from agentd.detect.scanner import Scanner

__all__ = ["RULES", "EngineName", "Rule", "Scanner", "preview", "redact", "render_content"]
