import os
from pathlib import Path

from agentd.deploy.launcher import runs, this_agentd


def test_the_packaged_launcher_names_itself(tmp_path: Path) -> None:
    assert this_agentd({"AGENTD_BIN": "/usr/bin/agentd"}, argv0="/x/__main__.py") == ["/usr/bin/agentd"]


def test_a_console_script_is_its_own_path_with_symlinks_kept(tmp_path: Path) -> None:
    real = tmp_path / "real" / "agentd"
    real.parent.mkdir()
    real.write_text("#!/bin/sh\n")
    link = tmp_path / "bin" / "agentd"
    link.parent.mkdir()
    link.symlink_to(real)
    assert this_agentd({}, argv0=str(link)) == [str(link)]


def test_python_dash_m_runs_with_the_current_interpreter() -> None:
    launcher = this_agentd({}, argv0="/src/agentd/__main__.py", executable="/venv/bin/python")
    assert launcher == ["/venv/bin/python", "-m", "agentd"]


def test_an_agentd_name_that_is_not_a_file_is_not_trusted(tmp_path: Path) -> None:
    launcher = this_agentd({}, argv0=str(tmp_path / "agentd"), executable="/venv/bin/python")
    assert launcher[1:] == ["-m", "agentd"]


def test_runs(tmp_path: Path) -> None:
    script = tmp_path / "agentd"
    script.write_text("#!/bin/sh\n")
    assert not runs([str(script)])
    os.chmod(script, 0o755)
    assert runs([str(script)])
    assert not runs([str(tmp_path)])
    assert not runs([])
