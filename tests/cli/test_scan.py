import json
import stat
from pathlib import Path

import pytest

from tests.support import secrets
from tests.support.agentd_env import AgentdHome, make_home


@pytest.fixture
def home(tmp_path: Path) -> AgentdHome:
    return make_home(tmp_path)


def _lines(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_findings_as_json_lines_without_values(home: AgentdHome, tmp_path: Path) -> None:
    token = secrets.github_pat("cli")
    target = tmp_path / "notes.txt"
    target.write_text(f"first line\n  ünï export GITHUB_TOKEN={token}\nmail maria@globex.com\n")
    result = home.run("scan", "--json", str(target))
    assert result.returncode == 1, result.stderr
    first, second = _lines(result.stdout)
    assert first == {
        "file": str(target),
        "line": 2,
        "column": 27,
        "length": 40,
        "kind": "secret",
        "rule": "secret.github.pat_classic",
        "severity": "critical",
        "preview": "ghp_…(40)",
        "fingerprint": first["fingerprint"],
    }
    assert (second["rule"], second["line"], second["column"]) == ("pii.email", 3, 6)
    assert token not in result.stdout + result.stderr
    assert token[8:20] not in result.stdout


def test_fingerprints_use_the_host_key_and_are_stable(home: AgentdHome, tmp_path: Path) -> None:
    target = tmp_path / "a.env"
    target.write_text(f"OPENAI_API_KEY={secrets.openai_key('stable')}\n")
    first = _lines(home.run("scan", "--json", str(target)).stdout)[0]["fingerprint"]
    second = _lines(home.run("scan", "--json", str(target)).stdout)[0]["fingerprint"]
    key_file = home.state_dir / "keys" / "fingerprint.key"
    assert first == second
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    (tmp_path / "other").mkdir()
    other = make_home(tmp_path / "other")
    assert _lines(other.run("scan", "--json", str(target)).stdout)[0]["fingerprint"] != first


def test_clean_input_exits_zero(home: AgentdHome, tmp_path: Path) -> None:
    target = tmp_path / "clean.py"
    target.write_text("def add(a, b):\n    return a + b\n")
    result = home.run("scan", str(target))
    assert (result.returncode, result.stdout) == (0, "")


@pytest.mark.parametrize("args", [(), ("-",)])
def test_standard_input(home: AgentdHome, args: tuple[str, ...]) -> None:
    token = secrets.slack_bot_token("stdin")
    result = home.run("scan", *args, input=f"SLACK_BOT_TOKEN={token}\n")
    assert result.returncode == 1
    assert result.stdout.startswith("<stdin>:1:17: high secret.slack.bot_token xoxb…(")
    assert token not in result.stdout


def test_unreadable_path_is_an_error_but_the_rest_is_scanned(home: AgentdHome, tmp_path: Path) -> None:
    target = tmp_path / "ok.txt"
    target.write_text(secrets.aws_credentials_file("rest"))
    result = home.run("scan", "--json", str(tmp_path / "missing.txt"), str(target))
    assert result.returncode == 2
    assert "cannot read" in result.stderr
    assert "missing.txt" in result.stderr
    assert {line["rule"] for line in _lines(result.stdout)} == {
        "secret.aws.access_key_id",
        "secret.aws.secret_access_key",
    }


def test_directories_are_walked_skipping_vcs_and_binary_files(home: AgentdHome, tmp_path: Path) -> None:
    tree = tmp_path / "repo"
    (tree / "src").mkdir(parents=True)
    (tree / ".git").mkdir()
    (tree / "src" / "settings.py").write_text(f"API_KEY = '{secrets.anthropic_key('tree')}'\n")
    (tree / ".git" / "config").write_text(f"url = https://{secrets.github_pat('git')}@github.com/x/y\n")
    (tree / "logo.png").write_bytes(b"\x89PNG\0\0" + secrets.github_pat("png").encode())
    result = home.run("scan", "--json", str(tree))
    assert [(line["file"], line["rule"]) for line in _lines(result.stdout)] == [
        (str(tree / "src" / "settings.py"), "secret.anthropic.api_key")
    ]


def test_allow_and_kind_filters(home: AgentdHome, tmp_path: Path) -> None:
    target = tmp_path / "mixed.txt"
    target.write_text(f"{secrets.github_pat('allow')}\nmaria@globex.com\n")
    everything = _lines(home.run("scan", "--json", str(target)).stdout)
    token_fingerprint = next(line["fingerprint"] for line in everything if line["kind"] == "secret")
    allowed = home.run("scan", "--json", "--allow", str(token_fingerprint), str(target))
    assert [line["rule"] for line in _lines(allowed.stdout)] == ["pii.email"]
    secrets_only = home.run("scan", "--json", "--kind", "secret", str(target))
    assert [line["kind"] for line in _lines(secrets_only.stdout)] == ["secret"]
    pii_only_allowed = home.run("scan", "--kind", "secret", "--allow", str(token_fingerprint), str(target))
    assert (pii_only_allowed.returncode, pii_only_allowed.stdout) == (0, "")


def test_reference_engine_gives_the_same_findings(home: AgentdHome, tmp_path: Path) -> None:
    target = tmp_path / "both.txt"
    target.write_text(f"{secrets.aws_credentials_file('engines')}\ncall +44 20 7946 0958\n")
    fast = home.run("scan", "--json", str(target))
    reference = home.run("scan", "--json", "--engine", "re", str(target))
    assert fast.stdout == reference.stdout
    assert fast.stdout
    assert home.run("scan", "--engine", "pcre", str(target)).returncode == 2


def test_invalid_utf8_and_binary_input_on_stdin(home: AgentdHome) -> None:
    token = secrets.github_pat("bytes")
    data = b"\xff\xfe\x00garbage\xc3(" + token.encode() + b"\n\xed\xa0\x80"
    result = home.run("scan", "--json", input=data.decode("latin-1"))
    assert result.returncode == 1
    assert [line["rule"] for line in _lines(result.stdout)] == ["secret.github.pat_classic"]
