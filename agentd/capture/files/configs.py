"""Agent config events: MCP servers added, changed or removed, hooks and proxy settings
changed, agentd's own hooks tampered with (plus an Alert), files that do not parse.

The last good inventory of every file is kept in the state store, so a change made while the
daemon was down is reported at the next start, and a broken file is diffed against its last
good form once it is fixed.
"""

import hashlib
import os
from collections.abc import Iterator, Mapping
from typing import Any, Protocol

from agentd.capture.files.locations import HEAVY_DIRS, PROJECT_CONFIGS, Layout
from agentd.clock import Clock
from agentd.errors import ParseError
from agentd.events import AgentConfigChanged, Alert, ConfigChange, Event, Severity, Source, Stamper
from agentd.normalize import agent_configs as ac
from agentd.normalize.agent_configs import (
    AgentdMarks,
    ConfigDelta,
    ConfigFormat,
    ConfigInventory,
    ConfigSource,
)

MAX_CONFIG_BYTES = 16 * 1024 * 1024
NAMESPACE = "watch.configs"

_SEVERITY = {
    ConfigChange.SERVER_ADDED: Severity.MEDIUM,
    ConfigChange.SERVER_CHANGED: Severity.MEDIUM,
    ConfigChange.SERVER_REMOVED: Severity.LOW,
    ConfigChange.HOOKS_CHANGED: Severity.LOW,
    ConfigChange.SETTINGS_CHANGED: Severity.LOW,
    ConfigChange.TAMPERED: Severity.HIGH,
    ConfigChange.PARSE_ERROR: Severity.LOW,
}


class KeyValueStore(Protocol):
    """What this monitor needs of `agentd.record.statestore.StateStore`."""

    def get(self, ns: str, key: str, default: Any = None) -> Any: ...

    def put(self, ns: str, key: str, value: Any) -> None: ...

    def delete(self, ns: str, key: str) -> None: ...

    def items(self, ns: str) -> Iterator[tuple[str, Any]]: ...


class MemoryStore:
    """A KeyValueStore in memory, for a watcher that need not remember across restarts."""

    def __init__(self) -> None:
        self._data: dict[tuple[str, str], Any] = {}

    def get(self, ns: str, key: str, default: Any = None) -> Any:
        return self._data.get((ns, key), default)

    def put(self, ns: str, key: str, value: Any) -> None:
        self._data[(ns, key)] = value

    def delete(self, ns: str, key: str) -> None:
        self._data.pop((ns, key), None)

    def items(self, ns: str) -> Iterator[tuple[str, Any]]:
        for (space, key), value in sorted(self._data.items()):
            if space == ns:
                yield key, value


def _source_json(source: ConfigSource) -> dict[str, str]:
    return {"path": source.path, "app": source.app, "scope": source.scope, "format": source.format.value}


def _source_from(data: Mapping[str, Any]) -> ConfigSource | None:
    try:
        return ConfigSource(
            str(data["path"]), str(data["app"]), str(data["scope"]), ConfigFormat(data["format"])
        )
    except (KeyError, TypeError, ValueError):
        return None


class ConfigMonitor:
    def __init__(
        self,
        layout: Layout,
        stamp: Stamper,
        clock: Clock,
        store: KeyValueStore | None = None,
        marks: AgentdMarks | None = None,
    ) -> None:
        self.layout = layout
        self.stamp = stamp
        self.clock = clock
        self.store: KeyValueStore = store if store is not None else MemoryStore()
        self.marks = marks or AgentdMarks()
        self.parse_errors = 0
        self.unsettled: set[str] = set()  # parse errors held back until the write settles
        self._last_error: dict[str, str] = {}

    def existing(self) -> Iterator[ConfigSource]:
        """Config files present now: the fixed locations, glob directories and project trees."""
        seen: set[str] = set()
        for tree in self.layout.trees():
            for directory in self._walk(tree.root, tree.depth, tree.prune):
                try:
                    names = os.listdir(directory)
                except OSError:
                    continue
                for name in names:
                    path = os.path.join(directory, name)
                    if path in seen:
                        continue
                    source = self.layout.config_source(path)
                    if source is not None and os.path.isfile(path):
                        seen.add(path)
                        yield source
        # Project configs one level down (.claude/settings.json) when the tree stops above them.
        for root in self.layout.project_roots:
            for directory in self._walk(str(root), self.layout.env_depth, HEAVY_DIRS):
                for relative, *_ in PROJECT_CONFIGS:
                    path = os.path.join(directory, relative)
                    if "*" not in relative and path not in seen and os.path.isfile(path):
                        source = self.layout.config_source(path)
                        if source is not None:
                            seen.add(path)
                            yield source

    @staticmethod
    def _walk(root: str, depth: int, prune: frozenset[str]) -> Iterator[str]:
        if not os.path.isdir(root):
            return
        base = root.rstrip(os.sep).count(os.sep)
        for current, dirs, _ in os.walk(root):
            yield current
            if current.count(os.sep) - base >= depth:
                dirs.clear()
            else:
                dirs[:] = [d for d in dirs if d not in prune and not os.path.islink(os.path.join(current, d))]

    def baseline(self) -> list[Event]:
        """Compare every config file with what was stored: on the first start each server is
        reported as added (that is the inventory); later, whatever changed while agentd was
        down, including files that disappeared."""
        events: list[Event] = []
        present = {source.path: source for source in self.existing()}
        for path, stored in list(self.store.items(NAMESPACE)):
            source = _source_from(stored.get("source", {})) if isinstance(stored, Mapping) else None
            if source is None:
                self.store.delete(NAMESPACE, path)
            elif path not in present:
                events += self.check(source, exists=False)
        for source in present.values():
            events += self.check(source)
        return events

    def changed(self, path: str, exists: bool = True, settled: bool = True) -> list[Event]:
        """Events for a change at ``path``; ``settled`` False means the file was just created and
        may still be being written: a parse error then waits for the write to finish."""
        source = self.layout.config_source(path)
        if source is None:
            return []
        return self.check(source, exists=exists and os.path.isfile(path), settled=settled)

    def check(self, source: ConfigSource, exists: bool = True, settled: bool = True) -> list[Event]:
        """Read ``source`` and report how it differs from its stored inventory."""
        stored = self.store.get(NAMESPACE, source.path)
        before: ConfigInventory | None = None
        if isinstance(stored, Mapping) and isinstance(stored.get("inventory"), Mapping):
            try:
                before = ac.from_json(source, stored["inventory"])
            except ParseError:
                before = None
        digest: str | None = None
        if not exists:
            after = None
        else:
            try:
                data = self._read(source.path)
                digest = hashlib.sha256(data).hexdigest()
                if before is not None and isinstance(stored, Mapping) and stored.get("sha256") == digest:
                    return []  # rewritten with the same bytes (Claude Code rewrites ~/.claude.json often)
                after = ac.parse(source, self._decode(source.path, data), self.marks)
            except ParseError as exc:
                if not settled:
                    self.unsettled.add(source.path)
                    return []
                if self._last_error.get(source.path) == str(exc):
                    return []  # the same broken content seen again (a write and a re-check)
                self._last_error[source.path] = str(exc)
                self.parse_errors += 1
                return [self._event(source, ac.ConfigDelta(ConfigChange.PARSE_ERROR, detail=str(exc)))]
            except FileNotFoundError:
                after = None
        self._last_error.pop(source.path, None)
        events: list[Event] = []
        for delta in ac.diff(before, after):
            event = self._event(source, delta)
            events.append(event)
            if delta.change is ConfigChange.TAMPERED:
                events.append(self._alert(source, event))
        if after is not None and after.problems and (before is None or before.problems != after.problems):
            detail = f"{source.path}: skipped malformed entries: " + "; ".join(after.problems[:10])
            events.append(self._event(source, ac.ConfigDelta(ConfigChange.PARSE_ERROR, detail=detail)))
        if after is None:
            self.store.delete(NAMESPACE, source.path)
        else:
            record = {"source": _source_json(source), "inventory": ac.to_json(after), "sha256": digest}
            self.store.put(NAMESPACE, source.path, record)
        return events

    @staticmethod
    def _read(path: str) -> bytes:
        try:
            with open(path, "rb") as handle:
                data = handle.read(MAX_CONFIG_BYTES + 1)
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise ParseError(f"{path}: cannot read: {exc.strerror}") from None
        if len(data) > MAX_CONFIG_BYTES:
            raise ParseError(f"{path}: larger than {MAX_CONFIG_BYTES} bytes; not parsed")
        return data

    @staticmethod
    def _decode(path: str, data: bytes) -> str:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ParseError(f"{path}: not UTF-8 text at byte {exc.start}") from None

    def _event(self, source: ConfigSource, delta: ConfigDelta) -> AgentConfigChanged:
        detail = delta.detail
        if delta.project and not detail:
            detail = f"project {delta.project}"
        return self.stamp(
            AgentConfigChanged,
            self.clock.now(),
            severity=_SEVERITY[delta.change],
            source=Source.WATCHER,
            config_agent=ac.event_agent(source.app),
            file=source.path,
            scope=source.scope if source.app in _KINDS_WITH_EVENTS else f"{source.scope} ({source.app})",
            change=delta.change,
            server=delta.server,
            transport=delta.transport,
            diff=delta.diff,
            detail=detail,
        )

    def _alert(self, source: ConfigSource, event: AgentConfigChanged) -> Alert:
        return self.stamp(
            Alert,
            self.clock.now(),
            severity=Severity.HIGH,
            source=Source.WATCHER,
            alert_id=f"watch.config_tampered:{source.path}",
            rule_id="watch.config_tampered",
            title=f"agentd's hooks or proxy settings were changed in {source.app}'s config",
            reason=event.detail or "agentd's configuration was removed or altered",
            integration=source.app,
            evidence=(event.id,),
        )


# Apps whose AgentKind exists; for the others (Claude Desktop, Windsurf) the scope names the app.
_KINDS_WITH_EVENTS = frozenset({ac.CLAUDE_CODE, ac.CODEX, ac.GEMINI_CLI, ac.CURSOR, ac.COPILOT})
