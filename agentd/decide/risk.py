"""Risk: a 0..100 score per tool call, with the factors that made it.

Capability severity (the catalog's suggestion) plus target sensitivity (credentials, production,
secrets in the arguments, an unknown destination), the session's labels, and frequency against
the session's own recent history (a burst of destructive calls, a spike of one tool). Per-agent
thresholds turn a score into an alert severity. Pure: the time is passed in.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from agentd.decide.facts import CallFacts
from agentd.decide.state import Label, SessionState
from agentd.events import Risk, Severity


@dataclass(frozen=True, slots=True)
class Thresholds:
    alert: int = 70  # at or above: a high-severity alert
    critical: int = 90  # at or above: critical


@dataclass(frozen=True, slots=True)
class RiskSettings:
    default: Thresholds = Thresholds()
    per_agent: Mapping[str, Thresholds] = field(default_factory=dict)  # agent kind -> thresholds
    window_seconds: float = 60.0
    destructive_burst: int = 3  # destructive calls within the window that make a burst
    spike_min_calls: int = 10  # calls of one tool within the window before a spike can count
    spike_factor: float = 4.0  # ... and that many times the tool's usual rate
    baseline_min_seconds: float = 300.0  # history needed before a usual rate means anything

    def thresholds(self, agent: str) -> Thresholds:
        return self.per_agent.get(agent, self.default)


# (points, factor) added when a condition holds; listed here so the table is the documentation.
_CREDENTIALS = (25, "reads a credential file")
_SECRET_OUT = (20, "a secret in the arguments leaves the host")
_SECRET_IN_ARGS = (10, "a secret in the arguments")
_PII_IN_ARGS = (10, "personal data in the arguments")
_DESTRUCTIVE_PROD = (25, "destructive against production")
_DESTRUCTIVE = (10, "destructive")
_PRODUCTION = (10, "targets production")
_UNTRUSTED_DEST = (10, "sends to a destination the user did not name")
_TRIFECTA = (15, "session holds untrusted content and private data")
_CREDENTIAL_SESSION = (10, "session has read credentials")
_PRIVILEGE = (10, "escalates privileges")
_PERSISTENCE = (10, "makes itself persistent")
_REMOTE_CODE = (15, "runs downloaded code")
_UNPARSED = (5, "command could not be parsed")
_BURST = 15
_SPIKE = 10


def score(
    facts: CallFacts, session: SessionState, now: datetime, settings: RiskSettings | None = None
) -> Risk:
    """The risk of this call, given what the session has done before it (not counting it)."""
    settings = settings or RiskSettings()
    total = facts.tool.risk
    factors = [f"{facts.tool.integration} {facts.tool.tool}: base {facts.tool.risk}"]

    def add(rule: tuple[int, str], when: bool) -> None:
        nonlocal total
        if when:
            total += rule[0]
            factors.append(f"{rule[1]} (+{rule[0]})")

    shell = facts.shell
    add(_CREDENTIALS, facts.reads_credentials)
    add(_SECRET_OUT, facts.secrets > 0 and facts.sends_external)
    add(_SECRET_IN_ARGS, facts.secrets > 0 and not facts.sends_external)
    add(_PII_IN_ARGS, facts.pii > 0)
    add(_DESTRUCTIVE_PROD, facts.destructive_production)
    add(_DESTRUCTIVE, facts.destructive and not facts.destructive_production)
    add(_PRODUCTION, facts.production and not facts.destructive_production)
    add(_UNTRUSTED_DEST, facts.sends_external and facts.destination_untrusted)
    tainted = session.has(Label.UNTRUSTED_CONTENT) and (
        session.has(Label.PRIVATE_DATA) or session.has(Label.SECRET)
    )
    add(_TRIFECTA, tainted and facts.sends_external)
    add(_CREDENTIAL_SESSION, session.has(Label.CREDENTIAL_FILE_READ) and facts.sends_external)
    add(_PRIVILEGE, shell is not None and bool(shell.privilege))
    add(_PERSISTENCE, (shell is not None and bool(shell.persistence)) or bool(facts.persistence_paths))
    add(_REMOTE_CODE, shell is not None and shell.remote_code)
    add(_UNPARSED, shell is not None and not shell.parsed)

    moment = now.timestamp()
    window = []
    for recent in reversed(session.recent):  # newest first; stop at the window's edge
        if moment - recent.at > settings.window_seconds:
            break
        window.append(recent)
    destructive_now = sum(1 for c in window if c.destructive) + int(facts.destructive)
    if facts.destructive and destructive_now >= settings.destructive_burst:
        total += _BURST
        factors.append(
            f"burst: {destructive_now} destructive calls in {settings.window_seconds:g}s (+{_BURST})"
        )
    same_tool_now = sum(1 for c in window if c.tool == facts.tool.name) + 1
    if same_tool_now >= settings.spike_min_calls and session.recent:
        span = moment - session.recent[0].at
        if span >= settings.baseline_min_seconds:
            usual = (
                sum(1 for c in session.recent if c.tool == facts.tool.name) / span * settings.window_seconds
            )
            if same_tool_now >= settings.spike_factor * max(usual, 1.0):
                total += _SPIKE
                factors.append(
                    f"spike: {same_tool_now} calls of {facts.tool.name} in {settings.window_seconds:g}s, "
                    f"usually {usual:.1f} (+{_SPIKE})"
                )
    return Risk(score=max(0, min(100, total)), factors=tuple(factors))


def severity(risk: Risk, agent: str, settings: RiskSettings | None = None) -> Severity | None:
    """The alert severity a score deserves for this agent, or None when it is below the bar."""
    thresholds = (settings or RiskSettings()).thresholds(agent)
    if risk.score >= thresholds.critical:
        return Severity.CRITICAL
    if risk.score >= thresholds.alert:
        return Severity.HIGH
    return None
