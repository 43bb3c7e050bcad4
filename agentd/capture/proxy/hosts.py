"""Which hosts agentd intercepts: the built-in LLM / MCP list plus `[proxy] intercept_hosts`.

Everything else is tunnelled untouched. Entries are ``host``, ``host:port``, ``[v6]:port`` or
wildcards (``*.domain``, ``bedrock-runtime.*.amazonaws.com``); they become the anchored,
case-insensitive regexes mitmproxy's ``allow_hosts`` option matches against ``host:port``, and
the same matcher scopes plain-HTTP flows in the addon.
"""

import ipaddress
import re
from collections.abc import Iterable

BUILTIN_HOSTS: tuple[str, ...] = (
    # Anthropic: the Messages API and claude.ai MCP connectors.
    "api.anthropic.com",
    "mcp-proxy.anthropic.com",
    # OpenAI: the platform API and the ChatGPT backend Codex signs in to (/backend-api/codex).
    "api.openai.com",
    "chatgpt.com",
    # Google: Gemini API, Gemini CLI's Code Assist backend, Vertex AI (global and regional).
    "generativelanguage.googleapis.com",
    "cloudcode-pa.googleapis.com",
    "aiplatform.googleapis.com",
    "*-aiplatform.googleapis.com",
    # GitHub Copilot.
    "*.githubcopilot.com",
    "copilot-proxy.githubusercontent.com",
    # Amazon Bedrock runtime, every region.
    "bedrock-runtime.*.amazonaws.com",
)

_HOST = re.compile(r"^[a-z0-9*_.-]+$")
_LABELS = r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*"


def _host_pattern(host: str) -> str:
    """``*.x`` matches x's subdomains (any depth); another ``*`` stands for part of one label."""
    if host.startswith("*."):
        return rf"{_LABELS}\.{re.escape(host[2:])}"
    return "[a-z0-9_-]+".join(re.escape(part) for part in host.split("*"))


def split_entry(entry: str) -> tuple[str, int | None]:
    """``host[:port]`` (IPv6 in brackets) as (lower-case host, port or None); ValueError if bad."""
    text = entry.strip().lower()
    port_text = ""
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError(f"bad IPv6 entry {entry!r}: expected [address] or [address]:port")
        port_text = rest[1:]
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    else:
        host = text  # a bare IPv6 address (or nonsense, refused below)
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"not a host name, address or *.domain: {entry!r}") from None
    elif not _HOST.match(host) or not host.strip("*.-"):
        raise ValueError(f"not a host name, address or *.domain: {entry!r}")
    if port_text and (not port_text.isdigit() or not 0 < int(port_text) < 65536):
        raise ValueError(f"bad port in {entry!r}")
    return host, int(port_text) if port_text else None


def entry_regex(entry: str) -> str:
    """The anchored ``host:port`` regex for one entry (any port when it names none)."""
    host, port = split_entry(entry)
    return rf"^{_host_pattern(host)}:{port if port is not None else r'\d+'}$"


class HostMatcher:
    """Decides whether a ``host:port`` is in scope for interception."""

    __slots__ = ("_compiled", "patterns")

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(patterns)
        self._compiled = re.compile("|".join(f"(?:{p})" for p in self.patterns) or "(?!)", re.I)

    @classmethod
    def build(cls, extra: Iterable[str] = ()) -> "HostMatcher":
        """The built-in hosts plus ``extra`` entries; ValueError names the first bad entry."""
        return cls(entry_regex(entry) for entry in (*BUILTIN_HOSTS, *extra))

    def matches(self, host: str, port: int) -> bool:
        return self._compiled.match(f"{host.lower().rstrip('.')}:{port}") is not None
