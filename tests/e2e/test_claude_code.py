"""The acceptance test: the real Claude Code CLI through a real `agentd run`.

Claude Code runs as `claude -p ...` with the environment `agentd env` prints, against a local
TLS upstream speaking Anthropic Messages SSE that scripts it to run a Bash command and then
finish. agentd must record the prompt, Claude Code's tool definitions, the Bash call with its
command and the tool result, in Claude Code's session, attributed to its process.
"""

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.agentd_env import make_home, wait_until
from tests.support.proxy import configure_proxy
from tests.support.upstreams import Upstream, bash_then_finish, last_tool_results, make_pki

pytestmark = pytest.mark.e2e

PROMPT = "Run the shell command that prints the magic number, then tell me you are done."
COMMAND = "echo agentd-e2e-$((6 * 7))"
FINAL = "All done: the command printed the magic number."


def test_claude_code_is_recorded_end_to_end(tmp_path: Path, claude_cli: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    agentd_root = tmp_path / "agentd"
    agentd_root.mkdir()
    home = make_home(agentd_root)
    configure_proxy(home.config, intercept_hosts=["localhost"], upstream_ca=str(pki.ca_cert))
    user_home = tmp_path / "user"
    (user_home / "work").mkdir(parents=True)

    with Upstream(bash_then_finish(COMMAND, FINAL), pki) as upstream, home.start_daemon() as daemon:
        shown = home.run("env", "--agent", "claude-code", "--json")
        assert shown.returncode == 0, shown.stderr
        agent_env = json.loads(shown.stdout)
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(user_home),
            **agent_env,
            "ANTHROPIC_BASE_URL": upstream.url,
            "ANTHROPIC_API_KEY": "dummy",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_AUTOUPDATER": "1",
        }
        command = [str(claude_cli), "-p", PROMPT, "--output-format", "json", "--allowedTools", "Bash"]
        with subprocess.Popen(
            command,
            env=env,
            cwd=user_home / "work",
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as claude:
            out, err = claude.communicate(timeout=240)
        assert claude.returncode == 0, f"claude failed: {err[-2000:]}"
        result: dict[str, Any] = json.loads(out)
        # Claude Code's own answer is what the upstream scripted, after running the command.
        assert result["is_error"] is False
        assert result["result"] == FINAL
        assert result["num_turns"] == 2
        assert result["permission_denials"] == []
        tool_results = [r for request in upstream.requests for r in last_tool_results(request)]
        assert any("agentd-e2e-42" in str(r["content"]) for r in tool_results), "Claude Code ran the command"
        wait_until(
            lambda: len(_events(home, "model_response")) >= 2, 60, "agentd to record both model responses"
        )
        assert daemon.stop() == 0

    session = result["session_id"]
    every = _events(home)
    mine = [e for e in every if e["session_id"] == session]
    assert {e["kind"] for e in mine} >= {
        "session_started",
        "tool_definitions_seen",
        "user_prompt",
        "tool_call",
        "tool_result",
        "model_response",
    }
    prompts = [e for e in mine if e["kind"] == "user_prompt"]
    assert any(PROMPT in (e["text"] or "") for e in prompts)
    [definitions] = [e for e in mine if e["kind"] == "tool_definitions_seen"]
    names = {t["name"] for t in definitions["tools"]}
    assert {"Bash", "Read", "Edit", "Write"} <= names
    assert len(names) >= 10
    [call] = [e for e in mine if e["kind"] == "tool_call"]
    assert call["tool"] == "Bash"
    assert json.loads(call["input"])["command"] == COMMAND
    [tool_result] = [e for e in mine if e["kind"] == "tool_result"]
    assert tool_result["call_id"] == call["call_id"]
    assert tool_result["tool"] == "Bash"
    assert "agentd-e2e-42" in tool_result["content"]
    for event in mine:
        assert event["agent"]["kind"] == "claude-code", event
        assert event["agent"]["pid"] == claude.pid, event
        assert Path(event["agent"]["exe"]).name == "claude.exe"
    assert [e for e in every if e["kind"] == "internal_error"] == []


def _events(home: Any, kind: str | None = None) -> list[dict[str, Any]]:
    args = ["events", "--json", "--limit", "0", *(["--type", kind] if kind else [])]
    shown = home.run(*args)
    assert shown.returncode == 0, shown.stderr
    return [json.loads(line) for line in shown.stdout.splitlines()]
