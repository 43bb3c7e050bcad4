"""`agentd hook AGENT`: answer an agent's hook from standard input, on every tool call.

It reads the hook JSON, asks the daemon over the control socket, and prints the agent's native
answer with the exit code its protocol expects. Runs on every tool call, so it imports almost
nothing: no typer, no pydantic, no settings models (``fast_main`` is reached before the typer app
loads). When the daemon cannot be reached, ``[policy] fail_mode`` decides: ``open`` lets the call
through and leaves a line for the daemon to record at next contact; ``closed`` blocks it (exit 2).
"""

import json
import os
import sys
import tomllib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Annotated, Any

from agentd.capture.hooks import backlog
from agentd.capture.hooks.adapters import ADAPTERS
from agentd.capture.hooks.protocol import PRE_TOOL, NativeReply
from agentd.errors import DaemonNotRunning
from agentd.observe.client import ControlError, call

MAX_INPUT = 8 * 1024 * 1024  # hook JSON larger than this is not sent; the fail mode answers
DEFAULT_TIMEOUT = 5.0
_KEYS = (("paths", "run_dir"), ("paths", "state_dir"), ("policy", "fail_mode"))


class HookSettings:
    """The three settings the hook needs, read from the same layers as ``agentd.config``."""

    def __init__(self, socket: Path, backlog_path: Path, closed: bool) -> None:
        self.socket = socket
        self.backlog_path = backlog_path
        self.closed = closed


def hook_settings(explicit: Path | None) -> HookSettings:
    """``[paths] run_dir``, ``state_dir`` and ``[policy] fail_mode`` from the config layers
    (defaults < user < system < managed), without loading the pydantic settings models.
    A layer that cannot be read is skipped: the daemon reports bad config, the hook must answer."""
    from agentd.paths import config_files  # platformdirs: only paid for here, not on import

    files = config_files(explicit)
    merged: dict[tuple[str, str], Any] = {}
    for path in (files.user, files.system, files.managed):
        if path is None:
            continue
        layer = _read_layer(path)
        for section, key in _KEYS:
            table = layer.get(section)
            if isinstance(table, Mapping) and key in table:
                merged[(section, key)] = table[key]
    run_dir = merged.get(("paths", "run_dir"))
    state_dir = merged.get(("paths", "state_dir"))
    if not isinstance(run_dir, str) or not isinstance(state_dir, str):
        from agentd.paths import default_run_dir, default_state_dir

        run_dir = run_dir if isinstance(run_dir, str) else str(default_run_dir())
        state_dir = state_dir if isinstance(state_dir, str) else str(default_state_dir())
    return HookSettings(
        socket=Path(run_dir).expanduser() / "control.sock",
        backlog_path=Path(state_dir).expanduser() / backlog.BACKLOG_NAME,
        closed=merged.get(("policy", "fail_mode")) == "closed",
    )


def _read_layer(path: Path) -> Mapping[str, Any]:
    try:
        raw = path.read_bytes()
        if path.suffix == ".plist":  # macOS MDM profiles; plistlib is only paid for there
            import plistlib

            data = plistlib.loads(raw)
        else:
            data = tomllib.loads(raw.decode())
    except (OSError, ValueError):  # plistlib.InvalidFileException is a ValueError
        return {}
    return data if isinstance(data, Mapping) else {}


def run(
    agent: str,
    *,
    config: Path | None,
    timeout: float = DEFAULT_TIMEOUT,
    stdin: IO[bytes] | None = None,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Answer one hook; returns the exit code."""
    stdin = stdin if stdin is not None else sys.stdin.buffer
    stdout = stdout if stdout is not None else sys.stdout
    stderr = stderr if stderr is not None else sys.stderr
    settings = hook_settings(config)
    adapter = ADAPTERS.get(agent)
    if adapter is None:
        stderr.write(f"agentd hook: unknown agent {agent!r}; known: {', '.join(sorted(ADAPTERS))}\n")
        return 2 if settings.closed else 1
    raw = stdin.read(MAX_INPUT + 1)
    payload: Any = None
    error = None
    if len(raw) > MAX_INPUT:
        error = f"hook input larger than {MAX_INPUT} bytes"
    else:
        try:
            payload = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            error = f"hook input is not JSON: {type(exc).__name__} at byte {getattr(exc, 'pos', '?')}"
    native = payload.get("hook_event_name") if isinstance(payload, dict) else None
    try:
        if error is not None and len(raw) > MAX_INPUT:
            raise ControlError(error)
        result = call(
            settings.socket,
            "hook",
            timeout=timeout,
            agent=agent,
            payload=payload,
            error=error,
            pid=os.getppid(),
            user=os.environ.get("USER") or os.environ.get("LOGNAME"),
        )
        reply = NativeReply.from_json(result)
    except (DaemonNotRunning, ControlError, ValueError) as exc:
        reason = f"agentd could not check this call ({exc})"
        reply = adapter.unavailable(
            native if isinstance(native, str) else None, reason, closed=settings.closed
        )
        if not settings.closed:
            _leave_record(settings, agent, adapter.parse, payload, str(exc))
    if reply.stdout:
        stdout.write(reply.stdout if reply.stdout.endswith("\n") else reply.stdout + "\n")
    if reply.stderr:
        stderr.write(reply.stderr if reply.stderr.endswith("\n") else reply.stderr + "\n")
    return reply.exit_code


def _leave_record(
    settings: HookSettings, agent: str, parse: Callable[[Mapping[str, Any]], Any], payload: Any, reason: str
) -> None:
    """What went ahead unchecked, for the daemon to record: never the arguments themselves."""
    entry: dict[str, Any] = {"agent": agent, "pid": os.getppid(), "user": os.environ.get("USER")}
    try:
        event = parse(payload) if isinstance(payload, Mapping) else None
    except Exception:  # an unreadable payload is recorded as such
        event = None
    if event is not None and event.kind != PRE_TOOL:
        return  # prompts and results were not blocked by anyone; nothing went unchecked
    if event is not None:
        entry.update(session_id=event.session_id, tool=event.tool, call_id=event.call_id)
    entry["reason"] = reason[:300]
    backlog.record(settings.backlog_path, entry)


def fast_main(argv: Sequence[str]) -> int | None:
    """``agentd [--config PATH] hook AGENT [--timeout S]`` handled without the typer app; None for
    anything else (including ``--help``), which the full CLI then handles."""
    args = list(argv)
    config: str | None = None  # None: config_files() honours AGENTD_CONFIG itself
    while args and args[0].startswith("--config"):
        if args[0] == "--config" and len(args) > 1:
            config, args = args[1], args[2:]
        elif args[0].startswith("--config="):
            config, args = args[0].split("=", 1)[1], args[1:]
        else:
            return None
    if len(args) < 2 or args[0] != "hook" or args[1].startswith("-"):
        return None
    agent, rest = args[1], args[2:]
    timeout = DEFAULT_TIMEOUT
    while rest:
        option = rest.pop(0)
        value = option.split("=", 1)[1] if option.startswith("--timeout=") else None
        if option == "--timeout" and rest:
            value = rest.pop(0)
        if value is None:
            return None
        try:
            timeout = float(value)
        except ValueError:
            return None
    return run(agent, config=Path(config) if config else None, timeout=timeout)


def console_main() -> None:
    """The ``agentd`` console script: the hook and status fast paths, else the full command line."""
    code = fast_main(sys.argv[1:])
    if code is None:
        from agentd.cli.status import fast_main as status_fast_main

        code = status_fast_main(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    from agentd.cli.app import main

    main()


def command() -> Callable[..., None]:
    """The ``agentd hook`` command for the typer app; built here, on demand, so that the fast
    path never imports typer."""
    import typer

    from agentd.cli.context import state

    def hook(
        ctx: typer.Context,
        agent: Annotated[str, typer.Argument(help=f"the agent whose hook this is: {', '.join(ADAPTERS)}")],
        timeout: Annotated[float, typer.Option(help="seconds to wait for the daemon")] = DEFAULT_TIMEOUT,
    ) -> None:
        """Answer an agent's hook: reads its JSON on stdin, prints the native answer.

        Put `agentd hook claude-code` (or codex, gemini-cli, cursor) in the agent's hook
        settings for tool calls, prompts and results."""
        raise typer.Exit(run(agent, config=state(ctx).config_path, timeout=timeout))

    return hook
