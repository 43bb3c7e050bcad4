"""Which conversation an exchange belongs to, and which of its messages are new (pure).

Identity comes from what the agent sends (a session header, a conversation id in the body, the
response a request continues), else from a fingerprint of the conversation's start. Agents
resend the whole history every turn; a message is new when its key has not been claimed in
the session before. The caller owns the memory of claimed keys (the daemon keeps them in
``StateStore``), so a restart does not report the history again.
"""

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from agentd.normalize.model import Message, ParsedRequest

# Request headers that name the conversation, most specific first.
SESSION_HEADERS: tuple[str, ...] = (
    "x-claude-code-session-id",  # Claude Code
    "session_id",  # Codex CLI
    "session-id",
    "conversation_id",  # Codex CLI (older)
    "conversation-id",
    "x-session-id",
    "mcp-session-id",  # MCP Streamable HTTP up to 2025-11-25
)

_PLAIN_ID = re.compile(r"[\x21-\x7e]{1,128}")

ClaimUnseen = Callable[[Sequence[str]], Iterable[str]]
"""Record these message keys as seen in the session; return those that were not seen before
(``StateStore.add_members`` has exactly this shape)."""

ResponseSession = Callable[[str], str | None]
"""The session a provider response id was seen in, if known (for `previous_response_id`)."""


@dataclass(frozen=True, slots=True)
class SessionIdentity:
    session_id: str
    source: str  # "header:<name>", "body", "continues", "fingerprint"


def identify(
    request: ParsedRequest,
    headers: Mapping[str, str],
    *,
    response_session: ResponseSession | None = None,
) -> SessionIdentity | None:
    """The session of ``request``; None when nothing identifies it (a header-less MCP call):
    the caller then scopes it by its own means, e.g. the agent process."""
    lowered = {name.lower(): value for name, value in headers.items()}
    for name in SESSION_HEADERS:
        value = _clean(lowered.get(name))
        if value is not None:
            return SessionIdentity(value, f"header:{name}")
    hint = _clean(request.session_hint)
    if hint is not None:
        return SessionIdentity(hint, "body")
    if request.continues and response_session is not None:
        known = response_session(request.continues)
        if known is not None:
            return SessionIdentity(known, "continues")
    fingerprint = conversation_fingerprint(request)
    return None if fingerprint is None else SessionIdentity(fingerprint, "fingerprint")


def conversation_fingerprint(request: ParsedRequest) -> str | None:
    """A stable id for a conversation without one: its dialect, system prompt and first user
    message (both are resent unchanged every turn)."""
    first_user = next((m for m in request.messages if m.role == "user"), None)
    if first_user is None and not request.system:
        return None
    h = hashlib.sha256()
    for part in (request.dialect, request.system or "", first_user.digest if first_user else ""):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return "fp-" + h.hexdigest()[:32]


def message_keys(messages: Sequence[Message]) -> list[str]:
    """One key per message: its digest, and for the n-th repeat of identical content in one
    request (a user typing "yes" twice) the digest with "#n", so repeats count as new once."""
    counts: dict[str, int] = {}
    keys = []
    for message in messages:
        n = counts.get(message.digest, 0)
        counts[message.digest] = n + 1
        keys.append(message.digest if n == 0 else f"{message.digest}#{n}")
    return keys


def new_messages(messages: Sequence[Message], claim_unseen: ClaimUnseen) -> list[Message]:
    """The messages of a request not seen before in its session, in order; claims them."""
    if not messages:
        return []
    keys = message_keys(messages)
    fresh = set(claim_unseen(keys))
    return [message for message, key in zip(messages, keys, strict=True) if key in fresh]


def _clean(value: str | None) -> str | None:
    """A header or body id as a session id: plain short ids as sent, anything else hashed."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if _PLAIN_ID.fullmatch(value):
        return value
    return "h-" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]
