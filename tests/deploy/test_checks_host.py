import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentd.deploy.checks_host import (
    check_daemon,
    check_file_watches,
    check_keys,
    check_port,
    check_spool_disk,
)
from agentd.deploy.doctor import Status
from tests.deploy.conftest import HostFactory


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port something is listening on for the duration of the test."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def test_daemon(make_host: HostFactory) -> None:
    [down] = check_daemon(make_host())
    assert down.status is Status.FAIL
    assert down.fix is not None
    assert down.fix.startswith("agentd run")
    [up] = check_daemon(make_host(daemon={"pid": 42, "uptime_seconds": 12.4}))
    assert (up.status, up.summary) == (Status.PASS, "running (pid 42, up 12s)")


@pytest.mark.parametrize(
    ("daemon", "status", "text"),
    [
        ({"proxy": {"listen": "127.0.0.1:40000"}}, Status.PASS, "proxy listening on 127.0.0.1:40000"),
        ({"proxy": {"listen": None}}, Status.WARN, "reports no proxy listener"),
        ({}, Status.WARN, "reports no proxy listener"),
    ],
)
def test_port_of_a_running_daemon(
    make_host: HostFactory, daemon: dict[str, object], status: Status, text: str
) -> None:
    [check] = check_port(make_host(daemon=daemon))
    assert check.status is status
    assert text in check.summary


def test_a_port_in_use_is_named_with_its_owner(make_host: HostFactory, busy_port: int) -> None:
    [check] = check_port(make_host(settings={"proxy": {"listen_port": busy_port}}))
    assert check.status is Status.FAIL
    assert f"127.0.0.1:{busy_port} is already in use" in check.summary
    if os.geteuid() == 0:  # only root sees every socket's owner
        assert f"pid {os.getpid()}" in check.summary
    assert check.fix is not None
    assert "listen_port" in check.fix


def test_a_free_port_passes(make_host: HostFactory) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    [check] = check_port(make_host(settings={"proxy": {"listen_port": port}}))
    assert check.status is Status.PASS


@pytest.mark.parametrize(
    ("proxy", "status", "text"),
    [
        ({"listen_port": 0}, Status.PASS, "picks a free port"),
        ({"enabled": False}, Status.PASS, "switched off"),
        ({"listen_host": "192.0.2.10"}, Status.FAIL, "cannot listen on 192.0.2.10"),
    ],
)
def test_port_settings(make_host: HostFactory, proxy: dict[str, object], status: Status, text: str) -> None:
    [check] = check_port(make_host(settings={"proxy": proxy}))
    assert check.status is status
    assert text in check.summary


def _keys(host_state: Path, mode: int = 0o600, dir_mode: int = 0o700) -> Path:
    keys = host_state / "keys"
    keys.mkdir(parents=True)
    for name in ("fingerprint.key", "host.key"):
        (keys / name).write_bytes(b"k" * 32)
        (keys / name).chmod(mode)
    keys.chmod(dir_mode)
    return keys


def test_keys(make_host: HostFactory, tmp_path: Path) -> None:
    [absent] = check_keys(make_host())
    assert absent.status is Status.WARN
    _keys(tmp_path / "state")
    [ok] = check_keys(make_host())
    assert ok.status is Status.PASS
    assert "2 key files" in ok.summary


@pytest.mark.parametrize(
    ("mode", "dir_mode", "problem"),
    [
        (0o644, 0o700, "host.key is 0644"),
        (0o600, 0o755, "keys is 0755"),
        (0o640, 0o750, "fingerprint.key is 0640"),
    ],
)
def test_keys_readable_by_others_fail(
    make_host: HostFactory, tmp_path: Path, mode: int, dir_mode: int, problem: str
) -> None:
    _keys(tmp_path / "state", mode, dir_mode)
    [check] = check_keys(make_host())
    assert check.status is Status.FAIL
    assert problem in check.summary
    assert check.fix is not None
    assert "chmod 600" in check.fix


def test_a_symlinked_key_fails(make_host: HostFactory, tmp_path: Path) -> None:
    keys = _keys(tmp_path / "state")
    (keys / "evil.key").symlink_to("/etc/passwd")
    [check] = check_keys(make_host())
    assert check.status is Status.FAIL
    assert "evil.key is not a regular file" in check.summary


def test_keys_of_another_user_warn(make_host: HostFactory, tmp_path: Path) -> None:
    _keys(tmp_path / "state")
    [check] = check_keys(make_host(euid=os.geteuid() + 4242))
    assert check.status is Status.WARN
    assert "owned by another user" in check.summary


def test_spool_disk(make_host: HostFactory) -> None:
    [ok] = check_spool_disk(make_host())
    assert ok.status is Status.PASS
    assert ok.details["spool_cap_bytes"] == 512 * 1024 * 1024
    [tight] = check_spool_disk(make_host(settings={"spool": {"max_bytes": 10**18}}))
    assert tight.status is Status.WARN
    assert tight.fix is not None
    assert "max_bytes" in tight.fix


def _watches(tmp_path: Path, text: str | None) -> None:
    proc = tmp_path / "root" / "proc" / "sys" / "fs" / "inotify"
    proc.mkdir(parents=True)
    if text is not None:
        (proc / "max_user_watches").write_text(text)


@pytest.mark.parametrize(
    ("content", "status"),
    [
        ("8192\n", Status.WARN),
        ("524288\n", Status.PASS),
        ("65536", Status.PASS),
        ("lots", Status.WARN),
        (None, Status.WARN),
    ],
)
def test_file_watches(make_host: HostFactory, tmp_path: Path, content: str | None, status: Status) -> None:
    _watches(tmp_path, content)
    [check] = check_file_watches(make_host())
    assert check.status is status
    if content == "8192\n":
        assert check.fix is not None
        assert "max_user_watches=524288" in check.fix


def test_file_watches_on_macos(make_host: HostFactory) -> None:
    [check] = check_file_watches(make_host(platform="darwin"))
    assert check.status is Status.PASS
