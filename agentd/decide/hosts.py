"""Hosts and addresses in text: URL hosts, bare domain names, email addresses, and whether a
host falls under a trusted one. Shared by shell facts, call facts and session state.
"""

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

# Extensions that make `README.md` or `setup.py` look like domain names; never hosts here.
FILE_SUFFIXES = frozenset(
    {"txt", "json", "html", "htm", "md", "py", "js", "ts", "tsx", "jsx", "sh", "log", "csv", "xml",
     "yaml", "yml", "toml", "tar", "gz", "tgz", "zip", "png", "jpg", "jpeg", "gif", "svg", "pdf",
     "sql", "db", "lock", "cfg", "conf", "ini", "env", "out", "bin", "exe", "whl", "rs", "go", "rb",
     "java", "kt", "c", "h", "cc", "cpp", "hpp", "so", "o", "a", "mk", "pl", "php", "css", "scss",
     "vue", "swift", "m", "mm", "cs", "fs", "ex", "exs", "erl", "lua", "r", "jl", "ipynb", "pem",
     "key", "crt", "cer", "der", "pub", "bak", "tmp", "swp", "orig", "rej", "diff", "patch", "map"}
)  # fmt: skip

_URL = re.compile(r"\b[a-z][a-z0-9+.-]{1,15}://[^\s'\"<>()\[\]{}]+", re.I)
_DOMAIN = re.compile(
    r"(?<![\w@./-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})(?![\w-]|\.\w)", re.I
)
_EMAIL = re.compile(r"[a-z0-9._%+-]{1,64}@(?:[a-z0-9-]{1,63}\.)+[a-z]{2,24}", re.I)
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9-]{1,63}\.)*[a-z0-9-]{1,63}$")


def url_host(url: str) -> str | None:
    """The lower-case host of ``url``, or None when it has none or does not parse."""
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return host.lower().rstrip(".") if host else None


def is_domain(word: str) -> bool:
    """A bare name that reads as a domain (``api.example.com``), not a file (``setup.py``)."""
    word = word.lower().rstrip(".")
    return "." in word and _HOSTNAME.match(word) is not None and word.rsplit(".", 1)[-1] not in FILE_SUFFIXES


def hosts_in_text(text: str, limit: int = 200) -> list[str]:
    """Hosts of URLs and bare domain names in free text, in order of appearance, at most ``limit``."""
    found: dict[str, None] = {}
    for match in _URL.finditer(text):
        if (host := url_host(match.group(0))) is not None:
            found[host] = None
        if len(found) >= limit:
            return list(found)
    for match in _DOMAIN.finditer(_URL.sub(" ", text)):
        if is_domain(match.group(1)):
            found[match.group(1).lower()] = None
        if len(found) >= limit:
            break
    return list(found)


def emails_in_text(text: str, limit: int = 500) -> list[str]:
    """Email addresses in ``text``, lower-cased, in order of appearance, at most ``limit``."""
    found: dict[str, None] = {}
    for match in _EMAIL.finditer(text):
        found[match.group(0).lower()] = None
        if len(found) >= limit:
            break
    return list(found)


def under(host: str, trusted: Iterable[str]) -> bool:
    """True when ``host`` is a trusted host or a subdomain of one."""
    host = host.lower().rstrip(".")
    return any(host == t or host.endswith("." + t) for t in trusted)
