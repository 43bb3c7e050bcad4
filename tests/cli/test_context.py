from pathlib import Path

import pytest
import typer

from agentd.cli.context import CliState


def test_settings_are_loaded_once(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[proxy]\nlisten_port = 1234\n")
    state = CliState(config_path=config)
    first = state.settings()
    config.write_text("[proxy]\nlisten_port = 4321\n")
    assert state.settings() is first


def test_bad_config_exits_with_ex_config(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[proxy]\nlisten_port = 'x'\n")
    with pytest.raises(typer.Exit) as info:
        CliState(config_path=config).settings()
    assert info.value.exit_code == 78
