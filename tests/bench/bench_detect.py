"""Scanner throughput and memory: agentd against detect-secrets (and credsweeper) on the same files.

A mixed corpus (source code, JSON tool payloads, logs, prose, with planted secrets) is generated
at run time: 50 MB, or 5 MB with --quick. Each tool runs in its own child process so its peak
memory is its own. detect-secrets and credsweeper scan a sample of the files and their rate is
extrapolated (they run at well under 1 MB/s; the full corpus would take minutes to hours).

    .venv/bin/python -m tests.bench detect [--quick]
"""

import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.detect.corpus import contexts
from tests.support.secrets import SAMPLES

FILE_BYTES = 256 * 1024
PLANT_EVERY = 24 * 1024
_WORD_TEXT = (
    "the agent reads the file and runs the tests before it opens a pull request with a "
    "summary of changes while the reviewer checks the diff for regressions in the parser and "
    "the cache layer configuration deploy service request response handler module function "
    "value result error"
)
_WORDS = _WORD_TEXT.split()


def _source(rng: random.Random) -> str:
    name = "_".join(rng.choices(_WORDS, k=2))
    args = ", ".join(rng.sample(_WORDS, 3))
    return (
        f"def {name}({args}):\n"
        f'    """{" ".join(rng.choices(_WORDS, k=12))}."""\n'
        f"    if {rng.choice(_WORDS)} is None:\n"
        f'        raise ValueError("{" ".join(rng.choices(_WORDS, k=5))}")\n'
        f"    return [{rng.choice(_WORDS)}.get(k, {rng.randint(0, 999)})"
        f" for k in range({rng.randint(1, 64)})]\n\n"
    )


def _payload(rng: random.Random) -> str:
    content = "\\n".join(
        f"{rng.choice(_WORDS)}/{rng.choice(_WORDS)}.py:{rng.randint(1, 900)}" for _ in range(6)
    )
    return (
        json.dumps(
            {"type": "tool_result", "tool_use_id": f"toolu_{rng.getrandbits(64):016x}", "content": content}
        )
        + "\n"
    )


def _log(rng: random.Random) -> str:
    return (
        f"2024-05-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:07Z "
        f"{rng.choice(('INFO', 'WARN', 'DEBUG'))} worker-{rng.randint(1, 9)} "
        f"request_id={rng.getrandbits(128):032x} path=/api/{rng.choice(_WORDS)} "
        f"status={rng.choice((200, 404, 500))} "
        f"duration_ms={rng.randint(1, 3000)}\n"
    )


def _prose(rng: random.Random) -> str:
    return " ".join(rng.choices(_WORDS, k=rng.randint(40, 90))).capitalize() + ".\n\n"


def generate(root: Path, total_bytes: int) -> tuple[list[Path], int]:
    """Files of mixed content under ``root``; returns them and the number of planted secrets."""
    rng = random.Random(4)
    rule_ids = sorted(SAMPLES)
    makers = (_source, _payload, _log, _prose)
    files, planted, written = [], 0, 0
    while written < total_bytes:
        parts: list[str] = []
        size = next_plant = 0
        while size < FILE_BYTES:
            chunk = rng.choice(makers)(rng)
            if size >= next_plant:
                sample = SAMPLES[rng.choice(rule_ids)](f"bench{planted}")
                text, _, _, _ = contexts.plant(sample, planted)
                chunk += text + "\n"
                planted += 1
                next_plant += PLANT_EVERY
            parts.append(chunk)
            size += len(chunk)
        path = root / f"part{len(files):04d}.txt"
        path.write_text("".join(parts))
        files.append(path)
        written += path.stat().st_size
    return files, planted


def _max_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _current_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return _max_rss_mb()


def _child_agentd(files: list[Path]) -> dict[str, Any]:
    import agentd.detect

    before = _current_rss_mb()
    started = time.perf_counter()
    scanner = agentd.detect.Scanner.build(b"benchmark-fingerprint-key")
    build_seconds = time.perf_counter() - started
    after_build = _current_rss_mb()
    texts = [path.read_text() for path in files]
    loaded = _current_rss_mb()
    findings = secrets_found = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    for path, text in zip(files, texts, strict=True):
        found = scanner.scan(text, str(path))
        findings += len(found)
        secrets_found += sum(1 for f in found if f.kind == "secret")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    short = "please run the failing test in tests/test_parser.py and summarise what broke " * 2
    calls = 20_000
    cpu_started = time.process_time()
    for _ in range(calls):
        scanner.scan(short, "messages[0].content")
    per_call_us = (time.process_time() - cpu_started) / calls * 1e6
    return {
        "seconds": seconds,
        "cpu": cpu,
        "bytes": sum(len(t.encode()) for t in texts),
        "findings": findings,
        "secrets": secrets_found,
        "peak_mb": _max_rss_mb(),
        "scanner_mb": after_build - before,
        "scan_peak_mb": _max_rss_mb() - loaded + (after_build - before),
        "build_seconds": build_seconds,
        "short_call_us": per_call_us,
        "engine": scanner.engine,
    }


def _child_detect_secrets(files: list[Path]) -> dict[str, Any]:
    from detect_secrets import SecretsCollection
    from detect_secrets.settings import default_settings

    started, cpu_started = time.perf_counter(), time.process_time()
    with default_settings():
        collection = SecretsCollection()
        for path in files:
            collection.scan_file(str(path))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    findings = sum(len(found) for _, found in collection.data.items())
    return {
        "seconds": seconds,
        "cpu": cpu,
        "bytes": sum(p.stat().st_size for p in files),
        "findings": findings,
        "peak_mb": _max_rss_mb(),
    }


def _child_credsweeper(files: list[Path]) -> dict[str, Any]:
    from credsweeper.app import CredSweeper
    from credsweeper.file_handler.files_provider import FilesProvider

    started, cpu_started = time.perf_counter(), time.process_time()
    sweeper = CredSweeper()
    sweeper.run(content_provider=FilesProvider([str(p) for p in files]))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return {
        "seconds": seconds,
        "cpu": cpu,
        "bytes": sum(p.stat().st_size for p in files),
        "findings": len(sweeper.credential_manager.get_credentials()),
        "peak_mb": _max_rss_mb(),
    }


_CHILDREN = {
    "agentd": _child_agentd,
    "detect-secrets": _child_detect_secrets,
    "credsweeper": _child_credsweeper,
}


def _measure(tool: str, files: list[Path]) -> dict[str, Any] | str:
    """Run one tool in a child process; its result, or why it could not run."""
    command = [sys.executable, "-m", "tests.bench.bench_detect", tool, *map(str, files)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        return (result.stderr.strip().splitlines() or ["failed"])[-1]
    parsed: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return parsed


def _rate(result: dict[str, Any], clock: str = "cpu") -> float:
    """MB per second of ``clock``: CPU time of the scanning process (one core; the machine may be
    shared), or "seconds" of wall time."""
    return float(result["bytes"]) / float(result[clock]) / 1e6


def _row(name: str, result: dict[str, Any], ours: float, note: str) -> str:
    megabytes = float(result["bytes"]) / 1e6
    return (
        f"| {name} | {megabytes:.1f} MB | {float(result['cpu']):.2f} | {_rate(result):.2f} | "
        f"{_rate(result, 'seconds'):.2f} | {result['findings']} | {float(result['peak_mb']):.0f} MB | "
        f"{note or f'agentd is {ours / _rate(result):.0f}x faster (sample, extrapolated)'} |"
    )


def run(quick: bool) -> list[str]:
    total = 5_000_000 if quick else 50_000_000
    sample_bytes = 512 * 1024 if quick else 2 * 1024 * 1024
    with tempfile.TemporaryDirectory(prefix="agentd-bench-detect-") as tmp:
        files, planted = generate(Path(tmp), total)
        sample = files[: max(1, sample_bytes // FILE_BYTES)]
        ours = _measure("agentd", files)
        theirs = {name: _measure(name, sample) for name in ("detect-secrets", "credsweeper")}
    if isinstance(ours, str):
        return [f"agentd failed: {ours}"]
    rate = _rate(ours)
    corpus_mb = float(ours["bytes"]) / 1e6
    lines = [
        f"Corpus: {corpus_mb:.1f} MB in {len(files)} files (source, JSON tool payloads, logs, prose), "
        f"{planted} planted secrets. Rates are MB per CPU second of the scanning process (one core);",
        "wall-clock rates are shown too, since the machine is shared.",
        "",
        "| tool | scanned | CPU s | MB/s (CPU) | MB/s (wall) | findings | peak RSS | note |",
        "|---|---|---|---|---|---|---|---|",
        _row(f"agentd ({ours['engine']})", ours, rate, f"whole corpus; {ours['secrets']} secret findings"),
    ]
    for name, result in theirs.items():
        if isinstance(result, str):
            lines.append(f"| {name} | - | - | - | - | - | - | did not run: {result} |")
        else:
            lines.append(_row(name, result, rate, ""))
    lines += [""]
    for name, result in theirs.items():
        if not isinstance(result, str):
            lines.append(
                f"- {name} on the whole corpus would take about {corpus_mb / _rate(result):.0f} CPU s "
                f"(agentd: {float(ours['cpu']):.2f} s)."
            )
    lines += [
        f"- agentd scanner memory: {float(ours['scanner_mb']):.1f} MB after compiling the rules "
        f"({float(ours['build_seconds']):.2f} s), {float(ours['scan_peak_mb']):.1f} MB at peak while "
        "scanning (target <= 64 MB).",
        f"- A short message (160 chars) costs {float(ours['short_call_us']):.1f} µs of CPU per scan call.",
        f"- Target >= 100 MB/s on one core: {'met' if rate >= 100 else 'NOT met'} ({rate:.0f} MB/s).",
    ]
    return lines


if __name__ == "__main__":
    tool, *paths = sys.argv[1:]
    print(json.dumps(_CHILDREN[tool]([Path(p) for p in paths])))
