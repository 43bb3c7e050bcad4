"""Proxy overhead: a Claude-Code-shaped session through bare mitmproxy and through agentd.

The same session (system prompt and 25 tool definitions, growing each turn by a tool call and
its result, from ~80 KB to ~1 MB per request, SSE responses) goes through (a) bare mitmproxy
in agentd's embedding without the addon and (b) a real `agentd run`, alternating request by
request so both see the same machine load. Reported per request size: median and p95 latency
agentd adds, time to the first streamed byte, and the bytes agentd parsed and scanned per turn.
"""

import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

TURNS = 30
TOOL_COUNT = 25
SYSTEM_CHARS = 16_000
RESULT_CHARS = 31_000
BUCKETS = ((0, 6), (6, 12), (12, 18), (18, 24), (24, 30))

_WORDS = (
    "def",
    "return",
    "self",
    "import",
    "class",
    "value",
    "request",
    "response",
    "stream",
    "session",
    "tool",
    "call",
    "result",
    "file",
    "path",
    "line",
    "error",
    "token",
    "model",
    "message",
    "content",
    "block",
    "index",
    "event",
    "data",
    "json",
    "async",
    "await",
    "config",
    "proxy",
    "agent",
    "policy",
    "scan",
    "finding",
    "queue",
    "buffer",
    "bytes",
    "header",
    "status",
)


def _text(rng: random.Random, chars: int) -> str:
    words: list[str] = []
    size = 0
    while size < chars:
        word = rng.choice(_WORDS)
        words.append(word + ("\n" if rng.random() < 0.08 else " "))
        size += len(word) + 1
    return "".join(words)[:chars]


def _tools(rng: random.Random) -> list[dict[str, Any]]:
    return [
        {
            "name": f"Tool{i}" if i else "Bash",
            "description": _text(rng, 1400 + rng.randrange(1200)),
            "input_schema": {
                "type": "object",
                "properties": {
                    f"arg{j}": {"type": "string", "description": _text(rng, 80)} for j in range(4)
                },
                "required": ["arg0"],
            },
        }
        for i in range(TOOL_COUNT)
    ]


class Session:
    """One conversation, resent in full every turn like Claude Code does."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(seed)
        self.rng = rng
        self.system = [
            {"type": "text", "text": "x-anthropic-billing-header: bench"},
            {"type": "text", "text": _text(rng, SYSTEM_CHARS)},
        ]
        self.tools = _tools(rng)
        self.messages: list[dict[str, Any]] = [
            {"role": "user", "content": [{"type": "text", "text": "Refactor the proxy module, please."}]}
        ]
        self.new_chars = len("Refactor the proxy module, please.")

    def body(self) -> bytes:
        doc = {
            "model": "claude-sonnet-4-5",
            "max_tokens": 32000,
            "stream": True,
            "system": self.system,
            "tools": self.tools,
            "messages": self.messages,
        }
        return json.dumps(doc).encode()

    def advance(self, turn: int) -> None:
        call_id = f"toolu_bench_{turn:03d}"
        command = f"cat src/module_{turn}.py"
        result = _text(self.rng, RESULT_CHARS)
        self.messages.append(
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Let me look at the next file."},
                    {"type": "tool_use", "id": call_id, "name": "Bash", "input": {"command": command}},
                ],
            }
        )
        self.messages.append(
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call_id, "content": result}]}
        )
        self.new_chars = len(result)


@dataclass
class Sample:
    turn: int
    size: int
    total_ms: float
    ttfb_ms: float
    cpu_ms: float  # CPU the proxy process spent on this request (user + system, all threads)


def _measure(conn: Any, host: str, body: bytes, session_id: str) -> tuple[float, float]:
    first: list[float] = []
    start = time.perf_counter()
    response = conn.request(
        "POST",
        host,
        "/v1/messages?beta=true",
        body,
        {
            "content-type": "application/json",
            "x-claude-code-session-id": session_id,
            "user-agent": "claude-cli/2.1.197 (external, sdk-cli)",
        },
        on_chunk=lambda _chunk: first or first.append(time.perf_counter()),
    )
    end = time.perf_counter()
    assert response.status == 200, response.status
    return (end - start) * 1000, (first[0] - start) * 1000


def _serve_bare(root: Path, upstream_ca: Path) -> None:
    """The baseline process: agentd's mitmproxy embedding with no addon, port on stdout."""
    from agentd.capture.proxy.ca import CertificateAuthority
    from agentd.capture.proxy.server import ProxyServer
    from agentd.config import ProxySettings

    async def main() -> None:
        settings = ProxySettings(listen_port=0, intercept_hosts=("localhost",), upstream_ca=upstream_ca)
        server = ProxyServer(settings, CertificateAuthority(root / "ca"), None)
        task = asyncio.ensure_future(server.serve())
        await server.ready.wait()
        print(f"PORT {server.port}", flush=True)
        await asyncio.to_thread(sys.stdin.read)  # until the bench closes our stdin
        task.cancel()

    asyncio.run(main())


@dataclass
class _Proxy:
    name: str
    port: int
    ca: Path
    pid: int

    def cpu_ms(self) -> float:
        """CPU time of every thread of the process so far: schedstat's nanoseconds on Linux
        (clock ticks are 10 ms, too coarse for one request), psutil elsewhere."""
        tasks = Path(f"/proc/{self.pid}/task")
        if tasks.is_dir():
            total = 0
            for task in tasks.iterdir():
                try:
                    total += int((task / "schedstat").read_text().split()[0])
                except (OSError, ValueError, IndexError):
                    continue  # a thread that just exited
            return total / 1e6
        times = psutil.Process(self.pid).cpu_times()
        return (times.user + times.system) * 1000


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


THINK_MS = (0, 150)
"""The upstream's time to first token: 0 puts everything agentd does on the critical path (worst
case); 150 ms is still far below a real model's, and shows what deferring the request's reading
to after it is forwarded buys."""

_think = threading.Event()  # set: the upstream waits THINK_MS[1] before answering


def _upstream_script(request: Any) -> Any:
    from tests.support.upstreams import Reply, Text, ToolUse, anthropic_events

    turn = len(request.json()["messages"]) // 2
    if _think.is_set():
        time.sleep(THINK_MS[1] / 1000)  # the model thinking, in the benchmark's own upstream
    return Reply.sse(
        anthropic_events(
            [
                Text("Let me look at the next file."),
                ToolUse(f"toolu_bench_{turn:03d}", "Bash", {"command": f"cat src/module_{turn}.py"}),
            ]
        )
    )


@dataclass
class _Stack:
    bare: _Proxy
    agentd: _Proxy
    upstream_port: int
    daemon: Any


def _start(root: Path, stack: list[Any]) -> _Stack:
    from tests.support.agentd_env import make_home
    from tests.support.upstreams import Upstream, make_pki

    pki = make_pki(root / "pki")
    upstream = Upstream(_upstream_script, pki).__enter__()
    stack.append(upstream.__exit__)
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
    stack.append(lambda *_: (bare_process.stdin and bare_process.stdin.close(), bare_process.wait(30)))
    line = bare_process.stdout.readline() if bare_process.stdout else ""
    if not line.startswith("PORT "):
        raise RuntimeError("the bare mitmproxy process did not start")
    (root / "agentd").mkdir()
    home = make_home(root / "agentd")
    home.config.write_text(
        home.config.read_text().replace(
            "[proxy]\n", f'[proxy]\nintercept_hosts = ["localhost"]\nupstream_ca = "{pki.ca_cert}"\n'
        )
    )
    daemon = home.start_daemon()
    stack.append(daemon.__exit__)
    listen = daemon.status()["proxy"]["listen"]
    cert = Path("ca") / "mitmproxy-ca-cert.pem"
    return _Stack(
        bare=_Proxy("bare", int(line.split()[1]), root / "bare" / cert, bare_process.pid),
        agentd=_Proxy(
            "agentd",
            int(listen.rsplit(":", 1)[1]),
            home.state_dir / cert,
            daemon.process.pid,
        ),
        upstream_port=upstream.port,
        daemon=daemon,
    )


def _pipeline_stats(daemon: Any) -> dict[str, Any]:
    stats: dict[str, Any] = daemon.status()["proxy"]["pipeline"]
    return stats


def _session(stack: _Stack, rep: int, samples: dict[str, list[Sample]], parsed: list[Any]) -> None:
    import ssl

    from tests.support.clients import Connection, tls_through

    session = Session(seed=rep)
    session_id = f"bench-{rep}-{time.monotonic_ns()}"
    conns = {
        proxy.name: Connection(
            tls_through(
                proxy.port, "localhost", stack.upstream_port, ssl.create_default_context(cafile=str(proxy.ca))
            )
        )
        for proxy in (stack.bare, stack.agentd)
    }
    host = f"localhost:{stack.upstream_port}"
    for turn in range(TURNS):
        body = session.body()
        before = _pipeline_stats(stack.daemon)["chars_scanned"]
        proxies = {"bare": stack.bare, "agentd": stack.agentd}
        cpu_before = {name: proxy.cpu_ms() for name, proxy in proxies.items()}
        order = ("bare", "agentd") if turn % 2 == 0 else ("agentd", "bare")
        timings = {name: _measure(conns[name], host, body, f"{session_id}-{name}") for name in order}
        for name, (total, ttfb) in timings.items():
            cpu = proxies[name].cpu_ms() - cpu_before[name]
            samples[name].append(Sample(turn, len(body), total, ttfb, cpu))
        scanned = _pipeline_stats(stack.daemon)["chars_scanned"] - before
        parsed.append((turn, len(body), session.new_chars, scanned))
        session.advance(turn)
    for conn in conns.values():
        conn.close()


def run(quick: bool) -> list[str]:
    reps = 1 if quick else 4
    lines: list[str] = []
    cleanup: list[Any] = []
    with tempfile.TemporaryDirectory(prefix="bench-proxy-") as tmp:
        try:
            stack = _start(Path(tmp), cleanup)
            for think in THINK_MS:
                if think:
                    _think.set()
                else:
                    _think.clear()
                samples: dict[str, list[Sample]] = {"bare": [], "agentd": []}
                parsed: list[tuple[int, int, int, int]] = []  # (turn, body bytes, new chars, chars scanned)
                for rep in range(reps):
                    _session(stack, rep + 100 * think, samples, parsed)
                lines += _report(samples, parsed, reps, quick, think)
        finally:
            _think.clear()
            for close in reversed(cleanup):
                close(None, None, None)
    return lines


def _report(
    samples: dict[str, list[Sample]],
    parsed: list[tuple[int, int, int, int]],
    reps: int,
    quick: bool,
    think: int,
) -> list[str]:
    lines = [
        f"### upstream time to first token: {think} ms",
        "",
        f"{TURNS} turns x {reps} session(s), requests alternate between bare mitmproxy and `agentd run` "
        "(same embedding, same upstream, keep-alive TLS through CONNECT). Times in ms.",
        "",
        "| turns | request KB | bare median | agentd median | added median | added p95 "
        "| TTFB bare | TTFB agentd | TTFB added | CPU bare | CPU agentd |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    worst_median = worst_ttfb = 0.0
    for low, high in BUCKETS:
        bare = [s for s in samples["bare"] if low <= s.turn < high]
        ours = [s for s in samples["agentd"] if low <= s.turn < high]
        added = [o.total_ms - b.total_ms for o, b in zip(ours, bare, strict=True)]
        ttfb_added = [o.ttfb_ms - b.ttfb_ms for o, b in zip(ours, bare, strict=True)]
        size = statistics.mean(s.size for s in ours) / 1024
        median_added = statistics.median(added)
        median_ttfb_added = statistics.median(ttfb_added)
        if high == TURNS:
            worst_median, worst_ttfb = median_added, median_ttfb_added
        lines.append(
            f"| {low + 1}-{high} | {size:.0f} | {statistics.median(s.total_ms for s in bare):.1f} "
            f"| {statistics.median(s.total_ms for s in ours):.1f} | {median_added:.1f} "
            f"| {_percentile(added, 0.95):.1f} | {statistics.median(s.ttfb_ms for s in bare):.1f} "
            f"| {statistics.median(s.ttfb_ms for s in ours):.1f} | {median_ttfb_added:.1f} "
            f"| {statistics.median(s.cpu_ms for s in bare):.1f} "
            f"| {statistics.median(s.cpu_ms for s in ours):.1f} |"
        )
    if think:
        return [*lines, *_verdict(worst_median, worst_ttfb, quick), ""]
    lines += [
        "",
        "Work per turn (first session): the body agentd parses grows with the history; what it scans "
        "and records is the turn's new content only.",
        "",
        "| turn | body KB | new content chars | chars scanned by agentd |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {turn + 1} | {size / 1024:.0f} | {new} | {scanned} |"
        for turn, size, new, scanned in parsed[:TURNS]
        if turn in (0, 1, 2, 9, 19, 29)
    ]
    return [*lines, *_verdict(worst_median, worst_ttfb, quick), ""]


def _verdict(median: float, ttfb: float, quick: bool) -> list[str]:
    load = os.getloadavg()[0]
    return [
        "",
        f"Targets at ~1 MB (turns 25-30): median added {median:.1f} ms (target <= 10): "
        f"{'met' if median <= 10 else 'NOT met'}; TTFB added {ttfb:.1f} ms (target <= 2 over bare): "
        f"{'met' if ttfb <= 2 else 'NOT met'}. Load average during the run: {load:.1f} on "
        f"{os.cpu_count()} CPUs." + (" Quick mode: one session, numbers are noisy." if quick else ""),
    ]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve-bare"]:
        _serve_bare(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        print("\n".join(run("--quick" in sys.argv)))
