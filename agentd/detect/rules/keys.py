"""Private keys (RSA, EC, DSA, OpenSSH, PKCS#8, PGP, PuTTY, age) and JSON Web Tokens: whole
blocks, checked for the structure their label claims, raw or JSON-escaped."""

from agentd.detect import validators
from agentd.detect.checks import min_entropy, valid
from agentd.detect.rule import Rule
from agentd.detect.rules.shapes import boundary, secret, token
from agentd.events import Severity

# A PEM body: base64 lines and RFC 1421 headers, with real or escaped (`\n`) line breaks. It
# cannot hold a dash run, so a search for the END line stops at the next armor line: each
# candidate costs at most the distance to the next one, whatever the input.
_PEM_BODY = r"(?:[A-Za-z0-9+/=\s\\:,]|-(?!----)){64,16384}?"


def _pem(rule_id: str, label: str, severity: Severity = Severity.CRITICAL) -> Rule:
    return secret(
        rule_id,
        f"-----BEGIN {label}-----{_PEM_BODY}-----END {label}-----",
        anchor=f"-----BEGIN {label}-----",
        severity=severity,
        checks=(valid(validators.pem_private_key),),
        priority=110,
        preview_chars=5,
    )


RULES = (
    _pem("private_key.rsa", "RSA PRIVATE KEY"),
    _pem("private_key.ec", "EC PRIVATE KEY"),
    _pem("private_key.dsa", "DSA PRIVATE KEY"),
    _pem("private_key.openssh", "OPENSSH PRIVATE KEY"),
    _pem("private_key.pkcs8", "PRIVATE KEY"),
    _pem("private_key.pkcs8_encrypted", "ENCRYPTED PRIVATE KEY", Severity.MEDIUM),
    _pem("private_key.pgp", "PGP PRIVATE KEY BLOCK"),
    secret(
        "private_key.putty",
        r"PuTTY-User-Key-File-[23]: [a-z0-9-]{7,32}\r?\nEncryption: none\r?\nComment: [^\n]{0,256}\r?\n"
        r"Public-Lines: [0-9]{1,3}\r?\n[A-Za-z0-9+/=\r\n]{16,8192}?"
        r"Private-Lines: [0-9]{1,3}",
        anchor=r"PuTTY-User-Key-File-[23]: ",
        severity=Severity.CRITICAL,
        priority=110,
    ),
    token(
        "private_key.age",
        "AGE-SECRET-KEY-1",
        "[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]",
        58,
        severity=Severity.CRITICAL,
    ),
    secret(
        "jwt",
        boundary("A-Za-z0-9_-") + r"eyJ[A-Za-z0-9_-]{8,4096}\.eyJ[A-Za-z0-9_-]{8,8192}\.[A-Za-z0-9_-]{0,4096}"
        r"(?![A-Za-z0-9_.-])",
        anchor=r"eyJ[A-Za-z0-9_-]{8}",
        severity=Severity.HIGH,
        checks=(valid(validators.jwt), min_entropy(3.0)),
        priority=70,
        preview_chars=3,
    ),
)
