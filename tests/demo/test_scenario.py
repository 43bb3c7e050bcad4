import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from agentd.demo.scenario import (
    PROMPT,
    DemoError,
    _config,
    _Daemon,
    _wait_for_proxy,
    _Workspace,
    demo_token,
    run_demo,
)


def test_demo_tokens_are_fresh_and_shaped_like_github_tokens() -> None:
    first, second = demo_token(), demo_token()
    assert first != second
    assert re.fullmatch(r"gh" + r"p_[A-Za-z0-9]{36}", first)


def test_the_config_isolates_the_demo_daemon(tmp_path: Path) -> None:
    work = _Workspace(tmp_path, tmp_path / "state", tmp_path / "run")
    config = tomllib.loads(_config(work, 4443, tmp_path / "ca.pem"))
    assert config["paths"] == {"state_dir": str(tmp_path / "state"), "run_dir": str(tmp_path / "run")}
    assert config["proxy"]["listen_port"] == 0
    assert config["proxy"]["intercept_hosts"] == ["localhost:4443"]
    assert config["watch"]["enabled"] is False
    assert "collector" not in config


def test_the_whole_session_through_a_real_daemon() -> None:
    lines: list[str] = []
    result = run_demo(lines.append)
    assert len(lines) == 3
    kinds = [e.kind for e in result.events]
    for kind in (
        "session_started",
        "user_prompt",
        "finding",
        "tool_call",
        "alert",
        "model_response",
        "tool_result",
    ):
        assert kind in kinds
    [finding] = result.of_kind("finding")
    assert finding.finding.rule_id == "secret.github.pat_classic"
    denied = [e for e in result.of_kind("tool_call") if e.decision and e.decision.outcome.value == "deny"]
    assert [e.tool for e in denied] == ["Read"]
    assert "credential-file-read" in denied[0].decision.policy_ids
    assert any("[agentd]" in text for turn in result.turns for text in turn.text)
    # The token never reached the record: the prompt is stored redacted.
    assert "[REDACTED:secret.github.pat_classic]" in result.of_kind("user_prompt")[0].text
    assert PROMPT.split("{token}")[0] in result.prompt
    assert "agentd stopped" in result.daemon_log


def test_a_daemon_that_dies_at_start_is_a_clear_error(tmp_path: Path) -> None:
    process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(78)"])
    process.wait()
    with pytest.raises(DemoError, match="exited with code 78"):
        _wait_for_proxy(tmp_path / "none.sock", _Daemon(process))
