"""Merging agentd's env entries and hook groups into an agent's JSON settings, and taking them out.

Pure: text in, text out. The user's own keys, hooks and ordering are kept; agentd's hook
handlers are recognised by their command (`<agentd> hook <agent>`), so a reinstall replaces
them instead of adding duplicates, and removal finds them even after the user edited the file.
"""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agentd.deploy.agents import IntegrationError, is_agentd_hook
from agentd.events import AgentKind

_INDENT = re.compile(r"[{\[][^\n]*\n([ \t]+)\S")


@dataclass(frozen=True, slots=True)
class Style:
    """How a file was written, so a rewrite looks like the agent (or the user) wrote it."""

    indent: str | None = "  "
    trailing_newline: bool = True


def detect_style(text: str) -> Style:
    if not text.strip():
        return Style()
    match = _INDENT.match(text.lstrip())
    return Style(indent=match.group(1) if match else None, trailing_newline=text.endswith("\n"))


def parse(text: str, where: str) -> dict[str, Any]:
    """The settings object; IntegrationError (naming line and column) for anything else."""
    if not text.strip():
        return {}
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        hint = " (comments are not supported: remove them or add agentd's entries by hand)"
        has_comment = "//" in text or "/*" in text
        raise IntegrationError(
            f"{where} is not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
            + (hint if has_comment else "")
            + "; it was left unchanged"
        ) from None
    except RecursionError:
        raise IntegrationError(f"{where} nests too deeply to be settings; it was left unchanged") from None
    if not isinstance(document, dict):
        raise IntegrationError(f"{where} must hold a JSON object at the top level; it was left unchanged")
    return document


def render(document: Mapping[str, Any], style: Style) -> str:
    """JSON text in ``style``; non-ASCII stays readable unless it cannot be UTF-8 encoded
    (a lone surrogate written as an escape), which then stays escaped."""
    text = json.dumps(document, ensure_ascii=False, indent=style.indent)
    try:
        text.encode()
    except UnicodeEncodeError:
        text = json.dumps(document, ensure_ascii=True, indent=style.indent)
    return text + "\n" if style.trailing_newline else text


def _table(document: dict[str, Any], key: str, where: str) -> dict[str, Any] | None:
    value = document.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise IntegrationError(f'{where}: "{key}" must be an object, found {type(value).__name__}')
    return value


def _strip_handlers(groups: list[Any], agent: AgentKind) -> tuple[list[Any], bool]:
    """The event's matcher groups without agentd's handlers; groups left empty are dropped."""
    kept: list[Any] = []
    found = False
    for group in groups:
        handlers = group.get("hooks") if isinstance(group, dict) else None
        if not isinstance(handlers, list):
            kept.append(group)
            continue
        others = [
            h for h in handlers if not (isinstance(h, dict) and is_agentd_hook(h.get("command"), agent))
        ]
        if len(others) == len(handlers):
            kept.append(group)
            continue
        found = True
        if others:
            kept.append({**group, "hooks": others})
    return kept, found


def merge(
    document: dict[str, Any],
    env: Mapping[str, str],
    hooks: Mapping[str, Mapping[str, Any]],
    agent: AgentKind,
    where: str,
) -> tuple[dict[str, Any], dict[str, str | None]]:
    """A copy of ``document`` with agentd's env and hook groups, and the env values it replaced."""
    merged = dict(document)
    replaced: dict[str, str | None] = {}
    if env:
        current_env = dict(_table(document, "env", where) or {})
        for key, value in env.items():
            previous = current_env.get(key)
            replaced[key] = previous if isinstance(previous, str) else None
            current_env[key] = value
        merged["env"] = current_env
    if hooks:
        current_hooks = dict(_table(document, "hooks", where) or {})
        for event, group in hooks.items():
            groups = current_hooks.get(event, [])
            if not isinstance(groups, list):
                raise IntegrationError(
                    f'{where}: "hooks.{event}" must be a list, found {type(groups).__name__}'
                )
            kept, _ = _strip_handlers(groups, agent)
            current_hooks[event] = [*kept, dict(group)]
        merged["hooks"] = current_hooks
    return merged, replaced


def unmerge(
    document: dict[str, Any],
    env: Mapping[str, str],
    hook_events: tuple[str, ...],
    agent: AgentKind,
    previous_env: Mapping[str, str | None],
) -> tuple[dict[str, Any], bool]:
    """``document`` without agentd's entries, and whether any were found.

    An env value is only taken back while it still holds what agentd put there; the value
    it replaced comes back. Containers left empty by the removal are dropped.
    """
    result = dict(document)
    found = False
    current_env = result.get("env")
    if isinstance(current_env, dict):
        current_env = dict(current_env)
        for key, value in env.items():
            if current_env.get(key) != value:
                continue
            found = True
            previous = previous_env.get(key)
            if previous is None:
                del current_env[key]
            else:
                current_env[key] = previous
        if current_env:
            result["env"] = current_env
        else:
            del result["env"]
    current_hooks = result.get("hooks")
    if isinstance(current_hooks, dict):
        current_hooks = dict(current_hooks)
        for event in hook_events:
            groups = current_hooks.get(event)
            if not isinstance(groups, list):
                continue
            kept, removed = _strip_handlers(groups, agent)
            found = found or removed
            if kept:
                current_hooks[event] = kept
            else:
                del current_hooks[event]
        if current_hooks:
            result["hooks"] = current_hooks
        else:
            del result["hooks"]
    return result, found


def agentd_hooks(document: Mapping[str, Any], agent: AgentKind) -> dict[str, list[str]]:
    """Event -> the commands of agentd's handlers found there (for doctor)."""
    found: dict[str, list[str]] = {}
    hooks = document.get("hooks")
    if not isinstance(hooks, dict):
        return found
    for event, groups in hooks.items():
        if not isinstance(groups, list):
            continue
        for group in groups:
            handlers = group.get("hooks") if isinstance(group, dict) else None
            for handler in handlers if isinstance(handlers, list) else ():
                command = handler.get("command") if isinstance(handler, dict) else None
                if isinstance(command, str) and is_agentd_hook(command, agent):
                    found.setdefault(str(event), []).append(command)
    return found
