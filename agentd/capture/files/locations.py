"""Where credentials and agent configs live on this host, which directories to watch for them,
and what a changed path is: a credential file (its family), an agent config file, or neither.

Homes come from the environment (``$HOME``) plus, for a daemon running as root, every human
user's home; project roots and extra credential paths come from ``[watch]``.
"""

import os
import pwd
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

from agentd.capture.files.backend import Interest, Tree
from agentd.decide.credfiles import credential_file
from agentd.normalize import agent_configs as ac
from agentd.normalize.agent_configs import ConfigFormat, ConfigSource

# Never descended into inside project trees: big, generated, or someone else's files.
HEAVY_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".venv",
        "venv",
        ".env",  # a directory named .env is a virtualenv
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".cache",
        ".gradle",
        ".idea",
        ".next",
        ".nuxt",
        ".terraform",
        ".pnpm-store",
        ".yarn",
        "target",
        "dist",
        "build",
        "vendor",
        "Pods",
        "DerivedData",
    }
)

# (directory relative to a home, depth, holds nothing but credentials, pruned names)
_CREDENTIAL_DIRS: tuple[tuple[str, int, bool, frozenset[str]], ...] = (
    (".aws", 2, True, frozenset()),
    (".ssh", 0, True, frozenset()),
    (".kube", 0, True, frozenset()),
    (".docker", 0, True, frozenset()),
    (".azure", 0, True, frozenset()),
    (".gnupg", 1, True, frozenset()),
    (".config/gcloud", 2, True, frozenset({"logs", "configurations", "virtenv", "surface_data"})),
    (".config/gh", 0, True, frozenset()),
    (".config/git", 0, False, frozenset()),
    (".config/heroku", 0, False, frozenset()),
    (".cargo", 0, False, frozenset()),
    (".gem", 0, False, frozenset()),
    (".terraform.d", 0, False, frozenset()),
)

# Files inside a project, relative to the directory they configure.
PROJECT_CONFIGS: tuple[tuple[str, str, str, ConfigFormat], ...] = (
    (".mcp.json", ac.CLAUDE_CODE, "project", ConfigFormat.JSON),
    (".claude/settings.json", ac.CLAUDE_CODE, "project", ConfigFormat.JSON),
    (".claude/settings.local.json", ac.CLAUDE_CODE, "local", ConfigFormat.JSON),
    (".codex/config.toml", ac.CODEX, "project", ConfigFormat.CODEX_TOML),
    (".codex/hooks.json", ac.CODEX, "project", ConfigFormat.JSON),
    (".gemini/settings.json", ac.GEMINI_CLI, "project", ConfigFormat.JSONC),
    (".cursor/mcp.json", ac.CURSOR, "project", ConfigFormat.JSON),
    (".cursor/hooks.json", ac.CURSOR, "project", ConfigFormat.JSON),
    (".vscode/mcp.json", ac.VSCODE, "project", ConfigFormat.VSCODE_MCP),
    (".windsurf/hooks.json", ac.WINDSURF, "project", ConfigFormat.JSON),
    (".github/hooks/*.json", ac.COPILOT, "project", ConfigFormat.JSON),
)

# An agent's own login files: its reads of them are routine, everyone else's are not.
OWN_CREDENTIALS = {"claude": "claude-code", "codex": "codex", "gemini": "gemini-cli"}


def human_homes() -> list[Path]:
    """Home directories of login users (uid >= 1000 on Linux, >= 501 on macOS) that exist."""
    first_uid = 501 if sys.platform == "darwin" else 1000
    homes = []
    for entry in pwd.getpwall():
        home = Path(entry.pw_dir)
        if entry.pw_uid >= first_uid and entry.pw_uid != 65534 and home.is_dir() and str(home) != "/":
            homes.append(home)
    return homes


def default_homes(env: Mapping[str, str] | None = None) -> tuple[Path, ...]:
    """$HOME, and every human user's home when running as root (a system daemon sees all users)."""
    env = os.environ if env is None else env
    homes: list[Path] = []
    if home := env.get("HOME"):
        homes.append(Path(home))
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        homes += [h for h in human_homes() if h not in homes]
    return tuple(homes)


@dataclass(frozen=True, slots=True)
class _Glob:
    directory: str
    pattern: str
    app: str
    scope: str
    format: ConfigFormat


def _user_configs(home: Path, system: str, env: Mapping[str, str]) -> tuple[list[ConfigSource], list[_Glob]]:
    claude_dir = Path(env["CLAUDE_CONFIG_DIR"]) if env.get("CLAUDE_CONFIG_DIR") else home / ".claude"
    claude_state = claude_dir / ".claude.json" if env.get("CLAUDE_CONFIG_DIR") else home / ".claude.json"
    codex = Path(env["CODEX_HOME"]) if env.get("CODEX_HOME") else home / ".codex"
    copilot = Path(env["COPILOT_HOME"]) if env.get("COPILOT_HOME") else home / ".copilot"
    app_support = home / "Library/Application Support" if system == "darwin" else home / ".config"
    files = [
        (claude_state, ac.CLAUDE_CODE, ConfigFormat.CLAUDE_STATE),
        (claude_dir / "settings.json", ac.CLAUDE_CODE, ConfigFormat.JSON),
        (codex / "config.toml", ac.CODEX, ConfigFormat.CODEX_TOML),
        (codex / "hooks.json", ac.CODEX, ConfigFormat.JSON),
        (home / ".gemini/settings.json", ac.GEMINI_CLI, ConfigFormat.JSONC),
        (home / ".cursor/mcp.json", ac.CURSOR, ConfigFormat.JSON),
        (home / ".cursor/hooks.json", ac.CURSOR, ConfigFormat.JSON),
        (app_support / "Code/User/mcp.json", ac.VSCODE, ConfigFormat.VSCODE_MCP),
        (copilot / "mcp-config.json", ac.COPILOT, ConfigFormat.JSON),
        (app_support / "Claude/claude_desktop_config.json", ac.CLAUDE_DESKTOP, ConfigFormat.JSON),
        (home / ".codeium/windsurf/mcp_config.json", ac.WINDSURF, ConfigFormat.JSON),
        (home / ".codeium/windsurf/hooks.json", ac.WINDSURF, ConfigFormat.JSON),
    ]
    globs = [_Glob(str(copilot / "hooks"), "*.json", ac.COPILOT, "user", ConfigFormat.JSON)]
    return [ConfigSource(str(p), app, "user", fmt) for p, app, fmt in files], globs


def _managed_configs(system: str, root: Path) -> tuple[list[ConfigSource], list[_Glob]]:
    if system == "darwin":
        claude = root / "Library/Application Support/ClaudeCode"
        gemini = root / "Library/Application Support/GeminiCli"
    else:
        claude = root / "etc/claude-code"
        gemini = root / "etc/gemini-cli"
    codex = root / "etc/codex"
    files = [
        (claude / "managed-settings.json", ac.CLAUDE_CODE, "managed", ConfigFormat.JSON),
        (claude / "managed-mcp.json", ac.CLAUDE_CODE, "managed", ConfigFormat.JSON),
        (codex / "config.toml", ac.CODEX, "system", ConfigFormat.CODEX_TOML),
        (gemini / "settings.json", ac.GEMINI_CLI, "system", ConfigFormat.JSONC),
        (gemini / "system-defaults.json", ac.GEMINI_CLI, "system", ConfigFormat.JSONC),
    ]
    globs = [
        _Glob(str(claude / "managed-settings.d"), "*.json", ac.CLAUDE_CODE, "managed", ConfigFormat.JSON)
    ]
    return [ConfigSource(str(p), app, scope, fmt) for p, app, scope, fmt in files], globs


@dataclass(frozen=True)
class Layout:
    """Everything watched on this host, and the meaning of any path inside it."""

    homes: tuple[Path, ...]
    project_roots: tuple[Path, ...] = ()
    env_depth: int = 3
    credential_paths: tuple[Path, ...] = ()
    system: str = field(default_factory=lambda: "darwin" if sys.platform == "darwin" else "linux")
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    system_root: Path = Path("/")  # where /etc lives; tests point it elsewhere
    _configs: dict[str, ConfigSource] = field(init=False, repr=False)
    _globs: tuple[_Glob, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        configs: list[ConfigSource] = []
        globs: list[_Glob] = []
        for home in self.homes:
            files, home_globs = _user_configs(home, self.system, self.env)
            configs += files
            globs += home_globs
        files, managed_globs = _managed_configs(self.system, self.system_root)
        object.__setattr__(self, "_configs", {c.path: c for c in (*configs, *files)})
        object.__setattr__(self, "_globs", tuple(globs + managed_globs))

    @classmethod
    def from_settings(
        cls,
        project_roots: Iterable[str],
        env_depth: int,
        credential_paths: Iterable[str],
        homes: Sequence[Path] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> "Layout":
        """``~`` in configured paths is the first home (``$HOME``)."""
        env = dict(os.environ) if env is None else dict(env)
        homes = tuple(homes) if homes is not None else default_homes(env)
        first = str(homes[0]) if homes else "~"

        def expand(text: str) -> Path:
            if text == "~" or text.startswith("~/"):
                text = first + text[1:]
            return Path(os.path.abspath(text))

        return cls(
            homes=tuple(homes),
            project_roots=tuple(expand(p) for p in project_roots),
            env_depth=env_depth,
            credential_paths=tuple(expand(p) for p in credential_paths),
            env=env,
        )

    # --- what to watch -----------------------------------------------------------------------

    def wanted(self) -> list[Tree]:
        """The trees this layout wants, whether or not their roots exist yet."""
        trees: list[Tree] = []
        for home in self.homes:
            trees.append(Tree(str(home)))
            trees.append(Tree(str(home / ".config")))
            trees += [
                Tree(str(home / rel), depth, reads, prune) for rel, depth, reads, prune in _CREDENTIAL_DIRS
            ]
        config_dirs = {str(Path(c.path).parent) for c in self._configs.values()}
        trees += [Tree(d) for d in sorted(config_dirs)]
        trees += [Tree(g.directory) for g in self._globs]
        trees += [Tree(str(root), self.env_depth, prune=HEAVY_DIRS) for root in self.project_roots]
        for path in self.credential_paths:
            if path.is_dir():
                trees.append(Tree(str(path), 2, dir_reads=True))
            else:
                trees.append(Tree(str(path.parent)))
        return trees

    def trees(self) -> list[Tree]:
        """The trees to watch now: wanted roots that exist, and for each missing one its nearest
        existing ancestor (so the moment it is created can be seen)."""
        out: list[Tree] = []
        for tree in self.wanted():
            root = Path(tree.root)
            if root.is_dir():
                out.append(tree)
                continue
            for ancestor in root.parents:
                if ancestor.is_dir():
                    out.append(Tree(str(ancestor)))
                    break
        return out

    def affects_plan(self, path: str) -> bool:
        """True when a directory appearing or vanishing at ``path`` changes what to watch."""
        prefix = path.rstrip(os.sep) + os.sep
        return any(t.root == path or t.root.startswith(prefix) for t in self.wanted())

    # --- what a path is ----------------------------------------------------------------------

    def config_source(self, path: str) -> ConfigSource | None:
        if (source := self._configs.get(path)) is not None:
            return source
        directory, name = os.path.split(path)
        for glob in self._globs:
            if directory == glob.directory and fnmatch(name, glob.pattern):
                return ConfigSource(path, glob.app, glob.scope, glob.format)
        for root in self.project_roots:
            root_text = str(root) + os.sep
            if not path.startswith(root_text):
                continue
            for relative, app, scope, fmt in PROJECT_CONFIGS:
                if fnmatch(path, f"*{os.sep}{relative}"):
                    return ConfigSource(path, app, scope, fmt)
        return None

    def credential_family(self, path: str) -> str | None:
        for configured in self.credential_paths:
            text = str(configured)
            if path == text or path.startswith(text + os.sep):
                return "configured"
        match = credential_file(path)
        return match.family if match else None

    def interest(self, path: str) -> Interest:
        if self.credential_family(path) is not None:
            return Interest.READS
        if self.config_source(path) is not None:
            return Interest.WRITES
        return Interest.NONE
