"""Generic credentials: a high-entropy literal assigned to a key that names a password, secret,
token or API key (code, .env, YAML, JSON, TOML, shell), and credential files' own formats
(.netrc, .npmrc, Docker and kube configs)."""

import base64
import binascii
import re

from agentd.detect import filters
from agentd.detect.checks import literal_value, min_entropy, not_digest_or_uuid
from agentd.detect.rule import Candidate, Rule
from agentd.detect.rules.shapes import SEPARATOR, SEPARATOR_HEAD, assigned, boundary, secret
from agentd.events import Severity

_VALUE = r"[^\s\"'`\\;,<>(){}\[\]$|&]"
_KEY_BEFORE = re.compile(r"[A-Za-z0-9_.-]{0,40}$")
# Key names that contain a credential word but hold something else: counts, limits, names,
# references, types, pagination cursors.
_NOT_A_SECRET_KEY = re.compile(
    r"(?:^|[_.-])(?:max|min|num|total|input|output|prompt|completion|cached?|reasoning|count|limit|"
    r"page|next|prev|continuation|sync|type|tokenizer|url|uri|endpoint|path|file|dir|name|ref|arn|id|"
    r"hash|hashed|length|policy|field|label|header|reset|confirm|expires?|expiry|ttl|timeout|format|"
    r"kind|mode|enabled|required|env|var|source|usage|budget|cursor|version|location|param|secret_?name|"
    r"hint|prompt|rotation|strength|regex|pattern|validator|manager|provider|store|storage|service)s?"
    r"(?:$|[_.-])",
)
_PATH = re.compile(r"(?:[~.]{0,2}/|[A-Za-z]:\\)[^\s]*")
_URL = re.compile(r"[a-z][a-z0-9+.-]{1,15}://", re.IGNORECASE)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _key_name(candidate: Candidate) -> str:
    head = candidate.data[max(0, candidate.match.start() - 40) : candidate.match.start()]
    prefix = _KEY_BEFORE.search(head.decode("ascii", "replace"))
    return ((prefix.group(0) if prefix else "") + candidate.group("key")).lower()


def _secret_key_name(candidate: Candidate) -> bool:
    return _NOT_A_SECRET_KEY.search(_key_name(candidate)) is None


def _plain_value(candidate: Candidate) -> bool:
    """Not a path, URL, number, version or call: configuration and code, not credentials."""
    value = candidate.value
    if _PATH.fullmatch(value) or _URL.match(value) or candidate.after.startswith(("(", "[")):
        return False
    # `private_key: PKCS7PrivateKeyTypes,` / `f(token=api_token2)`: a type or a variable.
    if _IDENTIFIER.fullmatch(value) and candidate.after.startswith((",", ")", "]", "|", " =", " |")):
        return False
    return not value.replace(".", "").replace("-", "").replace("_", "").isdigit()


def _generic(rule_id: str, keys: str, min_length: int, entropy: float, severity: Severity) -> Rule:
    return secret(
        rule_id,
        f"(?P<key>(?i:{keys})[A-Za-z0-9_.-]{{0,24}}){SEPARATOR}(?P<value>{_VALUE}{{{min_length},256}})",
        anchor=f"(?i:{keys})[A-Za-z0-9_.-]{{0,24}}{SEPARATOR_HEAD}",
        severity=severity,
        checks=(_secret_key_name, literal_value, _plain_value, not_digest_or_uuid, min_entropy(entropy)),
        priority=20,
        preview_chars=2,
    )


def _docker_auth(candidate: Candidate) -> bool:
    try:
        decoded = base64.b64decode(candidate.value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return b":" in decoded and decoded.isascii() and not filters.is_placeholder(decoded.decode())


def _kube_key(candidate: Candidate) -> bool:
    try:
        return base64.b64decode(candidate.value[:64], validate=True).startswith(b"-----BEGIN")
    except (binascii.Error, ValueError):
        return False


RULES = (
    _generic("generic.password", "passwd|password|passphrase|pwd", 8, 2.5, Severity.HIGH),
    _generic(
        "generic.secret",
        "secret|token|api[_-]?key|apikey|access[_-]?key|auth[_-]?key|private[_-]?key|credentials?|"
        "signing[_-]?key|encryption[_-]?key|master[_-]?key",
        12,
        3.0,
        Severity.MEDIUM,
    ),
    secret(
        "netrc.password",
        boundary("A-Za-z0-9_")
        + r"machine[ \t]{1,16}[^\s]{1,253}\s{1,64}login[ \t]{1,16}[^\s]{1,256}\s{1,64}password[ \t]{1,16}"
        r"(?P<value>[^\s\"'`]{4,256})",
        anchor=r"machine[ \t]",
        severity=Severity.HIGH,
        checks=(literal_value,),
        priority=60,
        preview_chars=2,
    ),
    assigned(
        "npmrc.auth_token",
        # `//registry/:_authToken=…`, or `_auth=…` on a line of its own (not `admin_password`).
        r"(?:^|[:\n])_(?:authToken|auth|password)",
        f"{_VALUE}{{16,512}}",
        entropy=3.0,
        checks=(literal_value,),
        priority=60,
    ),
    secret(
        "docker.config_auth",
        r"\"auth\"[ \t]{0,4}:[ \t]{0,4}\"(?P<value>[A-Za-z0-9+/]{8,1024}={0,2})\"",
        anchor=r"\"auth\"[ \t]{0,4}:",
        severity=Severity.HIGH,
        checks=(_docker_auth,),
        priority=60,
        preview_chars=2,
    ),
    assigned(
        "kubernetes.client_key_data",
        "client-key-data",
        "[A-Za-z0-9+/]{64,16384}={0,2}",
        severity=Severity.CRITICAL,
        entropy=4.0,
        checks=(_kube_key,),
        priority=110,
    ),
)
