"""The process inventory: which coding agents run on this host and which MCP server processes
they spawned, polled cheaply with psutil; `AgentProcessSeen` when one starts or exits.

A scan reads only /proc/PID/stat-level facts for every process; executable and command line are
read once per new process and cached by (pid, start time). Command lines are redacted.
"""

import asyncio
import contextlib
import logging
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import psutil

from agentd.capture.processes import classify
from agentd.clock import Clock
from agentd.events import (
    AgentKind,
    AgentProcessSeen,
    AgentRef,
    EventSink,
    ProcessState,
    Severity,
    Source,
    Stamper,
)
from agentd.normalize.agent_configs import redact_args

log = logging.getLogger(__name__)

Role = Literal["agent", "mcp_server"]
_MCP = re.compile(r"mcp|modelcontextprotocol", re.IGNORECASE)
_MAX_ANCESTRY = 16


@dataclass(frozen=True, slots=True)
class _Facts:
    kind: AgentKind
    exe: str | None
    cmdline: tuple[str, ...]  # redacted
    user: str | None
    mcp: bool  # judged on the raw command line


@dataclass(frozen=True, slots=True)
class Running:
    """One agent or MCP server process seen in the last scan."""

    pid: int
    started: float
    role: Role
    kind: AgentKind  # for an MCP server: the agent that spawned it
    exe: str | None
    cmdline: tuple[str, ...]  # redacted
    user: str | None
    parent_pid: int | None  # for an MCP server: its agent's pid


def looks_like_mcp_server(cmdline: Iterable[str]) -> bool:
    """A command line that runs an MCP server (``npx @modelcontextprotocol/server-x``,
    ``uvx mcp-server-git``, ``node .../github-mcp/index.js``): judged on its first words."""
    return any(
        _MCP.search(os.path.basename(word)) or "modelcontextprotocol" in word for word in list(cmdline)[:4]
    )


_PROC = "/proc"


def process_table() -> dict[int, tuple[int, float, str]]:
    """pid -> (parent pid, start time, name) for every process. On Linux straight from
    /proc/PID/stat (a third of psutil's cost; start time in clock ticks since boot, which is
    all an identity needs); elsewhere through psutil."""
    table: dict[int, tuple[int, float, str]] = {}
    if os.path.isdir(_PROC):
        for entry in os.listdir(_PROC):
            if not entry.isdigit():
                continue
            try:
                with open(f"{_PROC}/{entry}/stat", "rb") as handle:
                    stat = handle.read()
                close = stat.rindex(b")")
                fields = stat[close + 2 :].split()
                name = stat[stat.index(b"(") + 1 : close].decode(errors="replace")
                table[int(entry)] = (int(fields[1]), float(fields[19]), name)
            except (OSError, ValueError, IndexError):
                continue  # gone meanwhile, or not a process directory we can read
        return table
    for process in psutil.process_iter(["ppid", "create_time", "name"]):
        with contextlib.suppress(psutil.Error, OSError, TypeError):
            values = process.info
            table[process.pid] = (
                values["ppid"] or 0,
                float(values["create_time"] or 0),
                values["name"] or "",
            )
    return table


class ProcessInventory:
    name = "processes"

    def __init__(self, sink: EventSink, stamp: Stamper, clock: Clock, interval: float = 5.0) -> None:
        self.sink = sink
        self.stamp = stamp
        self.clock = clock
        self.interval = interval
        self._facts: dict[tuple[int, float], _Facts] = {}
        self._running: dict[tuple[int, float], Running] = {}
        self.scans = 0
        self.errors = 0
        self.ready = asyncio.Event()

    async def serve(self) -> None:
        while True:
            try:
                events = await asyncio.to_thread(self.scan)
            except Exception:  # a failed scan is retried next interval
                self.errors += 1
                log.exception("process scan failed")
            else:
                for event in events:
                    self.sink.emit(event)
            self.ready.set()
            await self.clock.sleep(self.interval)

    def statistics(self) -> Mapping[str, Any]:
        roles = [r.role for r in self._running.values()]
        return {
            "agents": roles.count("agent"),
            "mcp_servers": roles.count("mcp_server"),
            "scans": self.scans,
            "errors": self.errors,
        }

    def running(self) -> list[Running]:
        return sorted(self._running.values(), key=lambda r: (r.role, r.pid))

    def scan(self) -> list[AgentProcessSeen]:
        """One pass over the process table; events for what appeared or went since the last."""
        table = process_table()
        self.scans += 1
        live = {(pid, started) for pid, (_, started, _) in table.items()}
        for key in [k for k in self._facts if k not in live]:
            del self._facts[key]
        facts = {pid: self._facts_of(pid, started, name) for pid, (_, started, name) in table.items()}

        found: dict[tuple[int, float], Running] = {}
        for pid, (ppid, started, _) in table.items():
            fact = facts[pid]
            if fact is None:
                continue
            parent = facts.get(ppid)
            if fact.kind is not AgentKind.UNKNOWN:
                if parent is None or parent.kind is not fact.kind:  # the top of an agent's own tree
                    found[(pid, started)] = Running(
                        pid, started, "agent", fact.kind, fact.exe, fact.cmdline, fact.user, ppid or None
                    )
                continue
            if not fact.mcp:
                continue
            if parent is not None and parent.mcp and parent.kind is AgentKind.UNKNOWN:
                continue  # `npx mcp-x` spawning `node mcp-x`: report the outer one
            agent_pid = self._agent_above(pid, table, facts)
            if agent_pid is not None:
                agent = facts[agent_pid]
                assert agent is not None
                found[(pid, started)] = Running(
                    pid, started, "mcp_server", agent.kind, fact.exe, fact.cmdline, fact.user, agent_pid
                )

        events = [self._event(r, ProcessState.STARTED) for k, r in found.items() if k not in self._running]
        events += [self._event(r, ProcessState.EXITED) for k, r in self._running.items() if k not in found]
        self._running = found
        return events

    def _facts_of(self, pid: int, started: float, name: str) -> _Facts | None:
        key = (pid, started)
        cached = self._facts.get(key)
        if cached is not None:
            return cached
        exe: str | None = None
        cmdline: tuple[str, ...] = ()
        user: str | None = None
        try:
            process = psutil.Process(pid)
            with process.oneshot():
                with contextlib.suppress(psutil.AccessDenied, psutil.ZombieProcess, OSError):
                    exe = process.exe() or None
                with contextlib.suppress(psutil.AccessDenied, psutil.ZombieProcess, OSError):
                    cmdline = tuple(process.cmdline())
                with contextlib.suppress(psutil.AccessDenied, KeyError, OSError):
                    user = process.username()
        except psutil.NoSuchProcess:
            return None
        except psutil.Error:
            pass
        fact = _Facts(
            classify(name, exe, cmdline), exe, redact_args(cmdline), user, looks_like_mcp_server(cmdline)
        )
        self._facts[key] = fact
        return fact

    @staticmethod
    def _agent_above(
        pid: int, table: Mapping[int, tuple[int, float, str]], facts: Mapping[int, _Facts | None]
    ) -> int | None:
        current = table[pid][0]
        for _ in range(_MAX_ANCESTRY):
            fact = facts.get(current)
            if fact is None:
                return None
            if fact.kind is not AgentKind.UNKNOWN:
                return current
            current = table[current][0]
        return None

    def _event(self, running: Running, state: ProcessState) -> AgentProcessSeen:
        return self.stamp(
            AgentProcessSeen,
            self.clock.now(),
            severity=Severity.INFO if running.role == "agent" else Severity.LOW,
            source=Source.PROCESSES,
            agent=AgentRef(kind=running.kind, pid=running.pid, exe=running.exe, user=running.user),
            state=state,
            role=running.role,
            cmdline=running.cmdline,
            parent_pid=running.parent_pid,
        )
