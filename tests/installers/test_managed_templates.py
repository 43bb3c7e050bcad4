"""installers/managed/: the managed settings an MDM (or config management) deploys, per OS.

They are exactly what `agentd integrate --system` writes into empty system directories with
the packaged paths, so admins who push files instead of running the package's scripts get
the same result. AGENTD_UPDATE_SNAPSHOTS=1 rewrites them after a deliberate change.
"""

import json
import os
import tomllib
from pathlib import Path

import pytest

from agentd.deploy import ca_files
from agentd.deploy.agents import Places, Scope, plan, system_settings
from agentd.deploy.integrate import install
from agentd.events import AgentKind

MANAGED = Path(__file__).resolve().parents[2] / "installers" / "managed"
PLATFORMS = {"linux": "/usr/bin/agentd", "darwin": "/opt/agentd/bin/agentd"}
TEMPLATES = {
    AgentKind.CLAUDE_CODE: "claude-code-managed-settings.json",
    AgentKind.CODEX: "codex-requirements.toml",
    AgentKind.GEMINI_CLI: "gemini-cli-settings.json",
}


def _generated(tmp_path: Path, platform: str, agent: AgentKind) -> str:
    places = Places(home=tmp_path / "home", root=tmp_path / "root", platform=platform)
    integration = plan(
        agent,
        Scope.SYSTEM,
        places,
        agentd=[PLATFORMS[platform]],
        proxy_url="http://127.0.0.1:8899",
        ca_cert=ca_files.public_cert(platform),
    )
    install(integration)
    return system_settings(agent, places).read_text()


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
@pytest.mark.parametrize("agent", list(TEMPLATES))
def test_templates_match_what_integrate_writes(tmp_path: Path, platform: str, agent: AgentKind) -> None:
    template = MANAGED / ("macos" if platform == "darwin" else "linux") / TEMPLATES[agent]
    generated = _generated(tmp_path, platform, agent)
    if os.environ.get("AGENTD_UPDATE_SNAPSHOTS"):
        template.parent.mkdir(parents=True, exist_ok=True)
        template.write_text(generated)
    assert template.read_text() == generated, f"{template} is stale; AGENTD_UPDATE_SNAPSHOTS=1 rewrites it"


@pytest.mark.parametrize(
    ("platform", "ca"), [("linux", "/usr/local/share"), ("macos", "/Library/Application")]
)
def test_templates_name_the_packaged_paths(platform: str, ca: str) -> None:
    claude = json.loads((MANAGED / platform / TEMPLATES[AgentKind.CLAUDE_CODE]).read_text())
    assert claude["env"]["NODE_EXTRA_CA_CERTS"].startswith(ca)
    agentd = PLATFORMS["darwin" if platform == "macos" else "linux"]
    assert claude["hooks"]["PreToolUse"][0]["hooks"][0]["command"] == f"{agentd} hook claude-code"
    codex = tomllib.loads((MANAGED / platform / TEMPLATES[AgentKind.CODEX]).read_text())
    assert codex["hooks"]["PreToolUse"][0]["hooks"][0]["command"] == f"{agentd} hook codex"
