"""Self-protection: the daemon watches its own memory and CPU and sheds optional work before
the service limits (systemd ``MemoryMax``, launchd limits) kill it, then restores it.

``assess`` is the pure decision (with hysteresis); ``Footprint`` is the component that samples
the process with psutil, pulls the levers, and records each shed and recovery as an event.
"""

import ctypes
import ctypes.util
import gc
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import psutil

from agentd.clock import Clock
from agentd.events import CaptureLevel, EventSink, InternalError, Severity, Stamper

log = logging.getLogger(__name__)

MIB = 1024 * 1024
SERVICE_MEMORY_MAX = 512 * MIB  # MemoryMax in systemd/agentd.service: the fallback budget
SHED_AT = 0.70  # of the memory budget: leaves room to shed before MemoryHigh (75%) throttles
RECOVER_AT = 0.55  # hysteresis, so a daemon near the line does not flap


@dataclass(frozen=True, slots=True)
class Limits:
    memory_budget: int
    cpu_percent: float = 90.0  # of one core, sustained over ``cpu_window`` samples
    cpu_window: int = 6
    interval_seconds: float = 5.0

    @property
    def shed_bytes(self) -> int:
        return int(self.memory_budget * SHED_AT)

    @property
    def recover_bytes(self) -> int:
        return int(self.memory_budget * RECOVER_AT)

    @classmethod
    def detect(
        cls, cgroup_root: Path = Path("/sys/fs/cgroup"), proc_self: Path = Path("/proc/self/cgroup")
    ) -> "Limits":
        """The budget is the service manager's hard limit where one applies to us (cgroup v2
        ``memory.max``, else ``memory.high``), else the unit's ``MemoryMax``."""
        return cls(memory_budget=cgroup_memory_limit(cgroup_root, proc_self) or SERVICE_MEMORY_MAX)


def cgroup_memory_limit(cgroup_root: Path, proc_self: Path) -> int | None:
    """This process's cgroup v2 memory limit in bytes, or None (no cgroup v2, or unlimited)."""
    try:
        lines = proc_self.read_text().splitlines()
    except OSError:
        return None
    relative = next((line[3:] for line in lines if line.startswith("0::")), None)
    if relative is None:
        return None
    directory = cgroup_root / relative.lstrip("/")
    for name in ("memory.max", "memory.high"):
        try:
            value = (directory / name).read_text().strip()
        except OSError:
            continue
        if value.isdigit() and int(value) > 0:
            return int(value)
    return None


@dataclass(frozen=True, slots=True)
class Sample:
    rss: int
    cpu_percent: float  # of one core since the previous sample


@dataclass(frozen=True, slots=True)
class Verdict:
    shed: bool  # the state to be in after this sample
    reason: str | None  # set when the state changes


def assess(samples: Sequence[Sample], limits: Limits, shedding: bool) -> Verdict:
    """Whether to shed optional work given the recent samples (newest last). Memory acts on one
    sample; CPU only when the whole window is over the line (a burst of traffic is normal)."""
    if not samples:
        return Verdict(shedding, None)
    rss = samples[-1].rss
    window = samples[-limits.cpu_window :]
    cpu_hot = len(window) == limits.cpu_window and all(s.cpu_percent >= limits.cpu_percent for s in window)
    if not shedding:
        if rss >= limits.shed_bytes:
            return Verdict(True, f"memory {rss // MIB} MiB over {limits.shed_bytes // MIB} MiB")
        if cpu_hot:
            return Verdict(True, f"CPU over {limits.cpu_percent:g}% for {len(window)} samples")
        return Verdict(False, None)
    calm = rss < limits.recover_bytes and samples[-1].cpu_percent < limits.cpu_percent / 2
    if calm:
        return Verdict(False, f"memory {rss // MIB} MiB, CPU {samples[-1].cpu_percent:.0f}%")
    return Verdict(True, None)


class Lever(Protocol):
    """Optional work that can be shed under pressure and restored afterwards."""

    name: str

    def shed(self) -> bool:
        """Reduce work; True when something actually changed."""
        ...

    def restore(self) -> None: ...


class CaptureLevelLever:
    """``full`` content capture drops to ``redacted`` (events get smaller, nothing is lost
    from detection: findings are computed either way)."""

    name = "capture_full_to_redacted"

    def __init__(self, holder: Any) -> None:
        self.holder = holder  # anything with a mutable ``level: CaptureLevel`` (the Inspector)
        self._saved: CaptureLevel | None = None

    def shed(self) -> bool:
        if self.holder.level is not CaptureLevel.FULL:
            return False
        self._saved, self.holder.level = self.holder.level, CaptureLevel.REDACTED
        return True

    def restore(self) -> None:
        if self._saved is not None:
            self.holder.level, self._saved = self._saved, None


class ReclaimMemory:
    """Collect garbage and hand freed heap back to the OS (glibc ``malloc_trim``)."""

    name = "reclaim_memory"

    def __init__(self) -> None:
        path = ctypes.util.find_library("c")
        libc = ctypes.CDLL(path) if path else None
        self._trim: Callable[[int], int] | None = getattr(libc, "malloc_trim", None)

    def shed(self) -> bool:
        gc.collect()
        if self._trim is not None:
            self._trim(0)
        return True

    def restore(self) -> None:
        pass


class Footprint:
    """Component ``footprint``: samples RSS and CPU every few seconds and sheds or restores."""

    name = "footprint"

    def __init__(
        self,
        *,
        sink: EventSink,
        stamp: Stamper,
        clock: Clock,
        levers: Sequence[Lever] = (),
        limits: Limits | None = None,
        process: psutil.Process | None = None,
        reclaim: Lever | None = None,
    ) -> None:
        self.sink = sink
        self.stamp = stamp
        self.clock = clock
        self.reclaim = reclaim or ReclaimMemory()
        self.levers: list[Lever] = [self.reclaim, *levers]
        self.limits = limits or Limits.detect()
        self.process = process or psutil.Process(os.getpid())
        self.samples: list[Sample] = []
        self.shedding = False
        self.shed_levers: list[str] = []
        self.sheds = 0
        self.last_change: str | None = None
        self._cpu_mark: tuple[float, float] | None = None

    async def serve(self) -> None:
        self.tick()
        await self.clock.sleep(self.limits.interval_seconds)
        # Start-up (policy and pattern compilation, first imports) leaves freed heap behind;
        # hand it back once, so the idle footprint is what the daemon actually holds.
        self.reclaim.shed()
        while True:
            self.tick()
            await self.clock.sleep(self.limits.interval_seconds)

    def sample(self) -> Sample:
        """RSS now and CPU (of one core) since the previous sample."""
        with self.process.oneshot():
            rss = self.process.memory_info().rss
            times = self.process.cpu_times()
        used, now = times.user + times.system, self.clock.monotonic()
        percent = 0.0
        if self._cpu_mark is not None and now > self._cpu_mark[1]:
            percent = 100.0 * (used - self._cpu_mark[0]) / (now - self._cpu_mark[1])
        self._cpu_mark = (used, now)
        return Sample(rss=rss, cpu_percent=max(0.0, percent))

    def tick(self) -> None:
        """One sample and, when the verdict changes, shed or restore."""
        try:
            self.samples = [*self.samples[-(self.limits.cpu_window - 1) :], self.sample()]
        except psutil.Error as exc:
            log.warning("cannot sample the daemon's own footprint", extra={"error": type(exc).__name__})
            return
        verdict = assess(self.samples, self.limits, self.shedding)
        if verdict.shed and not self.shedding:
            self._shed(verdict.reason or "pressure")
        elif not verdict.shed and self.shedding:
            self._restore(verdict.reason or "pressure gone")

    def _shed(self, reason: str) -> None:
        self.shedding, self.sheds = True, self.sheds + 1
        self.shed_levers = [lever.name for lever in self.levers if lever.shed()]
        self.last_change = f"shed at {self.clock.now().isoformat()}: {reason}"
        message = f"{reason}; shed: {', '.join(self.shed_levers) or 'nothing optional left'}"
        log.warning("shedding optional work", extra={"reason": reason, "levers": self.shed_levers})
        self._emit("ResourcePressure", message, Severity.MEDIUM)

    def _restore(self, reason: str) -> None:
        for lever in self.levers:
            lever.restore()
        restored, self.shed_levers, self.shedding = self.shed_levers, [], False
        self.last_change = f"recovered at {self.clock.now().isoformat()}: {reason}"
        log.info("optional work restored", extra={"reason": reason, "levers": restored})
        self._emit(
            "ResourcePressureCleared",
            f"{reason}; restored: {', '.join(restored) or 'nothing'}",
            Severity.INFO,
        )

    def _emit(self, error: str, message: str, severity: Severity) -> None:
        self.sink.emit(
            self.stamp(
                InternalError,
                self.clock.now(),
                component="footprint",
                error=error,
                message=message,
                severity=severity,
            )
        )

    def statistics(self) -> Mapping[str, Any]:
        last = self.samples[-1] if self.samples else None
        return {
            "state": "shedding" if self.shedding else "ok",
            "rss_bytes": last.rss if last else None,
            "cpu_percent": round(last.cpu_percent, 1) if last else None,
            "memory_budget_bytes": self.limits.memory_budget,
            "shed_at_bytes": self.limits.shed_bytes,
            "shed": list(self.shed_levers),
            "sheds": self.sheds,
            "last_change": self.last_change,
        }
