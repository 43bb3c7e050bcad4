"""Test secrets assembled at run time, so the repository never holds a live-looking token.

Each builder joins a provider prefix with a deterministic body; split literals keep push
scanners (and agentd's own scanner run over the repo) quiet.
"""

import hashlib
import string

_ALNUM = string.ascii_letters + string.digits


def body(seed: str, length: int, alphabet: str = _ALNUM) -> str:
    """A deterministic, high-entropy string of ``length`` characters from ``alphabet``."""
    out: list[str] = []
    counter = 0
    while len(out) < length:
        digest = hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        out.extend(alphabet[b % len(alphabet)] for b in digest)
        counter += 1
    return "".join(out[:length])


def aws_access_key_id(seed: str = "aws") -> str:
    return "AK" + "IA" + body(seed, 16, string.ascii_uppercase + "234567")


def aws_secret_access_key(seed: str = "aws-secret") -> str:
    return body(seed, 40, _ALNUM + "/+")


def github_pat(seed: str = "gh") -> str:
    return "gh" + "p_" + body(seed, 36)


def anthropic_key(seed: str = "ant") -> str:
    return "sk-" + "ant-" + "api03-" + body(seed, 93, _ALNUM + "-_") + "AA"


def openai_key(seed: str = "oai") -> str:
    return "sk-" + "proj-" + body(seed, 48) + "T3Blbk" + "FJ" + body(seed + "2", 20)


def slack_bot_token(seed: str = "slack") -> str:
    return (
        "xo"
        + "xb-"
        + body(seed, 11, string.digits)
        + "-"
        + body(seed + "b", 12, string.digits)
        + "-"
        + body(seed + "c", 24)
    )


def aws_credentials_file(seed: str = "aws") -> str:
    """The text of a ~/.aws/credentials file with one freshly built key pair."""
    return (
        "[default]\n"
        f"aws_access_key_id = {aws_access_key_id(seed)}\n"
        f"aws_secret_access_key = {aws_secret_access_key(seed)}\n"
    )
