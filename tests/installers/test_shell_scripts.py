"""Every shell script that installs, starts or removes agentd passes shellcheck."""

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _scripts() -> list[Path]:
    found = []
    for path in sorted((REPO / "installers").rglob("*")):
        if not path.is_file():
            continue
        head = path.read_bytes()[:64]
        if (head.startswith(b"#!") and b"sh" in head.split(b"\n")[0]) or path.suffix == ".sh":
            found.append(path)
    return found


SCRIPTS = _scripts()


def test_the_scripts_are_found() -> None:
    names = {str(p.relative_to(REPO)) for p in SCRIPTS}
    for expected in (
        "installers/linux/build-deb.sh",
        "installers/linux/debian/postinst",
        "installers/linux/debian/prerm",
        "installers/linux/debian/postrm",
        "installers/linux/agentd-ca-trust",
        "installers/macos/scripts/postinstall",
        "installers/macos/build-pkg.sh",
        "installers/lib/runtime.sh",
    ):
        assert expected in names


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(REPO)))
def test_shellcheck(script: Path) -> None:
    result = subprocess.run(
        ["shellcheck", "--external-sources", str(script.relative_to(REPO))],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout
