"""No file in the repository holds a live-looking secret: test secrets are assembled at run time.

Scans every tracked (and new, not ignored) file with the real scanner; the only secret findings
allowed are the fingerprints listed in ``repository_allowlist.txt`` with a reason each.
"""

import subprocess
from pathlib import Path

from agentd.detect import Scanner
from agentd.events import FindingKind
from tests.detect.conftest import KEY

ROOT = Path(__file__).resolve().parents[2]
ALLOWLIST = Path(__file__).with_name("repository_allowlist.txt")
MAX_BYTES = 8 * 1024 * 1024


def _repository_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    return [ROOT / name for name in listed.decode().split("\0") if name]


def _allowed() -> set[str]:
    lines = ALLOWLIST.read_text().splitlines() if ALLOWLIST.exists() else []
    return {line.split()[0] for line in lines if line.strip() and not line.startswith("#")}


def test_no_live_looking_secret_in_any_repository_file() -> None:
    scanner = Scanner.build(KEY, allowlist=_allowed())
    offenders = []
    files = _repository_files()
    assert any(path.name == "secrets.py" for path in files)
    for path in files:
        if not path.is_file() or path.stat().st_size > MAX_BYTES:
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue
        text = data.decode("utf-8", "surrogateescape")
        for finding in scanner.scan(text, str(path.relative_to(ROOT))):
            if finding.kind is FindingKind.SECRET:
                line = text.count("\n", 0, finding.start) + 1
                offenders.append(f"{finding.location}:{line} {finding.rule_id} {finding.fingerprint}")
    assert offenders == [], (
        "secret-shaped literals (build them at run time in tests/support/secrets.py):\n"
        + "\n".join(offenders)
    )
