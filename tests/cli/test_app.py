import subprocess
import sys
from pathlib import Path

from agentd import __version__
from tests.support.agentd_env import make_home


def test_version_and_python_dash_m(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "agentd", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == f"agentd {__version__}"


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = make_home(tmp_path).run("--help")
    assert result.returncode == 0
    for command in ("run", "status", "config"):
        assert command in result.stdout


def test_global_config_option_is_honoured(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    other = tmp_path / "other.toml"
    other.write_text("[proxy]\nlisten_port = 4321\n")
    env = home.env()
    env.pop("AGENTD_CONFIG")
    result = home.run("--config", str(other), "config", "show", "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert '"key": "proxy.listen_port", "value": 4321' in result.stdout
