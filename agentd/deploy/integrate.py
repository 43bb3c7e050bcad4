"""Applying and undoing agent integrations on disk, so that uninstall restores files exactly.

Each edited file gets a sidecar record (``.<name>.agentd``, mode 0600, next to the file)
holding what agentd needs to undo its edit: the file's bytes before agentd touched it (JSON
settings, which agentd rewrites) or whether it added a newline (text blocks), the env
values it replaced, the directories it created, and a hash of what it wrote. Uninstall puts
the original bytes back when the file still holds exactly what agentd wrote; when someone
changed it since, it takes out agentd's entries and leaves every other change in place.
"""

import base64
import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from agentd.deploy import settings_json, textblock
from agentd.deploy.agents import (
    PROXY_VAR,
    Edit,
    Integration,
    IntegrationError,
    JsonSettings,
    Scope,
    TextBlock,
)
from agentd.events import AgentKind

RECORD_VERSION = 1


class Action(StrEnum):
    CREATED = "created"  # the file did not exist
    UPDATED = "updated"  # agentd's entries were added or refreshed
    UNCHANGED = "unchanged"  # already exactly as agentd wants it / nothing of agentd's there
    RESTORED = "restored"  # uninstall: the original bytes are back (or the file is gone again)
    CLEANED = "cleaned"  # uninstall: agentd's entries taken out of a file others changed too
    FAILED = "failed"  # could not be handled safely; the file was left as it was


@dataclass(frozen=True, slots=True)
class Change:
    agent: AgentKind
    path: Path
    action: Action
    detail: str
    warnings: tuple[str, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {
            "agent": self.agent.value,
            "path": str(self.path),
            "action": self.action.value,
            "detail": self.detail,
            "warnings": list(self.warnings),
        }


def record_path(path: Path) -> Path:
    return path.with_name(f".{path.name.lstrip('.')}.agentd")


def _target(path: Path) -> Path:
    # A settings file symlinked from a dotfiles repository is edited where it really lives;
    # replacing the link with a file would silently fork the user's dotfiles.
    return path.resolve() if path.is_symlink() else path


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise IntegrationError(f"cannot read {path}: {exc.strerror}") from exc


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write(path: Path, data: bytes, new_mode: int) -> None:
    """Replace ``path`` atomically, keeping an existing file's mode and owner."""
    try:
        existing = path.stat()
    except FileNotFoundError:
        existing = None
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if existing is None:
            os.chmod(tmp, new_mode)
        else:
            os.chmod(tmp, existing.st_mode & 0o7777)
            if os.geteuid() == 0 and (existing.st_uid, existing.st_gid) != (0, 0):
                os.chown(tmp, existing.st_uid, existing.st_gid)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _make_dirs(directory: Path, mode: int) -> list[str]:
    """Create missing parents; return the ones created, outermost first."""
    missing: list[Path] = []
    current = directory
    while not current.exists():
        missing.append(current)
        current = current.parent
    for item in reversed(missing):
        item.mkdir(mode=mode)
    return [str(item) for item in reversed(missing)]


def _load_record(path: Path) -> dict[str, Any] | None:
    raw = _read(record_path(path))
    if raw is None:
        return None
    try:
        record = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None  # a damaged record: fall back to recognising agentd's entries by content
    return record if isinstance(record, dict) and record.get("version") == RECORD_VERSION else None


def _save_record(path: Path, record: dict[str, Any]) -> None:
    _write(record_path(path), json.dumps(record, indent=2, sort_keys=True).encode() + b"\n", 0o600)


def _modes(scope: Scope) -> tuple[int, int]:
    # Managed settings must be readable by every user; a user's own files stay private.
    return (0o644, 0o755) if scope is Scope.SYSTEM else (0o600, 0o700)


def install(integration: Integration) -> list[Change]:
    """Merge agentd's entries into every file of ``integration``; idempotent. A file that
    cannot be merged safely is left untouched and reported as FAILED; the others proceed."""
    changes = []
    for edit in integration.edits:
        try:
            changes.append(_install_one(integration.agent, edit, integration.scope))
        except (IntegrationError, OSError) as exc:
            changes.append(Change(integration.agent, edit.path, Action.FAILED, describe(exc)))
    return changes


def describe(exc: Exception) -> str:
    if isinstance(exc, PermissionError):
        return f"permission denied: {exc.filename} (managed settings need root)"
    if isinstance(exc, OSError):
        return f"{exc.strerror}: {exc.filename}"
    return str(exc)


def uninstall(*integrations: Integration) -> list[Change]:
    """Take agentd's entries out of every file of ``integrations``, restoring originals exactly.

    Directories agentd created go too, once nothing is left in them; a directory shared by
    several integrations (``/etc``) is retried after all of them are undone.
    """
    changes: list[Change] = []
    created: list[str] = []
    for integration in integrations:
        for edit in reversed(integration.edits):
            try:
                change, dirs = _uninstall_one(integration.agent, edit)
            except (IntegrationError, OSError) as exc:
                changes.append(Change(integration.agent, edit.path, Action.FAILED, describe(exc)))
                continue
            changes.append(change)
            created.extend(dirs)
    for directory in sorted(set(created), key=lambda d: d.count(os.sep), reverse=True):
        with contextlib.suppress(OSError):  # not empty: someone else keeps files there
            Path(directory).rmdir()
    return changes


def _install_one(agent: AgentKind, edit: Edit, scope: Scope) -> Change:
    path = _target(edit.path)
    current = _read(path)
    record = _load_record(path)
    file_mode, dir_mode = _modes(scope)
    text = _decode(current, path)
    if record is not None and current is not None and record.get("written") == _digest(current):
        # Still what agentd last wrote: the record knows the original; refresh the entries.
        base, first = text, record
    else:
        # First install, a lost record, or a file changed since agentd wrote it: what the
        # file holds without agentd's entries becomes the original to give back.
        base, _ = _clean_text(agent, path, edit, text, record or {})
        first = None
    new_text, fields = _apply(agent, path, edit, base)
    if first is None:
        fields["original"] = None if current is None else base.encode()
        fields["created_dirs"] = (record or {}).get("created_dirs") or []
        record_now = {"version": RECORD_VERSION, "agent": agent.value, **fields}
    else:
        record_now = dict(first)
    detail = _detail(edit)
    warnings = _replaced_warnings(record_now.get("previous_env") or {}, edit)
    new_bytes = new_text.encode()
    if new_bytes != current:
        record_now["created_dirs"] = [*record_now["created_dirs"], *_make_dirs(path.parent, dir_mode)]
    record_now["written"] = _digest(new_bytes)
    if isinstance(record_now.get("original"), bytes):
        record_now["original"] = _encode_original(edit, record_now["original"])
    if new_bytes == current:
        _save_record(path, record_now)
        return Change(agent, path, Action.UNCHANGED, detail, warnings)
    _write(path, new_bytes, file_mode)
    _save_record(path, record_now)
    action = Action.CREATED if current is None else Action.UPDATED
    return Change(agent, path, action, detail, warnings)


def _replaced_warnings(previous_env: dict[str, str | None], edit: Edit) -> tuple[str, ...]:
    if not isinstance(edit, JsonSettings):
        return ()
    warnings = []
    for key, old in previous_env.items():
        if old is None or old == edit.env.get(key):
            continue
        shown = _without_userinfo(old)
        hint = ""
        if key == PROXY_VAR:
            hint = f'; to keep using it, set [proxy] mode = "upstream", upstream_proxy = "{shown}"'
        warnings.append(f"replaced {key} (was {shown}){hint}; uninstall puts it back")
    return tuple(warnings)


def _without_userinfo(url: str) -> str:
    """A proxy URL with any user:password hidden: settings may carry credentials."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    authority, slash, tail = rest.partition("/")
    if "@" in authority:
        authority = "***@" + authority.rsplit("@", 1)[1]
    return f"{scheme}{sep}{authority}{slash}{tail}"


def _encode_original(edit: Edit, original: bytes) -> str | bool:
    # Text blocks need no copy of the file (a dotenv file may hold the user's API keys):
    # taking the block out gives the original back. JSON settings are rewritten, so their
    # original bytes are kept, in the 0600 record beside the file.
    if isinstance(edit, TextBlock):
        return True
    return base64.b64encode(original).decode()


def _apply(agent: AgentKind, path: Path, edit: Edit, text: str) -> tuple[str, dict[str, Any]]:
    if isinstance(edit, JsonSettings):
        document = settings_json.parse(text, str(path))
        merged, replaced = settings_json.merge(document, edit.env, edit.hooks, agent, str(path))
        return settings_json.render(merged, settings_json.detect_style(text)), {"previous_env": replaced}
    new_text, newline_added = textblock.insert(text, edit.lines)
    return new_text, {"newline_added": newline_added}


def _clean_text(
    agent: AgentKind, path: Path, edit: Edit, text: str, record: dict[str, Any]
) -> tuple[str, bool]:
    """``text`` without agentd's entries, and whether there were any."""
    if isinstance(edit, JsonSettings):
        if not text.strip():
            return text, False
        document = settings_json.parse(text, str(path))
        previous = record.get("previous_env") or {}
        cleaned, found = settings_json.unmerge(document, edit.env, tuple(edit.hooks), agent, previous)
        if not found:
            return text, False
        return settings_json.render(cleaned, settings_json.detect_style(text)), True
    return textblock.remove(text, bool(record.get("newline_added")))


def _uninstall_one(agent: AgentKind, edit: Edit) -> tuple[Change, list[str]]:
    path = _target(edit.path)
    current = _read(path)
    record = _load_record(path) or {}
    created = [str(d) for d in record.get("created_dirs") or []]
    try:
        if current is None:
            return Change(agent, path, Action.UNCHANGED, "no such file"), created
        if record.get("written") == _digest(current):
            return _restore(agent, path, edit, current, record), created
        cleaned, found = _clean_text(agent, path, edit, _decode(current, path), record)
        if not found:
            return Change(agent, path, Action.UNCHANGED, "no agentd entries found"), created
        _write(path, cleaned.encode(), 0o600)
        return Change(agent, path, Action.CLEANED, "agentd's entries removed; other changes kept"), created
    finally:
        with contextlib.suppress(FileNotFoundError):
            record_path(path).unlink()


def _restore(agent: AgentKind, path: Path, edit: Edit, current: bytes, record: dict[str, Any]) -> Change:
    original = record.get("original")
    if original is None:
        path.unlink()
        return Change(agent, path, Action.RESTORED, "removed: agentd had created it")
    if isinstance(original, str):
        _write(path, base64.b64decode(original), 0o600)
    else:
        restored, _ = textblock.remove(_decode(current, path), bool(record.get("newline_added")))
        _write(path, restored.encode(), 0o600)
    return Change(agent, path, Action.RESTORED, "original content back")


def _decode(data: bytes | None, path: Path) -> str:
    if data is None:
        return ""
    try:
        return data.decode()
    except UnicodeDecodeError:
        raise IntegrationError(f"{path} is not UTF-8 text; it was left unchanged") from None


def _detail(edit: Edit) -> str:
    if isinstance(edit, TextBlock):
        return f"{len(edit.lines)} lines between agentd's markers"
    parts = []
    if edit.env:
        parts.append("env " + ", ".join(edit.env))
    if edit.hooks:
        parts.append("hooks " + ", ".join(edit.hooks))
    return "; ".join(parts)
