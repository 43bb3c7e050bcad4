import json
import plistlib
from pathlib import Path

import pytest

from agentd.config import DEFAULT_ORIGIN, effective, load
from agentd.errors import ConfigError
from agentd.events import CaptureLevel, PolicyMode
from agentd.paths import ConfigFiles
from tests.support import secrets
from tests.support.agentd_env import make_home


def _files(tmp_path: Path, user: str = "", system: str = "", managed: str = "") -> ConfigFiles:
    paths = {}
    for name, text in (("user", user), ("system", system), ("managed", managed)):
        path = tmp_path / f"{name}.toml"
        path.write_text(text)
        paths[name] = path
    return ConfigFiles(**paths)


def test_defaults_apply_when_no_file_exists(tmp_path: Path) -> None:
    loaded = load(ConfigFiles(user=tmp_path / "missing.toml", system=None, managed=None))
    assert loaded.settings.capture.level is CaptureLevel.REDACTED
    assert loaded.settings.policy.mode is PolicyMode.ENFORCE
    assert loaded.origin("proxy.listen_port") == DEFAULT_ORIGIN


def test_precedence_user_then_system_then_managed(tmp_path: Path) -> None:
    files = _files(
        tmp_path,
        user='[proxy]\nlisten_port = 1111\n[capture]\nlevel = "full"\n[policy]\nmode = "monitor"\n',
        system="[proxy]\nlisten_port = 2222\n",
        managed='[capture]\nlevel = "metadata"\n',
    )
    loaded = load(files)
    assert loaded.settings.proxy.listen_port == 2222
    assert loaded.origin("proxy.listen_port") == str(files.system)
    # The user tried to raise the capture level; MDM's value wins and is locked.
    assert loaded.settings.capture.level is CaptureLevel.METADATA
    assert loaded.origin("capture.level") == str(files.managed)
    assert loaded.locked == frozenset({"capture.level"})
    assert loaded.settings.policy.mode is PolicyMode.MONITOR
    assert loaded.origin("policy.mode") == str(files.user)


def test_managed_plist_is_read_on_macos_layout(tmp_path: Path) -> None:
    managed = tmp_path / "com.agentd.plist"
    managed.write_bytes(
        plistlib.dumps({"policy": {"fail_mode": "closed"}, "collector": {"url": "https://c:443"}})
    )
    loaded = load(ConfigFiles(user=None, system=None, managed=managed))
    assert loaded.settings.policy.fail_mode.value == "closed"
    assert loaded.locked == {"policy.fail_mode", "collector.url"}


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("[proxy]\nlisten_port = 70000\n", ["proxy.listen_port = 70000", "less than or equal to 65535"]),
        (
            '[capture]\nlevel = "everything"\n',
            ["capture.level = 'everything'", "'metadata', 'redacted' or 'full'"],
        ),
        ("[proxy]\nlisten_prot = 1\n", ["proxy.listen_prot", "a known key"]),
        ("[nonsense]\na = 1\n", ["unknown section [nonsense]"]),
        ("[proxy]\nlisten_port = \n", ["not valid toml"]),
        ("proxy = 3\n", ["[proxy] must be a table"]),
    ],
)
def test_bad_values_name_file_key_value_and_expectation(
    tmp_path: Path, text: str, fragments: list[str]
) -> None:
    files = _files(tmp_path, system=text)
    with pytest.raises(ConfigError) as info:
        load(files)
    message = str(info.value)
    assert str(files.system) in message
    for fragment in fragments:
        assert fragment in message


def test_token_is_masked_everywhere(tmp_path: Path) -> None:
    token = "enroll-" + "x9" * 12
    files = _files(tmp_path, user=f'[collector]\ntoken = "{token}"\n')
    loaded = load(files)
    rows = {key: value for key, value, _, _ in effective(loaded)}
    assert token not in json.dumps(rows)
    assert loaded.settings.collector.token is not None
    assert loaded.settings.collector.token.get_secret_value() == token
    bad = _files(tmp_path, user="[collector]\ntoken = 5\n")
    with pytest.raises(ConfigError) as info:
        load(bad)
    assert "<hidden>" in str(info.value)


def test_config_show_reports_origins_and_locks_end_to_end(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    home.write_config('[capture]\nlevel = "full"\n')
    system = tmp_path / "system.toml"
    system.write_text('[policy]\nmode = "monitor"\n')
    managed = tmp_path / "managed.toml"
    token = secrets.password("enrollment")
    managed.write_text(f'[capture]\nlevel = "metadata"\n[collector]\ntoken = "{token}"\n')
    result = home.run(
        "config",
        "show",
        "--json",
        env=home.env(AGENTD_SYSTEM_CONFIG=str(system), AGENTD_MANAGED_CONFIG=str(managed)),
    )
    assert result.returncode == 0, result.stderr
    rows = {row["key"]: row for row in map(json.loads, result.stdout.splitlines())}
    assert rows["capture.level"] == {
        "key": "capture.level",
        "value": "metadata",
        "origin": str(managed),
        "locked": True,
    }
    assert rows["policy.mode"]["origin"] == str(system)
    assert rows["paths.state_dir"]["origin"] == str(home.config)
    assert rows["proxy.listen_host"]["origin"] == "default"
    assert rows["collector.token"]["value"] == "**********"
    assert token not in result.stdout


def test_bad_config_exits_78_naming_the_key(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    home.write_config("[spool]\nmax_bytes = -5\n")
    result = home.run("config", "show")
    assert result.returncode == 78
    assert "spool.max_bytes = -5" in result.stderr
    assert str(home.config) in result.stderr
