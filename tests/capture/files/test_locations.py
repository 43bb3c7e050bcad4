from pathlib import Path

import pytest

from agentd.capture.files.backend import Interest
from agentd.capture.files.locations import HEAVY_DIRS, Layout, default_homes
from agentd.normalize.agent_configs import ConfigFormat

H = Path("/h")
P = Path("/work/proj")


def layout(**kw: object) -> Layout:
    args: dict[str, object] = {
        "homes": (H,),
        "project_roots": (P,),
        "env": {},
        "system": "linux",
        "system_root": Path("/sys-root"),
    }
    args.update(kw)
    return Layout(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("path", "app", "scope", "fmt"),
    [
        ("/h/.claude.json", "claude-code", "user", ConfigFormat.CLAUDE_STATE),
        ("/h/.claude/settings.json", "claude-code", "user", ConfigFormat.JSON),
        ("/h/.codex/config.toml", "codex", "user", ConfigFormat.CODEX_TOML),
        ("/h/.codex/hooks.json", "codex", "user", ConfigFormat.JSON),
        ("/h/.gemini/settings.json", "gemini-cli", "user", ConfigFormat.JSONC),
        ("/h/.cursor/mcp.json", "cursor", "user", ConfigFormat.JSON),
        ("/h/.cursor/hooks.json", "cursor", "user", ConfigFormat.JSON),
        ("/h/.config/Code/User/mcp.json", "vscode", "user", ConfigFormat.VSCODE_MCP),
        ("/h/.copilot/mcp-config.json", "copilot", "user", ConfigFormat.JSON),
        ("/h/.copilot/hooks/guard.json", "copilot", "user", ConfigFormat.JSON),
        ("/h/.config/Claude/claude_desktop_config.json", "claude-desktop", "user", ConfigFormat.JSON),
        ("/h/.codeium/windsurf/mcp_config.json", "windsurf", "user", ConfigFormat.JSON),
        ("/sys-root/etc/claude-code/managed-settings.json", "claude-code", "managed", ConfigFormat.JSON),
        (
            "/sys-root/etc/claude-code/managed-settings.d/10-agentd.json",
            "claude-code",
            "managed",
            ConfigFormat.JSON,
        ),
        ("/sys-root/etc/claude-code/managed-mcp.json", "claude-code", "managed", ConfigFormat.JSON),
        ("/sys-root/etc/codex/config.toml", "codex", "system", ConfigFormat.CODEX_TOML),
        ("/sys-root/etc/gemini-cli/system-defaults.json", "gemini-cli", "system", ConfigFormat.JSONC),
        ("/work/proj/.mcp.json", "claude-code", "project", ConfigFormat.JSON),
        ("/work/proj/app/.claude/settings.local.json", "claude-code", "local", ConfigFormat.JSON),
        ("/work/proj/.codex/config.toml", "codex", "project", ConfigFormat.CODEX_TOML),
        ("/work/proj/.vscode/mcp.json", "vscode", "project", ConfigFormat.VSCODE_MCP),
        ("/work/proj/.github/hooks/policy.json", "copilot", "project", ConfigFormat.JSON),
        ("/work/proj/.windsurf/hooks.json", "windsurf", "project", ConfigFormat.JSON),
    ],
)
def test_config_sources(path: str, app: str, scope: str, fmt: ConfigFormat) -> None:
    source = layout().config_source(path)
    assert source is not None
    assert (source.path, source.app, source.scope, source.format) == (path, app, scope, fmt)


@pytest.mark.parametrize(
    "path",
    [
        "/elsewhere/.mcp.json",
        "/h/.claude/settings.json.bak",
        "/h/.copilot/hooks/x.txt",
        "/work/proj/mcp.json",
    ],
)
def test_not_config_sources(path: str) -> None:
    assert layout().config_source(path) is None


def test_environment_relocates_agent_homes() -> None:
    env = {"CLAUDE_CONFIG_DIR": "/c", "CODEX_HOME": "/x", "COPILOT_HOME": "/cp"}
    moved = layout(env=env)
    for path in ("/c/.claude.json", "/c/settings.json", "/x/config.toml", "/cp/mcp-config.json"):
        assert moved.config_source(path) is not None, path
    assert moved.config_source("/h/.claude.json") is None


def test_macos_locations() -> None:
    mac = layout(system="darwin")
    assert mac.config_source("/h/Library/Application Support/Claude/claude_desktop_config.json") is not None
    assert mac.config_source("/h/Library/Application Support/Code/User/mcp.json") is not None
    source = mac.config_source("/sys-root/Library/Application Support/ClaudeCode/managed-settings.json")
    assert source is not None
    assert source.scope == "managed"


@pytest.mark.parametrize(
    ("path", "family"),
    [
        ("/h/.aws/credentials", "aws"),
        ("/h/.aws/config", None),
        ("/h/.ssh/id_ed25519", "ssh"),
        ("/h/.ssh/id_ed25519.pub", None),
        ("/h/.ssh/known_hosts", None),
        ("/h/.netrc", "netrc"),
        ("/h/.claude/.credentials.json", "claude"),
        ("/work/proj/.env", "dotenv"),
        ("/work/proj/.env.example", None),
        ("/secrets/vault.txt", "configured"),
        ("/keys/dir/anything", "configured"),
    ],
)
def test_credential_family(path: str, family: str | None) -> None:
    configured = layout(credential_paths=(Path("/secrets/vault.txt"), Path("/keys/dir")))
    assert configured.credential_family(path) == family


def test_interest() -> None:
    lay = layout()
    assert lay.interest("/h/.aws/credentials") is Interest.READS
    assert lay.interest("/h/.cursor/mcp.json") is Interest.WRITES
    assert lay.interest("/h/notes.txt") is Interest.NONE


def test_trees_anchor_missing_roots(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    project = tmp_path / "proj"
    project.mkdir()
    lay = Layout(
        homes=(home,), project_roots=(project,), env_depth=3, env={}, system="linux", system_root=tmp_path
    )
    trees = {t.root: t for t in lay.trees()}
    assert trees[str(home / ".ssh")].dir_reads
    assert str(home / ".aws") not in trees  # missing: its nearest existing ancestor stands in
    assert trees[str(home)].depth == 0
    assert trees[str(project)].depth == 3
    assert trees[str(project)].prune == HEAVY_DIRS
    assert lay.affects_plan(str(home / ".aws"))
    assert lay.affects_plan(str(home / ".config"))
    assert not lay.affects_plan(str(project / "src"))


def test_from_settings_expands_home(tmp_path: Path) -> None:
    lay = Layout.from_settings(["~/src"], 2, ["~/vault"], homes=[tmp_path], env={})
    assert lay.project_roots == (tmp_path / "src",)
    assert lay.credential_paths == (tmp_path / "vault",)
    assert lay.env_depth == 2


def test_default_homes_start_with_home() -> None:
    assert default_homes({"HOME": "/somewhere"})[0] == Path("/somewhere")
    assert Path("/somewhere") not in default_homes({})
