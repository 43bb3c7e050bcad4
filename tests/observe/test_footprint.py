import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import psutil
import pytest

from agentd.events import CaptureLevel, Event, InternalError, Severity, Stamper
from agentd.observe.footprint import (
    MIB,
    SERVICE_MEMORY_MAX,
    CaptureLevelLever,
    Footprint,
    Limits,
    Sample,
    assess,
    cgroup_memory_limit,
)

LIMITS = Limits(memory_budget=100 * MIB, cpu_percent=90.0, cpu_window=3)
LOW, HIGH = Sample(10 * MIB, 1.0), Sample(80 * MIB, 1.0)
HOT = Sample(10 * MIB, 95.0)
MIDDLE = Sample(60 * MIB, 1.0)  # between recover (55 MiB) and shed (70 MiB): keeps the state


@pytest.mark.parametrize(
    ("samples", "shedding", "shed", "changes"),
    [
        ([], False, False, False),
        ([LOW], False, False, False),
        ([HIGH], False, True, True),
        ([MIDDLE], False, False, False),
        ([MIDDLE], True, True, False),
        ([LOW], True, False, True),
        ([HOT, HOT], False, False, False),  # a burst shorter than the window is normal
        ([HOT, HOT, HOT], False, True, True),
        ([LOW, HOT, HOT], False, False, False),
        ([HOT, HOT, HOT], True, True, False),  # still hot: stays shed
        ([HOT, HOT, LOW], True, False, True),
    ],
)
def test_assess(samples: list[Sample], shedding: bool, shed: bool, changes: bool) -> None:
    verdict = assess(samples, LIMITS, shedding)
    assert verdict.shed is shed
    assert (verdict.reason is not None) is changes


def test_limits_keep_room_below_the_budget() -> None:
    assert LIMITS.recover_bytes < LIMITS.shed_bytes < LIMITS.memory_budget


class Holder:
    def __init__(self, level: CaptureLevel) -> None:
        self.level = level


@pytest.mark.parametrize(
    ("level", "changed", "during"),
    [
        (CaptureLevel.FULL, True, CaptureLevel.REDACTED),
        (CaptureLevel.REDACTED, False, CaptureLevel.REDACTED),
        (CaptureLevel.METADATA, False, CaptureLevel.METADATA),
    ],
)
def test_the_capture_lever_only_lowers_full_capture(
    level: CaptureLevel, changed: bool, during: CaptureLevel
) -> None:
    holder = Holder(level)
    lever = CaptureLevelLever(holder)
    assert lever.shed() is changed
    assert holder.level is during
    lever.restore()
    assert holder.level is level


class Recorder:
    def __init__(self, level: CaptureLevel) -> None:
        self.inspector = Holder(level)


class Gate:
    def __init__(self, level: CaptureLevel) -> None:
        self.recorder = Recorder(level)


class Proxy:
    name = "proxy"

    def __init__(self, level: CaptureLevel) -> None:
        self.gate = Gate(level)


def test_the_capture_lever_sheds_full_capture_of_the_inspector_it_is_given() -> None:
    proxy = Proxy(CaptureLevel.FULL)
    lever = CaptureLevelLever(proxy.gate.recorder.inspector)
    assert lever.shed()
    assert proxy.gate.recorder.inspector.level is CaptureLevel.REDACTED


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"memory.max": "536870912\n"}, 536870912),
        ({"memory.max": "max\n", "memory.high": "402653184\n"}, 402653184),
        ({"memory.max": "max\n", "memory.high": "max\n"}, None),
        ({}, None),
        ({"memory.max": "garbage"}, None),
    ],
)
def test_cgroup_memory_limit(tmp_path: Path, files: dict[str, str], expected: int | None) -> None:
    group = tmp_path / "cgroup" / "system.slice" / "agentd.service"
    group.mkdir(parents=True)
    for name, text in files.items():
        (group / name).write_text(text)
    proc = tmp_path / "proc-self-cgroup"
    proc.write_text("0::/system.slice/agentd.service\n")
    assert cgroup_memory_limit(tmp_path / "cgroup", proc) == expected


def test_no_cgroup_v2_falls_back_to_the_unit_limit(tmp_path: Path) -> None:
    proc = tmp_path / "cgroup"
    proc.write_text("12:memory:/foo\n")  # cgroup v1 only
    assert cgroup_memory_limit(tmp_path, proc) is None
    assert cgroup_memory_limit(tmp_path, tmp_path / "missing") is None
    assert Limits.detect(tmp_path, proc).memory_budget == SERVICE_MEMORY_MAX


class StepClock:
    def __init__(self) -> None:
        self.mono = 0.0
        self.wall = datetime(2025, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self.wall + timedelta(seconds=self.mono)

    def monotonic(self) -> float:
        return self.mono

    async def sleep(self, seconds: float) -> None:
        self.mono += seconds
        await asyncio.sleep(0)


class Memory(NamedTuple):
    rss: int


class Times(NamedTuple):
    user: float
    system: float


class ScriptedProcess:
    """Stands in for the OS's view of the daemon: RSS and CPU seconds the test sets."""

    def __init__(self) -> None:
        self.rss = 10 * MIB
        self.cpu = 0.0
        self.fail = False

    @contextmanager
    def oneshot(self) -> Iterator[None]:
        yield

    def memory_info(self) -> Memory:
        if self.fail:
            raise psutil.AccessDenied()
        return Memory(self.rss)

    def cpu_times(self) -> Times:
        return Times(self.cpu, 0.0)


class CountingLever:
    name = "counting"

    def __init__(self) -> None:
        self.sheds = 0

    def shed(self) -> bool:
        self.sheds += 1
        return True

    def restore(self) -> None:
        pass


class ListSink:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def emit(self, event: Event) -> None:
        self.events.append(event)


def _footprint(holder: Holder) -> tuple[Footprint, ScriptedProcess, ListSink, StepClock]:
    process, sink, clock = ScriptedProcess(), ListSink(), StepClock()
    footprint = Footprint(
        sink=sink,
        stamp=Stamper(host_id="h" * 32),
        clock=clock,
        levers=[CaptureLevelLever(holder)],
        limits=LIMITS,
        process=process,  # type: ignore[arg-type]
    )
    return footprint, process, sink, clock


def test_sheds_under_memory_pressure_and_restores_after_it() -> None:
    holder = Holder(CaptureLevel.FULL)
    footprint, process, sink, clock = _footprint(holder)
    footprint.tick()
    assert footprint.statistics()["state"] == "ok"
    assert not sink.events
    process.rss = 90 * MIB
    clock.mono += 5
    footprint.tick()
    stats: dict[str, Any] = dict(footprint.statistics())
    assert stats["state"] == "shedding"
    assert stats["shed"] == ["reclaim_memory", "capture_full_to_redacted"]
    assert holder.level is CaptureLevel.REDACTED
    [shed] = sink.events
    assert isinstance(shed, InternalError)
    assert (shed.component, shed.error, shed.severity) == ("footprint", "ResourcePressure", Severity.MEDIUM)
    assert "90 MiB" in shed.message
    assert "capture_full_to_redacted" in shed.message
    process.rss = 60 * MIB  # below the shed line, above the recovery line: stays shed
    clock.mono += 5
    footprint.tick()
    assert footprint.shedding
    assert len(sink.events) == 1
    process.rss = 20 * MIB
    clock.mono += 5
    footprint.tick()
    assert not footprint.shedding
    assert holder.level is CaptureLevel.FULL
    assert [e.error for e in sink.events if isinstance(e, InternalError)] == [
        "ResourcePressure",
        "ResourcePressureCleared",
    ]
    assert footprint.statistics()["sheds"] == 1
    assert "recovered" in str(footprint.statistics()["last_change"])


def test_cpu_is_measured_between_samples_and_sheds_when_sustained() -> None:
    footprint, process, _, clock = _footprint(Holder(CaptureLevel.REDACTED))
    footprint.tick()
    for _ in range(3):
        clock.mono += 5
        process.cpu += 4.75  # 95% of one core
        footprint.tick()
    assert footprint.statistics()["cpu_percent"] == 95.0
    assert footprint.shedding
    assert footprint.statistics()["shed"] == ["reclaim_memory"]


def test_a_process_that_cannot_be_sampled_changes_nothing() -> None:
    footprint, process, sink, _ = _footprint(Holder(CaptureLevel.FULL))
    process.fail = True
    footprint.tick()
    assert footprint.statistics()["rss_bytes"] is None
    assert not sink.events


def test_samples_the_real_process() -> None:
    footprint = Footprint(sink=ListSink(), stamp=Stamper(host_id="h" * 32), clock=StepClock(), limits=LIMITS)
    sample = footprint.sample()
    assert sample.rss > MIB
    assert sample.cpu_percent == 0.0  # no previous sample yet


async def test_serve_samples_at_once_then_hands_start_up_heap_back() -> None:
    process, clock, reclaim = ScriptedProcess(), StepClock(), CountingLever()
    footprint = Footprint(
        sink=ListSink(),
        stamp=Stamper(host_id="h" * 32),
        clock=clock,
        limits=LIMITS,
        process=process,  # type: ignore[arg-type]
        reclaim=reclaim,
    )
    task = asyncio.create_task(footprint.serve())
    await asyncio.sleep(0)  # serve runs up to its first sleep
    assert footprint.statistics()["rss_bytes"] == 10 * MIB
    assert reclaim.sheds == 0
    for _ in range(3):  # each StepClock.sleep yields once: serve advances one step per yield
        await asyncio.sleep(0)
    task.cancel()
    assert reclaim.sheds == 1  # once after start-up, not on every sample
