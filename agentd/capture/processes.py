"""Process attribution (psutil): which process owns a proxy connection or holds a file open,
which agent it is, and which agent a descendant process (a shell, an MCP server) belongs to."""

import contextlib
import os
import re
from dataclasses import dataclass

import psutil

from agentd.events import AgentKind, AgentRef


@dataclass(frozen=True, slots=True)
class ProcessInfo:
    pid: int
    ppid: int | None
    name: str
    exe: str | None
    cmdline: tuple[str, ...]
    user: str | None


# (kind, pattern over the executable's basename or a command-line word). Node-hosted agents
# run as `node .../cli.js`, so command-line words count as much as the executable.
_SIGNATURES: tuple[tuple[AgentKind, re.Pattern[str]], ...] = (
    (AgentKind.CLAUDE_CODE, re.compile(r"(^|[/\\@])(claude|claude-code)([/\\.@-]|$)", re.I)),
    (AgentKind.CODEX, re.compile(r"(^|[/\\@])(codex)([/\\.@-]|$)", re.I)),
    (AgentKind.GEMINI_CLI, re.compile(r"(^|[/\\@])(gemini|gemini-cli)([/\\.@-]|$)", re.I)),
    (AgentKind.CURSOR, re.compile(r"(^|[/\\])(cursor|cursor-agent)([/\\.-]|$)", re.I)),
    (AgentKind.COPILOT, re.compile(r"(^|[/\\@])(copilot|github-copilot)([/\\.@-]|$)", re.I)),
)

_USER_AGENTS: tuple[tuple[AgentKind, re.Pattern[str]], ...] = (
    (AgentKind.CLAUDE_CODE, re.compile(r"^claude-cli/|claude-code", re.I)),
    (AgentKind.CODEX, re.compile(r"codex", re.I)),
    (AgentKind.GEMINI_CLI, re.compile(r"GeminiCLI|gemini-cli", re.I)),
    (AgentKind.COPILOT, re.compile(r"copilot", re.I)),
    (AgentKind.CURSOR, re.compile(r"cursor", re.I)),
)

_VERSION = re.compile(r"/(\d+(?:\.\d+)+)")


def classify(name: str, exe: str | None, cmdline: tuple[str, ...]) -> AgentKind:
    """The agent a process is, from its executable and (for node-hosted agents) its arguments."""
    words = [name, exe or "", *cmdline[:3]]
    for kind, pattern in _SIGNATURES:
        if any(pattern.search(word) for word in words if word):
            return kind
    return AgentKind.UNKNOWN


def classify_user_agent(user_agent: str | None) -> AgentKind:
    if user_agent:
        for kind, pattern in _USER_AGENTS:
            if pattern.search(user_agent):
                return kind
    return AgentKind.UNKNOWN


def info(pid: int) -> ProcessInfo | None:
    """What can be read about ``pid`` (None when it has exited or is not ours to read)."""
    try:
        process = psutil.Process(pid)
        with process.oneshot():
            name = process.name()
            ppid = process.ppid()
            exe = cmdline = user = None
            with contextlib.suppress(psutil.AccessDenied, psutil.ZombieProcess, OSError):
                exe = process.exe() or None
            with contextlib.suppress(psutil.AccessDenied, psutil.ZombieProcess, OSError):
                cmdline = tuple(process.cmdline())
            with contextlib.suppress(psutil.AccessDenied, KeyError, OSError):
                user = process.username()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None
    return ProcessInfo(pid=pid, ppid=ppid or None, name=name, exe=exe, cmdline=cmdline or (), user=user)


def owner_of_connection(client_port: int, server_port: int) -> int | None:
    """The pid whose TCP socket has local port ``client_port`` connected to ``server_port``
    on this host (the proxy's client side, in regular mode)."""
    with contextlib.suppress(psutil.AccessDenied, OSError):
        for conn in psutil.net_connections(kind="tcp"):
            if (
                conn.pid
                and conn.pid != os.getpid()
                and conn.laddr
                and conn.laddr.port == client_port
                and conn.raddr
                and conn.raddr.port == server_port
            ):
                return conn.pid
    return None


_PROC = "/proc"


def holder_of(path: str, exclude: int | None = None) -> int | None:
    """A process that has ``path`` open right now (not ``exclude``), or None.

    On Linux this reads /proc/*/fd, newest processes first (a short-lived reader is likely
    recent); other users' processes are visible only to root. Elsewhere psutil's open_files.
    A process that already closed the file cannot be found: callers look at open time.
    """
    target = os.path.realpath(path)
    if os.path.isdir(_PROC):
        try:
            pids = sorted((int(n) for n in os.listdir(_PROC) if n.isdigit()), reverse=True)
        except OSError:
            return None
        for pid in pids:
            if pid == exclude:
                continue
            fd_dir = f"{_PROC}/{pid}/fd"
            try:
                fds = os.listdir(fd_dir)
            except OSError:
                continue
            for fd in fds:
                try:
                    if os.readlink(f"{fd_dir}/{fd}") == target:
                        return pid
                except OSError:
                    continue
        return None
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error, OSError):
            if process.pid != exclude and any(f.path == target for f in process.open_files()):
                return process.pid
    return None


def agent_ancestor(pid: int, max_depth: int = 16) -> ProcessInfo | None:
    """The nearest process at or above ``pid`` that is a known agent."""
    current = info(pid)
    for _ in range(max_depth):
        if current is None:
            return None
        if classify(current.name, current.exe, current.cmdline) is not AgentKind.UNKNOWN:
            return current
        if not current.ppid:
            return None
        current = info(current.ppid)
    return None


def attribute(pid: int | None, user_agent: str | None = None) -> AgentRef:
    """The AgentRef for a flow or file access: the process itself, named by the agent it
    belongs to (itself or an ancestor), cross-checked with the HTTP user agent."""
    ua_kind = classify_user_agent(user_agent)
    version = m.group(1) if user_agent and (m := _VERSION.search(user_agent)) else None
    if pid is None:
        return AgentRef(kind=ua_kind, version=version)
    proc = info(pid)
    if proc is None:
        return AgentRef(kind=ua_kind, pid=pid, version=version)
    ancestor = agent_ancestor(pid)
    kind = classify(ancestor.name, ancestor.exe, ancestor.cmdline) if ancestor else AgentKind.UNKNOWN
    if kind is AgentKind.UNKNOWN:
        kind = ua_kind
    return AgentRef(kind=kind, pid=pid, exe=proc.exe, user=proc.user, version=version)
