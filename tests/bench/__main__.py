"""Run the benchmarks and print one report: `.venv/bin/python -m tests.bench [NAME ...] [--quick]`.

Each benchmark module exposes `run(quick: bool) -> list[str]` (markdown lines) and compares
agentd against a baseline measured in the same run. The report is also written to
tests/bench/reports/latest.md.
"""

import importlib
import sys
import time
from pathlib import Path

BENCHMARKS: tuple[str, ...] = ("normalize", "watch", "proxy", "decide", "detect", "ship", "footprint")


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    names = [a for a in argv if not a.startswith("-")] or list(BENCHMARKS)
    lines = [f"# agentd benchmarks ({time.strftime('%Y-%m-%d %H:%M:%S')}, quick={quick})", ""]
    for name in names:
        module = importlib.import_module(f"tests.bench.bench_{name}")
        started = time.monotonic()
        lines += [f"## {name}", "", *module.run(quick), "", f"_{time.monotonic() - started:.1f}s_", ""]
        print("\n".join(lines[-6:]), flush=True)
    report = Path(__file__).parent / "reports" / "latest.md"
    report.parent.mkdir(exist_ok=True)
    report.write_text("\n".join(lines))
    print(f"\nreport written to {report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
