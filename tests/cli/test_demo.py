import json
import re
from pathlib import Path

from tests.support.agentd_env import make_home


def test_the_newcomers_first_five_minutes(tmp_path: Path) -> None:
    # The user's own config must not matter: the demo runs its own throwaway daemon.
    home = make_home(tmp_path)
    result = home.run("demo", env=home.env(COLUMNS="200", NO_COLOR="1"), timeout=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for expected in (
        "What agentd saw",
        "claude-code",
        "A secret in the prompt",
        "secret.github.pat_classic",
        "GITHUB_TOKEN=[REDACTED:secret.github.pat_classic]",
        "A denied credential read",
        "DENY Read",
        "policy credential-file-read: agents may not read credential files",
        "the agent was told: [agentd]",
        "An alert",
        "Allowed  Bash",
        "What it would ship",
    ):
        assert expected in out, expected
    assert re.search(r"id [0-9A-Z]{26}", out), "the alert's id is shown"
    assert not re.search(r"gh" + r"p_[A-Za-z0-9]{36}", out), "the token itself is never printed"
    assert not home.state_dir.exists(), "the user's own state is untouched"


def test_json_summary(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    result = home.run("demo", "--json", timeout=120)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["session"]["agent"] == "claude-code"
    assert summary["findings"][0]["preview"].startswith("ghp_")
    assert summary["denied"][0]["policies"] == ["credential-file-read"]
    assert summary["alerts"][0]["id"] == summary["example"]["alert_id"]
    assert summary["events"]["tool_call"] == 2
