"""What the end-to-end tests share: the pinned agent CLIs from tests/e2e/package.json."""

from pathlib import Path

import pytest

E2E = Path(__file__).parent


@pytest.fixture(scope="session")
def claude_cli() -> Path:
    """The pinned Claude Code CLI; `.ci/bootstrap --test` installs it (npm ci in tests/e2e)."""
    path = E2E / "node_modules" / ".bin" / "claude"
    if not path.exists():
        raise RuntimeError(f"{path} is missing: run `.ci/bootstrap --test` (npm ci --prefix tests/e2e)")
    return path
