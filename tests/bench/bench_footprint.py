"""Daemon footprint: RSS and CPU of a real `agentd run` at idle and under 10 agent requests per
second, next to bare mitmproxy in agentd's embedding (the baseline, same window, same load);
and `agentd status` wall time next to `python -c pass`.

Targets: idle RSS <= 150 MB, idle CPU <= 1% of a core, `agentd status` <= 300 ms.
"""

import http.client
import json
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from agentd.clock import SystemClock
from agentd.demo.model import FOLLOW_UP
from agentd.demo.pki import make_pki
from agentd.demo.upstream import LocalUpstream

RATE = 10.0  # agent requests per second, per proxy
SETTLE_SECONDS = 10.0
MB = 1_000_000


@dataclass
class _Proxy:
    name: str
    port: int
    ca: Path
    process: psutil.Process
    errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def failed(self) -> None:
        with self.lock:
            self.errors += 1


@dataclass
class _Window:
    cpu_percent: float
    rss_max: int
    rss_end: int
    requests: int = 0
    errors: int = 0


@dataclass
class _Watch:
    """Samples one process's RSS every second while a window runs."""

    process: psutil.Process
    rss: list[int] = field(default_factory=list)

    def cpu_seconds(self) -> float:
        times = self.process.cpu_times()
        return times.user + times.system + times.children_user + times.children_system


def _measure(proxies: list[_Proxy], seconds: float, upstream_port: int | None) -> dict[str, _Window]:
    """CPU share and RSS of each proxy over ``seconds``; with ``upstream_port``, under load."""
    watches = {p.name: _Watch(p.process) for p in proxies}
    before = {name: w.cpu_seconds() for name, w in watches.items()}
    errors_before = {p.name: p.errors for p in proxies}
    stop = threading.Event()
    counts: dict[str, int] = {p.name: 0 for p in proxies}

    def drive() -> None:
        # Requests start on a fixed schedule, each on a worker: a slow answer does not lower
        # the rate (an agent fleet does not wait for agentd either).
        start, slot = time.monotonic(), 0
        with ThreadPoolExecutor(max_workers=16) as pool:
            while not stop.is_set():
                for proxy in proxies:
                    pool.submit(_request, proxy, upstream_port or 0)
                    counts[proxy.name] += 1
                slot += 1
                delay = start + slot / RATE - time.monotonic()
                if delay > 0:
                    stop.wait(delay)  # pacing to the target rate, not synchronisation

    driver = threading.Thread(target=drive, daemon=True) if upstream_port else None
    started = time.monotonic()
    if driver:
        driver.start()
    while time.monotonic() - started < seconds:
        for watch in watches.values():
            watch.rss.append(watch.process.memory_info().rss)
        time.sleep(1.0)  # the sampling interval
    stop.set()
    if driver:
        driver.join(30)
    elapsed = time.monotonic() - started
    return {
        p.name: _Window(
            cpu_percent=100 * (watches[p.name].cpu_seconds() - before[p.name]) / elapsed,
            rss_max=max(watches[p.name].rss),
            rss_end=watches[p.name].rss[-1],
            requests=counts[p.name],
            errors=p.errors - errors_before[p.name],
        )
        for p in proxies
    }


_BODY = json.dumps(
    {
        "model": "claude-sonnet-4-5",
        "max_tokens": 1024,
        "stream": True,
        "tools": [{"name": "Bash", "description": "Run a command.", "input_schema": {"type": "object"}}],
        "messages": [{"role": "user", "content": [{"type": "text", "text": FOLLOW_UP}]}],
    }
).encode()


def _request(proxy: _Proxy, upstream_port: int) -> None:
    """One Claude-Code-shaped streamed request (the model answers with a Bash call)."""
    connection = http.client.HTTPSConnection(
        "127.0.0.1", proxy.port, timeout=30, context=ssl.create_default_context(cafile=str(proxy.ca))
    )
    connection.set_tunnel("localhost", upstream_port)
    try:
        connection.request(
            "POST",
            "/v1/messages",
            _BODY,
            {
                "content-type": "application/json",
                "user-agent": "claude-cli/2.0.0 (bench)",
                "x-api-key": "bench",
            },
        )
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            proxy.failed()
    except (OSError, http.client.HTTPException):
        proxy.failed()
    finally:
        connection.close()


def _wall_ms(argv: list[str], env: dict[str, str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, env=env, capture_output=True, check=False)
        times.append((time.perf_counter() - start) * 1000)
    return times


def run(quick: bool) -> list[str]:
    from tests.support.agentd_env import make_home

    seconds = 10.0 if quick else 60.0
    stack: list[Callable[[], Any]] = []
    with tempfile.TemporaryDirectory(prefix="agentd-bench-footprint-") as tmp:
        root = Path(tmp)
        try:
            pki = make_pki(root / "pki", SystemClock().now())
            upstream = LocalUpstream(pki, "/nowhere/.aws/credentials").__enter__()
            stack.append(lambda: upstream.__exit__(None, None, None))
            bare_process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.bench.bench_proxy",
                    "--serve-bare",
                    str(root / "bare"),
                    str(pki.ca_cert),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            stack.append(lambda: (bare_process.stdin and bare_process.stdin.close(), bare_process.wait(30)))
            line = bare_process.stdout.readline() if bare_process.stdout else ""
            if not line.startswith("PORT "):
                raise RuntimeError("the bare mitmproxy process did not start")
            (root / "agentd").mkdir()
            home = make_home(root / "agentd")
            home.config.write_text(
                home.config.read_text().replace(
                    "[proxy]\n",
                    f'[proxy]\nintercept_hosts = ["localhost:{upstream.port}"]\n'
                    f'upstream_ca = "{pki.ca_cert}"\n',
                )
            )
            daemon = home.start_daemon()
            stack.append(lambda: daemon.__exit__(None, None, None))
            listen = daemon.status()["proxy"]["listen"]
            cert = Path("ca") / "mitmproxy-ca-cert.pem"
            proxies = [
                _Proxy(
                    "bare mitmproxy",
                    int(line.split()[1]),
                    root / "bare" / cert,
                    psutil.Process(bare_process.pid),
                ),
                _Proxy(
                    "agentd",
                    int(listen.rsplit(":", 1)[1]),
                    home.state_dir / cert,
                    psutil.Process(daemon.process.pid),
                ),
            ]
            for proxy in proxies:  # warm both up (certificates, first-use imports)
                _request(proxy, upstream.port)
            # Idle means steady state: start-up work (first checks, the one-time heap
            # reclaim) is over before the window opens.
            time.sleep(SETTLE_SECONDS)
            idle = _measure(proxies, seconds, None)
            loaded = _measure(proxies, seconds, upstream.port)
            runs = 5 if quick else 20
            env = home.env()
            status_ms = _wall_ms([sys.executable, "-m", "agentd", "status", "--json"], env, runs)
            rich_ms = _wall_ms([sys.executable, "-m", "agentd", "status"], env, runs)
            pass_ms = _wall_ms([sys.executable, "-c", "pass"], env, runs)
            footprint = daemon.status().get("footprint", {})
        finally:
            for close in reversed(stack):
                close()
    ours, base = idle["agentd"], idle["bare mitmproxy"]
    under, under_base = loaded["agentd"], loaded["bare mitmproxy"]
    status_median, pass_median = statistics.median(status_ms), statistics.median(pass_ms)
    load = os.getloadavg()[0]
    return [
        f"Windows of {seconds:g} s; load {RATE:g} req/s per proxy "
        "(streamed Messages reply with a Bash tool call).",
        "",
        "| | idle RSS (max / end) | idle CPU | RSS under load (max) | CPU under load | requests | errors |",
        "|---|---|---|---|---|---|---|",
        *(
            f"| {name} | {idle[name].rss_max / MB:.0f} / {idle[name].rss_end / MB:.0f} MB "
            f"| {idle[name].cpu_percent:.2f}% "
            f"| {loaded[name].rss_max / MB:.0f} MB | {loaded[name].cpu_percent:.1f}% "
            f"| {loaded[name].requests} | {loaded[name].errors} |"
            for name in ("bare mitmproxy", "agentd")
        ),
        "",
        f"- agentd adds {(ours.rss_max - base.rss_max) / MB:.0f} MB RSS at idle and "
        f"{under.cpu_percent - under_base.cpu_percent:.1f} points of CPU under load over bare mitmproxy.",
        f"- idle RSS {ours.rss_max / MB:.0f} MB: target <= 150 MB "
        f"{'met' if ours.rss_max <= 150 * MB else 'NOT met'}; idle CPU {ours.cpu_percent:.2f}%: target <= 1% "
        f"{'met' if ours.cpu_percent <= 1 else 'NOT met'}.",
        f"- `agentd status --json` median {status_median:.0f} ms "
        f"(rich form {statistics.median(rich_ms):.0f} ms) vs `python -c pass` {pass_median:.0f} ms: "
        f"target <= 300 ms {'met' if status_median <= 300 else 'NOT met'}.",
        f"- self-protection: {footprint.get('state')} "
        f"(sheds above {int(footprint.get('shed_at_bytes', 0)) // 2**20} MiB).",
        f"- load average {load:.1f} on {os.cpu_count()} CPUs"
        + ("; quick mode: short windows, noisy." if quick else "."),
    ]


if __name__ == "__main__":
    print("\n".join(run("--quick" in sys.argv)))
