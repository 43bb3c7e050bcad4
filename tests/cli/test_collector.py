import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer

from agentd.cli.collector import parse_since
from tests.support.agentd_env import make_home
from tests.support.collector import collector_process

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
POLICY = """
@id("no-web-fetch")
@outcome("deny")
@reason("fetching web pages is off for this team")
forbid (principal, action == Agentd::Action::"call", resource)
when { resource.tool == "WebFetch" };
"""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("15m", NOW - timedelta(minutes=15)),
        ("24h", NOW - timedelta(hours=24)),
        ("7d", NOW - timedelta(days=7)),
        ("30s", NOW - timedelta(seconds=30)),
        ("2026-04-30T00:00:00Z", datetime(2026, 4, 30, tzinfo=UTC)),
        ("2026-04-30T00:00:00", datetime(2026, 4, 30, tzinfo=UTC)),
        (None, None),
    ],
)
def test_since_accepts_ages_and_iso_times(value: str | None, expected: datetime | None) -> None:
    assert parse_since(value, NOW) == expected


@pytest.mark.parametrize("value", ["yesterday", "5w", "-3d", ""])
def test_since_refuses_anything_else(value: str) -> None:
    with pytest.raises(typer.BadParameter):
        parse_since(value, NOW)


def test_serve_enroll_ship_and_query_through_the_commands(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    db = f"sqlite://{tmp_path / 'collector.sqlite3'}"
    with collector_process(home, db) as collector:
        token = collector.token()
        assert token.startswith("agentd-enroll-")
        assert token not in (tmp_path / "collector.sqlite3").read_bytes().decode("latin-1")  # stored hashed
        home.write_config(f'[collector]\nurl = "{collector.url}"\nca = "{collector.ca}"\n')
        enrolled = home.run("enroll", "--token", token, "--json")
        assert enrolled.returncode == 0, enrolled.stderr
        facts = json.loads(enrolled.stdout)
        assert facts["key_storage"] == "file"
        hosts = [json.loads(line) for line in collector.admin("hosts", "--json").stdout.splitlines()]
        assert [h["host_id"] for h in hosts] == [facts["host_id"]]
        assert hosts[0]["key_id"] == facts["key_id"]
        human = home.run("enroll", "--token", token)  # again: idempotent for the same key
        assert human.returncode == 0, human.stderr
        assert "pinned" in human.stdout

        (tmp_path / "policies").mkdir()
        (tmp_path / "policies" / "team.cedar").write_text(POLICY)
        published = collector.admin("policy", "publish", str(tmp_path / "policies"), "--version", "team-1")
        assert published.returncode == 0, published.stderr
        assert "published policy team-1" in published.stdout
        (tmp_path / "policies" / "broken.cedar").write_text(
            "forbid (principal, action, resource) when { x };"
        )
        refused = collector.admin("policy", "publish", str(tmp_path / "policies"))
        assert refused.returncode == 65
        assert "broken.cedar" in refused.stderr

        for command in ("events", "alerts", "inventory"):
            result = collector.admin(command, "--json")
            assert result.returncode == 0, result.stderr
            assert result.stdout == ""
        assert collector.admin("export", "--since", "1h").stdout == ""
        assert collector.stop() == 0


def test_enroll_refusals_and_unreachable_collectors_have_their_own_exit_codes(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    missing = home.run("enroll")
    assert missing.returncode == 78
    assert "no collector URL" in missing.stderr
    with collector_process(home, f"sqlite://{tmp_path / 'c.sqlite3'}", tls=False) as collector:
        refused = home.run("enroll", "--collector", collector.url, "--token", "agentd-enroll-never-issued")
        assert refused.returncode == 1
        assert "unknown_token" in refused.stderr
        alerts = [json.loads(line) for line in collector.admin("alerts", "--json").stdout.splitlines()]
        assert [a["rule_id"] for a in alerts] == ["collector.unknown_token"]
        port = collector.port
    gone = home.run("enroll", "--collector", f"http://127.0.0.1:{port}", "--token", "t")
    assert gone.returncode == 69
    assert "unavailable" in gone.stderr


def test_serve_refuses_plaintext_off_loopback_and_half_tls(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    db = f"sqlite://{tmp_path / 'c.sqlite3'}"
    plaintext = home.run("collector", "serve", "--listen", "0.0.0.0:0", "--insecure", "--db", db)
    assert plaintext.returncode == 78
    assert "loopback only" in plaintext.stderr
    half = home.run("collector", "serve", "--tls-cert", "x.pem", "--db", db)
    assert half.returncode == 78
    neither = home.run("collector", "serve", "--db", db)
    assert neither.returncode == 78


def test_publish_needs_the_collector_signing_key(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "team.cedar").write_text(POLICY)
    result = home.run(
        "collector", "policy", "publish", str(tmp_path / "policies"), "--db", f"sqlite://{tmp_path / 'c.db'}"
    )
    assert result.returncode == 1
    assert "no policy-signing key" in result.stderr
    empty = home.run("collector", "policy", "publish", str(tmp_path), "--db", f"sqlite://{tmp_path / 'c.db'}")
    assert empty.returncode == 65
    assert "no *.cedar files" in empty.stderr


def test_a_bad_database_url_exits_2(tmp_path: Path) -> None:
    result = make_home(tmp_path).run("collector", "hosts", "--db", "mysql://nope")
    assert result.returncode == 2
    assert "unsupported database URL" in result.stderr
