import json
from pathlib import Path

from tests.support.agentd_env import make_home


def test_show_prints_a_table_by_default(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    result = home.run("config", "show")
    assert result.returncode == 0
    assert "proxy.listen_port" in result.stdout


def test_show_json_covers_every_section(tmp_path: Path) -> None:
    result = make_home(tmp_path).run("config", "show", "--json")
    sections = {json.loads(line)["key"].split(".")[0] for line in result.stdout.splitlines()}
    assert {"paths", "proxy", "collector", "policy", "capture", "spool", "watch", "log"} <= sections
