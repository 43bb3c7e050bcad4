"""What the pipeline has already reported, per session, kept in the StateStore so a restarted
daemon does not report a resent history again: sessions, message keys, tool call ids, the
tool set's digest, and which session a provider's response id belongs to.

Recent sessions are cached in memory; the store is consulted only for what the cache lacks.
"""

from collections import OrderedDict
from collections.abc import Iterable, Sequence

from agentd.record.statestore import StateStore

_SESSIONS = "pipeline.sessions"
_MESSAGES = "pipeline.messages"
_CALLS = "pipeline.calls"
_TOOLS = "pipeline.tools"
_RESPONSES = "pipeline.responses"


class _Cache:
    """A bounded map of session -> set of members known to be in the store."""

    def __init__(self, max_sessions: int) -> None:
        self._sets: OrderedDict[str, set[str]] = OrderedDict()
        self._max = max_sessions

    def get(self, session: str) -> set[str]:
        members = self._sets.get(session)
        if members is None:
            members = self._sets[session] = set()
            if len(self._sets) > self._max:
                self._sets.popitem(last=False)
        else:
            self._sets.move_to_end(session)
        return members


class Ledger:
    def __init__(self, store: StateStore, max_cached_sessions: int = 256) -> None:
        self.store = store
        self._messages = _Cache(max_cached_sessions)
        self._calls = _Cache(max_cached_sessions)
        self._sessions: OrderedDict[str, None] = OrderedDict()
        self._tools: dict[str, str] = {}
        self._max = max_cached_sessions

    def start_session(self, session_id: str) -> bool:
        """True the first time ``session_id`` is seen (ever, across restarts)."""
        if session_id in self._sessions:
            self._sessions.move_to_end(session_id)
            return False
        self._sessions[session_id] = None
        if len(self._sessions) > self._max:
            self._sessions.popitem(last=False)
        return bool(self.store.add_members(_SESSIONS, "", [session_id]))

    def claim_messages(self, session_id: str, keys: Sequence[str]) -> list[str]:
        """Record message keys as seen; return those not seen before (``ClaimUnseen``)."""
        return self._claim(self._messages, _MESSAGES, session_id, keys)

    def claim_call(self, session_id: str, call_id: str) -> bool:
        """True the first time a tool call id is reported in the session."""
        return bool(self._claim(self._calls, _CALLS, session_id, [call_id]))

    def tools_changed(self, session_id: str, digest: str) -> bool:
        """True when the session's tool set digest is new (first set, or a changed one)."""
        known = self._tools.get(session_id)
        if known is None:
            known = self.store.get(_TOOLS, session_id)
        if known == digest:
            self._tools[session_id] = digest
            return False
        self.store.put(_TOOLS, session_id, digest)
        self._tools[session_id] = digest
        if len(self._tools) > self._max:
            self._tools.pop(next(iter(self._tools)))
        return True

    def remember_response(self, response_id: str, session_id: str) -> None:
        self.store.put(_RESPONSES, response_id, session_id)

    def session_of_response(self, response_id: str) -> str | None:
        value = self.store.get(_RESPONSES, response_id)
        return value if isinstance(value, str) else None

    def _claim(self, cache: _Cache, ns: str, session_id: str, keys: Iterable[str]) -> list[str]:
        known = cache.get(session_id)
        candidates = [key for key in dict.fromkeys(keys) if key not in known]
        if not candidates:
            return []
        fresh = self.store.add_members(ns, session_id, candidates)
        known.update(candidates)
        return fresh
