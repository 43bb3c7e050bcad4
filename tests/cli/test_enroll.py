import json
from pathlib import Path

from tests.support.agentd_env import make_home
from tests.support.collector import collector_process


def test_enroll_uses_the_configured_collector_and_token(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    with collector_process(home, f"sqlite://{tmp_path / 'c.sqlite3'}") as collector:
        home.write_config(
            f'[collector]\nurl = "{collector.url}"\ntoken = "{collector.token()}"\nca = "{collector.ca}"\n'
        )
        result = home.run("enroll", "--json")
        assert result.returncode == 0, result.stderr
        shown = json.loads(result.stdout)
        assert shown["collector"] == collector.url
        saved = json.loads((home.state_dir / "enrollment.json").read_text())
        assert saved["host_id"] == shown["host_id"] == (home.state_dir / "host_id").read_bytes().hex()
        assert (home.state_dir / "enrollment.json").stat().st_mode & 0o777 == 0o600
        assert "token" not in saved


def test_an_untrusted_collector_certificate_is_unavailable_not_ignored(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    with collector_process(home, f"sqlite://{tmp_path / 'c.sqlite3'}") as collector:
        result = home.run("enroll", "--collector", collector.url, "--token", collector.token())
        assert result.returncode == 69
