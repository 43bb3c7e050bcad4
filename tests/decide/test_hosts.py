import pytest

from agentd.decide.hosts import emails_in_text, hosts_in_text, is_domain, under, url_host


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://API.Example.com:8443/x?y=1", "api.example.com"),
        ("http://user:pw@10.0.0.1/", "10.0.0.1"),
        ("ftp://files.example.org.", "files.example.org"),
        ("not a url", None),
        ("http://[::1", None),
        ("", None),
    ],
)
def test_url_host(url: str, host: str | None) -> None:
    assert url_host(url) == host


@pytest.mark.parametrize(
    ("word", "domain"),
    [
        ("api.example.com", True),
        ("example.io", True),
        ("setup.py", False),
        ("README.md", False),
        ("x", False),
    ],
)
def test_is_domain(word: str, domain: bool) -> None:
    assert is_domain(word) is domain


def test_hosts_in_text_finds_urls_and_bare_domains_but_not_files() -> None:
    text = "Fetch https://docs.example.com/a, post to hooks.example.org; see setup.py, bob@mail.example.net"
    assert hosts_in_text(text) == ["docs.example.com", "hooks.example.org"]


def test_hosts_in_text_is_bounded() -> None:
    text = " ".join(f"https://h{i}.example.com" for i in range(1000))
    assert len(hosts_in_text(text, limit=10)) == 10


def test_emails_in_text() -> None:
    assert emails_in_text("From: Ann <Ann@X.example>\nTo: b@y.example, ann@x.example") == [
        "ann@x.example",
        "b@y.example",
    ]


@pytest.mark.parametrize(
    ("host", "trusted", "expected"),
    [
        ("api.example.com", {"example.com"}, True),
        ("example.com", {"example.com"}, True),
        ("badexample.com", {"example.com"}, False),
        ("example.com.evil.io", {"example.com"}, False),
        ("x.io", set(), False),
    ],
)
def test_under(host: str, trusted: set[str], expected: bool) -> None:
    assert under(host, trusted) is expected
