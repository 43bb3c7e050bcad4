"""False-positive heuristics: placeholders, repeated or sequential characters, digests, UUIDs,
and code references that only look like values. Each answers "is this NOT a real value?".
"""

import re

# Words that mark documentation filler wherever they appear in a value.
_PLACEHOLDER_WORDS = (
    "example",
    "sample",
    "dummy",
    "placeholder",
    "changeme",
    "change_me",
    "change-me",
    "redacted",
    "your_",
    "your-",
    "yourkey",
    "yourtoken",
    "yoursecret",
    "yourpassword",
    "insert",
    "replace",
    "notreal",
    "not_real",
    "not-real",
    "secret_here",
    "token_here",
    "key_here",
    "password_here",
    "xxxxx",
    "****",
    "...",
    "…",
    "<",
    ">",
    "${",
    "{{",
    "%s",
    "%(",
)
# Short words that random text contains by chance: filler only where a word starts.
_PLACEHOLDER_SHORT = ("fake", "todo", "fixme", "mock")
_SHORT_AT_WORD_START = re.compile(
    "(?:^|[^A-Za-z0-9]|(?<=[a-z0-9])(?=[A-Z]))(?i:" + "|".join(_PLACEHOLDER_SHORT) + ")"
)
# Filler shows near the ends of a value; long values (key blocks) are judged on their ends.
_EDGE = 128
# One pass over the lower-cased value: filler words, a character repeated six times (masking),
# template slots and variable references (`{password}`, `$DB_PASSWORD`, `%DB_PASSWORD%`).
_FILLER = re.compile(
    "|".join(re.escape(word) for word in _PLACEHOLDER_WORDS)
    + r"|(.)\1{5,}|\{[a-z_][a-z0-9_.]*\}|^\$[a-z_{]|^%[a-z_]+%$"
)
_HEX_DIGEST = re.compile(r"[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{56}|[0-9a-f]{64}|[0-9a-f]{96}|[0-9a-f]{128}")
_HEX_DIGEST_UPPER = re.compile(r"[0-9A-F]{32}|[0-9A-F]{40}|[0-9A-F]{64}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# `settings.SECRET_KEY`, `Config::KEY`, `self->token`, and entry points `package.module:main`.
_IDENTIFIER_PATH = re.compile(
    r"[A-Za-z_][A-Za-z0-9_]*(?:(?:\.|::|->)[A-Za-z_][A-Za-z0-9_]*)+(?::[A-Za-z_][A-Za-z0-9_]*)?"
)
_WORDY = re.compile(r"[A-Za-z_-]+")
_ORDER = "0123456789abcdefghijklmnopqrstuvwxyz"


def _neighbour_table(step: int) -> bytes:
    """Byte -> the byte after (or before) it in _ORDER; 0xFF for anything else, which no
    ASCII character equals."""
    table = bytearray(b"\xff" * 256)
    for index, char in enumerate(_ORDER):
        if 0 <= index + step < len(_ORDER):
            table[ord(char)] = ord(_ORDER[index + step])
    return bytes(table)


_SUCCESSOR, _PREDECESSOR = _neighbour_table(1), _neighbour_table(-1)


def is_placeholder(value: str) -> bool:
    """Documentation values: ``EXAMPLE``, ``xxxx``, ``your_api_key``, ``${VAR}``, ``<token>``…"""
    if len(value) > 2 * _EDGE:
        value = f"{value[:_EDGE]}\0{value[-_EDGE:]}"
    lowered = value.lower()
    if _FILLER.search(lowered) is not None:
        return True
    short = any(word in lowered for word in _PLACEHOLDER_SHORT)
    return short and _SHORT_AT_WORD_START.search(value) is not None


def is_repetitive(value: str, min_distinct: int = 4) -> bool:
    """Too few distinct characters, a short unit repeated (``abcabcabc…``), or one long
    ascending/descending run (``abcdef…``, ``123456…``)."""
    if len(set(value.lower())) < min(min_distinct, len(value)):
        return True
    # Periodic (``abcabcabc``): only shifts that bring the first character back can match.
    limit = min(len(value) // 3, 64)
    period = value.find(value[0], 1) if value else -1
    while 0 < period <= limit:
        if value[period:] == value[:-period]:
            return True
        period = value.find(value[0], period + 1)
    if len(value) > 2 * len(_ORDER) or not value.isascii():
        # A run of consecutive characters is at most len(_ORDER) long: never half of this value.
        return False
    return _has_run(value.lower().encode(), max(8, len(value) // 2))


def _has_run(text: bytes, length: int) -> bool:
    """Whether ``text`` holds ``length`` consecutive characters (``abcd…``, ``4321…``)."""
    if len(text) < length:
        return False
    head, tail, gap = text[:-1], text[1:], b"\0" * (length - 1)
    # XOR of the text and its shifted neighbours, as integers, compares every position at once:
    # a zero byte marks a character that the next one follows on.
    return any(
        gap in (int.from_bytes(head.translate(table)) ^ int.from_bytes(tail)).to_bytes(len(tail))
        for table in (_SUCCESSOR, _PREDECESSOR)
    )


def is_hex_digest(value: str) -> bool:
    """The length of an MD5/SHA-1/SHA-2 digest in one-case hex: a hash, not a credential."""
    return _HEX_DIGEST.fullmatch(value) is not None or _HEX_DIGEST_UPPER.fullmatch(value) is not None


def is_uuid(value: str) -> bool:
    return _UUID.fullmatch(value) is not None


def is_code_reference(value: str) -> bool:
    """``settings.SECRET_KEY``, ``os.environ``, ``self.token``, or a bare word: code, not a literal."""
    return _IDENTIFIER_PATH.fullmatch(value) is not None or _WORDY.fullmatch(value) is not None
