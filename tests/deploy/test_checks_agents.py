import json
from datetime import timedelta
from pathlib import Path

import pytest

from agentd.deploy.agents import Places, Scope, plan
from agentd.deploy.checks_agents import (
    check_agents,
    check_env,
    check_hooks,
    check_managed,
    effective_env,
    installed,
)
from agentd.deploy.doctor import Host, Status
from agentd.deploy.integrate import install
from agentd.events import AgentKind
from tests.deploy.conftest import NOW, HostFactory
from tests.support.certs import make_ca

URL = "http://127.0.0.1:18899"


def _launcher(tmp_path: Path, name: str = "bin") -> list[str]:
    script = tmp_path / name / "agentd"
    script.parent.mkdir(exist_ok=True)
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    return [str(script)]


def _integrate(
    host: Host, agent: AgentKind, launcher: list[str], scope: Scope = Scope.USER, ca: Path | None = None
) -> None:
    places = Places(home=host.places.home, root=host.places.root)
    ca_cert = ca or host.settings.paths.ca_dir / "mitmproxy-ca-cert.pem"
    install(plan(agent, scope, places, agentd=launcher, proxy_url=URL, ca_cert=ca_cert))


def _ca(host: Host) -> bytes:
    cert, _ = make_ca("agentd test CA", not_before=NOW - timedelta(days=1))
    path = host.settings.paths.ca_dir / "mitmproxy-ca-cert.pem"
    path.parent.mkdir(parents=True)
    path.write_bytes(cert)
    return cert


def test_nothing_installed(make_host: HostFactory) -> None:
    host = make_host()
    assert [(c.name, c.status) for c in check_agents(host)] == [
        ("agent.claude-code", Status.PASS),
        ("agent.codex", Status.PASS),
        ("agent.gemini-cli", Status.PASS),
    ]
    assert check_managed(host)[0].summary == "no agents installed"


def test_installed_by_binary_on_path_or_config_dir(make_host: HostFactory, tmp_path: Path) -> None:
    bin_dir = tmp_path / "agents-bin"
    bin_dir.mkdir()
    (bin_dir / "codex").write_text("#!/bin/sh\n")
    (bin_dir / "codex").chmod(0o755)
    host = make_host(environ={"PATH": str(bin_dir)})
    assert installed(host, AgentKind.CODEX)
    assert not installed(host, AgentKind.CLAUDE_CODE)
    (host.places.home / ".claude").mkdir()
    assert installed(host, AgentKind.CLAUDE_CODE)


def test_hooks_pass_when_they_run_this_agentd(make_host: HostFactory, tmp_path: Path) -> None:
    launcher = _launcher(tmp_path)
    host = make_host(agentd=launcher)
    [missing] = [check_hooks(host, AgentKind.CLAUDE_CODE)]
    assert missing.status is Status.FAIL
    assert missing.fix == "agentd integrate --agent claude-code"
    _integrate(host, AgentKind.CLAUDE_CODE, launcher)
    ok = check_hooks(host, AgentKind.CLAUDE_CODE)
    assert ok.status is Status.PASS, ok.summary
    assert "PostToolUse, PreToolUse, UserPromptSubmit" in ok.summary


def test_hooks_running_another_or_a_missing_agentd(make_host: HostFactory, tmp_path: Path) -> None:
    host = make_host(agentd=_launcher(tmp_path))
    _integrate(host, AgentKind.GEMINI_CLI, _launcher(tmp_path, "other"))
    other = check_hooks(host, AgentKind.GEMINI_CLI)
    assert other.status is Status.WARN
    assert "not this agentd" in other.summary
    assert other.fix == "agentd integrate --agent gemini"
    _integrate(host, AgentKind.GEMINI_CLI, [str(tmp_path / "gone" / "agentd")])
    gone = check_hooks(host, AgentKind.GEMINI_CLI)
    assert gone.status is Status.FAIL
    assert "does not exist" in gone.summary


def test_hooks_with_an_event_missing(make_host: HostFactory, tmp_path: Path) -> None:
    launcher = _launcher(tmp_path)
    host = make_host(agentd=launcher)
    _integrate(host, AgentKind.CLAUDE_CODE, launcher)
    settings = host.places.home / ".claude" / "settings.json"
    document = json.loads(settings.read_text())
    del document["hooks"]["PostToolUse"]
    settings.write_text(json.dumps(document))
    check = check_hooks(host, AgentKind.CLAUDE_CODE)
    assert check.status is Status.FAIL
    assert check.summary == "no agentd hook for PostToolUse"


def test_codex_managed_hooks_in_requirements_toml_count(make_host: HostFactory, tmp_path: Path) -> None:
    launcher = _launcher(tmp_path)
    host = make_host(agentd=launcher)
    _integrate(host, AgentKind.CODEX, launcher, Scope.SYSTEM)
    assert check_hooks(host, AgentKind.CODEX).status is Status.PASS
    [managed] = check_managed(host)
    assert managed.status is Status.PASS
    assert managed.summary == "managed settings for codex"


def test_claude_env_from_settings_with_agentds_ca(make_host: HostFactory) -> None:
    host = make_host()
    _ca(host)
    _integrate(host, AgentKind.CLAUDE_CODE, ["/usr/bin/agentd"])
    check = check_env(host, AgentKind.CLAUDE_CODE)
    assert check.status is Status.PASS, check.summary
    assert effective_env(host, AgentKind.CLAUDE_CODE)["HTTPS_PROXY"] == URL


def test_managed_env_wins_over_the_users(make_host: HostFactory, tmp_path: Path) -> None:
    host = make_host()
    cert = _ca(host)
    public = tmp_path / "public-ca.pem"
    public.write_bytes(cert)
    user = host.places.home / ".claude" / "settings.json"
    user.parent.mkdir()
    user.write_text(json.dumps({"env": {"HTTPS_PROXY": "http://elsewhere:1"}}))
    _integrate(host, AgentKind.CLAUDE_CODE, ["/usr/bin/agentd"], Scope.SYSTEM, ca=public)
    assert check_env(host, AgentKind.CLAUDE_CODE).status is Status.PASS


@pytest.mark.parametrize(
    ("environ", "status", "text"),
    [
        ({}, Status.FAIL, "no HTTPS_PROXY"),
        (
            {"https_proxy": "http://corp:3128"},
            Status.FAIL,
            "https_proxy=http://corp:3128, but agentd listens on",
        ),
    ],
)
def test_claude_env_problems(
    make_host: HostFactory, environ: dict[str, str], status: Status, text: str
) -> None:
    host = make_host(environ=environ)
    if environ:
        _integrate(host, AgentKind.CLAUDE_CODE, ["/usr/bin/agentd"])  # HTTPS_PROXY set, https_proxy wins
    check = check_env(host, AgentKind.CLAUDE_CODE)
    assert check.status is status
    assert text in check.summary


def test_ca_only_in_the_system_store(make_host: HostFactory, tmp_path: Path) -> None:
    probe = make_host()
    cert = _ca(probe)
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(cert)
    host = make_host(environ={"HTTPS_PROXY": URL}, trust_bundle=bundle)
    codex = check_env(host, AgentKind.CODEX)
    assert codex.status is Status.PASS
    assert "system store" in codex.summary
    assert check_env(host, AgentKind.GEMINI_CLI).status is Status.WARN


def test_codex_env_from_the_shell(make_host: HostFactory, tmp_path: Path) -> None:
    probe = make_host()
    _ca(probe)
    ca = str(probe.settings.paths.ca_dir / "mitmproxy-ca-cert.pem")
    missing = check_env(make_host(environ={}), AgentKind.CODEX)
    assert missing.status is Status.WARN
    assert missing.fix is not None
    assert "agentd env --agent codex" in missing.fix
    untrusted = check_env(make_host(environ={"HTTPS_PROXY": URL}), AgentKind.CODEX)
    assert untrusted.status is Status.WARN
    assert "CODEX_CA_CERTIFICATE/SSL_CERT_FILE" in untrusted.summary
    ok = check_env(make_host(environ={"HTTPS_PROXY": URL, "CODEX_CA_CERTIFICATE": ca}), AgentKind.CODEX)
    assert ok.status is Status.PASS


def test_gemini_env_from_its_dotenv(make_host: HostFactory) -> None:
    host = make_host()
    _ca(host)
    _integrate(host, AgentKind.GEMINI_CLI, ["/usr/bin/agentd"])
    assert check_env(host, AgentKind.GEMINI_CLI).status is Status.PASS


def test_unreadable_or_malformed_agent_files_do_not_break_the_checks(make_host: HostFactory) -> None:
    host = make_host()
    claude = host.places.home / ".claude"
    claude.mkdir()
    (claude / "settings.json").write_text("{not json")
    gemini = host.places.home / ".gemini"
    gemini.mkdir()
    (gemini / ".env").write_bytes(b"\xff\xfe")
    codex_system = host.places.root / "etc" / "codex" / "requirements.toml"
    codex_system.parent.mkdir(parents=True)
    codex_system.write_text("[[broken")
    statuses = {c.name: c.status for c in check_agents(host)}
    assert statuses["agent.claude-code.hooks"] is Status.FAIL
    assert statuses["agent.gemini-cli.env"] is Status.WARN
    assert statuses["agent.codex.hooks"] is Status.FAIL
