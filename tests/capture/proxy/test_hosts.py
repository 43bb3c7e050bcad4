import pytest

from agentd.capture.proxy.hosts import BUILTIN_HOSTS, HostMatcher, entry_regex, split_entry


@pytest.mark.parametrize(
    ("host", "port", "intercepted"),
    [
        ("api.anthropic.com", 443, True),
        ("API.Anthropic.COM", 443, True),
        ("api.anthropic.com.", 443, True),
        ("api.openai.com", 443, True),
        ("chatgpt.com", 443, True),
        ("generativelanguage.googleapis.com", 443, True),
        ("cloudcode-pa.googleapis.com", 443, True),
        ("us-central1-aiplatform.googleapis.com", 443, True),
        ("aiplatform.googleapis.com", 443, True),
        ("api.githubcopilot.com", 443, True),
        ("api.business.githubcopilot.com", 443, True),
        ("copilot-proxy.githubusercontent.com", 443, True),
        ("bedrock-runtime.us-east-1.amazonaws.com", 443, True),
        # Look-alikes and neighbours stay tunnelled.
        ("anthropic.com", 443, False),
        ("api.anthropic.com.evil.example", 443, False),
        ("evilapi.anthropic.com", 443, False),
        ("githubcopilot.com.evil.example", 443, False),
        ("bedrock.us-east-1.amazonaws.com", 443, False),
        ("s3.amazonaws.com", 443, False),
        ("github.com", 443, False),
        ("pypi.org", 443, False),
        ("localhost", 8443, False),
    ],
)
def test_builtin_list(host: str, port: int, intercepted: bool) -> None:
    assert HostMatcher.build().matches(host, port) is intercepted


@pytest.mark.parametrize(
    ("entry", "host", "port", "intercepted"),
    [
        ("localhost", "localhost", 8443, True),
        ("localhost", "localhost", 1, True),
        ("localhost:8443", "localhost", 8443, True),
        ("localhost:8443", "localhost", 8444, False),
        ("mcp.internal.example", "mcp.internal.example", 443, True),
        ("mcp.internal.example", "xmcp.internal.example", 443, False),
        ("*.corp.example", "mcp.eu.corp.example", 443, True),
        ("*.corp.example", "corp.example", 443, False),
        ("127.0.0.1:3000", "127.0.0.1", 3000, True),
        ("127.0.0.1:3000", "127.0.0.10", 3000, False),
        ("[::1]:3000", "::1", 3000, True),
        ("LOCALHOST", "localhost", 80, True),
    ],
)
def test_configured_entries(entry: str, host: str, port: int, intercepted: bool) -> None:
    assert HostMatcher.build([entry]).matches(host, port) is intercepted


@pytest.mark.parametrize(
    "entry",
    [
        "",
        "*",
        "*.",
        "host:99999",
        "host:0",
        "host:port",
        "[::1",
        "[::1]x",
        "a/b",
        "ho st",
        "http://x",
        "a:b:c",
        "1::2::3",
    ],
)
def test_bad_entries_are_refused_by_name(entry: str) -> None:
    with pytest.raises(ValueError, match=r"entry|port|host"):
        entry_regex(entry)


def test_split_entry() -> None:
    assert split_entry("Example.COM:8080") == ("example.com", 8080)
    assert split_entry("[::1]") == ("::1", None)


def test_every_builtin_entry_compiles_to_an_anchored_pattern() -> None:
    for entry in BUILTIN_HOSTS:
        pattern = entry_regex(entry)
        assert pattern.startswith("^")
        assert pattern.endswith("$")


def test_patterns_are_what_mitmproxy_gets() -> None:
    matcher = HostMatcher.build(["localhost"])
    assert len(matcher.patterns) == len(BUILTIN_HOSTS) + 1
