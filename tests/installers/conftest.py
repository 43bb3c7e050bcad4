"""The .deb, built once per test session from this checkout (zstd: fast to compress, and
what the CI machine's dpkg reads). AGENTD_TEST_DEB=path reuses a package built earlier."""

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def deb_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    prebuilt = os.environ.get("AGENTD_TEST_DEB")
    if prebuilt:
        return Path(prebuilt)
    out = tmp_path_factory.mktemp("deb")
    result = subprocess.run(
        [str(REPO / "installers" / "linux" / "build-deb.sh"), "--out", str(out)],
        env={**os.environ, "AGENTD_DEB_COMPRESSION": "zstd", "AGENTD_BUILD_DIR": str(out / "staging")},
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert result.returncode == 0, f"build-deb.sh failed:\n{result.stderr[-4000:]}"
    package = Path(result.stdout.strip().splitlines()[-1])
    assert package.is_file()
    return package


@pytest.fixture(scope="session")
def bundled_python_prefix() -> str:
    """The prefix of the interpreter the package bundles, which the install test hides."""
    return subprocess.run(
        [str(REPO / ".venv" / "bin" / "python"), "-c", "import sys; print(sys.base_prefix)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
