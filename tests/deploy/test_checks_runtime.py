import dataclasses

import pytest

from agentd.config import LoadedSettings, Settings
from agentd.deploy.checks_runtime import (
    check_config,
    check_dependencies,
    check_python,
    parse_requirement,
    release,
    satisfies,
)
from agentd.deploy.doctor import Status
from tests.deploy.conftest import HostFactory


@pytest.mark.parametrize(
    ("version", "specifier", "ok"),
    [
        ("12.2.3", ">=12.2.3,<12.3", True),
        ("12.3.0", ">=12.2.3,<12.3", False),
        ("12.2.2", ">=12.2.3,<12.3", False),
        ("48.0.1", ">=44", True),
        ("1.2", "==1.2.0", True),
        ("1.2.1", "==1.2.*", True),
        ("1.3.0", "==1.2.*", False),
        ("1.3.0", "!=1.2.*", True),
        ("2.2.0", "~=2.1", True),
        ("3.0.0", "~=2.1", False),
        ("2.1.5", "~=2.1.3", True),
        ("2.2.0", "~=2.1.3", False),
        ("0.9.1", ">0.9", True),
        ("0.9", "<=0.9.0", True),
        ("5.0", "!=5.0.0", False),
        ("12.2.3rc1", ">=12.2.3", True),  # pre-releases count as their release: lenient by design
        ("1.0", "", True),
        ("1.0", ">= 1.0 , < 2", True),
        ("1.0", "=>1.0", False),
        ("1.0", ">=one", False),
    ],
)
def test_satisfies(version: str, specifier: str, ok: bool) -> None:
    assert satisfies(version, specifier) is ok


@pytest.mark.parametrize(
    ("version", "parts"),
    [("12.2.3", (12, 2, 3)), ("2.0.0b1", (2, 0, 0)), ("2026.10.18", (2026, 10, 18)), ("dev", ()), ("", ())],
)
def test_release(version: str, parts: tuple[int, ...]) -> None:
    assert release(version) == parts


@pytest.mark.parametrize(
    ("line", "parsed"),
    [
        ("mitmproxy<12.3,>=12.2.3", ("mitmproxy", "<12.3,>=12.2.3", None)),
        ("psycopg[binary]>=3.2", ("psycopg", ">=3.2", None)),
        ("typer (>=0.15)", ("typer", ">=0.15", None)),
        ("pywin32; sys_platform == 'win32'", ("pywin32", "", "sys_platform == 'win32'")),
        ("plain", ("plain", "", None)),
        ("", None),
        ("!!!", None),
    ],
)
def test_parse_requirement(line: str, parsed: tuple[str, str, str | None] | None) -> None:
    assert parse_requirement(line) == parsed


def test_python_versions(make_host: HostFactory) -> None:
    [ok] = check_python(make_host())
    assert ok.status is Status.PASS
    [old] = check_python(make_host(python=(3, 11, 9)))
    assert old.status is Status.FAIL
    assert "3.11.9" in old.summary
    assert old.fix is not None


def test_dependencies_of_this_installation_are_as_locked(make_host: HostFactory) -> None:
    checks = check_dependencies(make_host())
    assert checks[0].name == "dependencies"
    assert checks[0].status is Status.PASS, checks[0].summary
    assert "mitmproxy" in checks[0].details


def test_config_error_is_a_failed_check_not_an_exit(make_host: HostFactory) -> None:
    host = make_host(
        loaded=None, config_error="/etc/agentd/agentd.toml: proxy.listen_port = -1: expected >= 0"
    )
    [check] = check_config(host)
    assert check.status is Status.FAIL
    assert "listen_port" in check.summary


def test_config_reports_files_and_locked_keys(make_host: HostFactory) -> None:
    host = make_host()
    assert check_config(host)[0].summary == "settings valid (built-in defaults only)"
    loaded = LoadedSettings(
        settings=Settings(),
        origins={"policy.mode": "/etc/agentd/managed.toml"},
        locked=frozenset({"policy.mode"}),
    )
    [check] = check_config(dataclasses.replace(host, loaded=loaded))
    assert check.status is Status.PASS
    assert "/etc/agentd/managed.toml" in check.summary
    assert "1 keys locked" in check.summary
    assert check.details["locked"] == ["policy.mode"]
