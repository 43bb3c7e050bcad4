"""Print precision and recall per rule family over the labelled corpus.

.venv/bin/python -m tests.detect.corpus [--engine re] [--verbose]
"""

import sys

from agentd.detect import Scanner
from tests.detect.corpus import build, evaluate


def main(argv: list[str]) -> int:
    engine = "re" if "--engine" in argv and argv[argv.index("--engine") + 1] == "re" else "hyperscan"
    scanner = Scanner.build(b"corpus-fingerprint-key", engine=engine)
    documents = build()
    positives = sum(len(d.labels) for d in documents)
    negatives = sum(1 for d in documents if not d.labels)
    scores = evaluate(scanner, documents)
    print(f"corpus: {len(documents)} documents, {positives} labelled positives, {negatives} hard negatives")
    print(f"engine: {scanner.engine}\n")
    print(f"{'family':<12} {'TP':>5} {'FP':>5} {'FN':>5} {'precision':>10} {'recall':>8}")
    for family in sorted(scores, key=lambda name: (name == "all", name)):
        s = scores[family]
        print(
            f"{family:<12} {s.true_positives:>5} {s.false_positives:>5} {s.false_negatives:>5} "
            f"{s.precision:>10.3f} {s.recall:>8.3f}"
        )
    if "--verbose" in argv:
        for line in scores["all"].misses:
            print("MISS", line)
        for line in scores["all"].false_alarms:
            print("FALSE", line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
