"""What the .deb contains, read with dpkg-deb: files, control fields, maintainer scripts."""

import re
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _dpkg_deb(*args: str) -> str:
    return subprocess.run(["dpkg-deb", *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def contents(deb_package: Path) -> dict[str, str]:
    """path -> the `dpkg-deb -c` line (mode, owner, size, target)."""
    listing: dict[str, str] = {}
    for line in _dpkg_deb("-c", str(deb_package)).splitlines():
        path = line.split(maxsplit=5)[5].split(" -> ")[0].removeprefix(".")
        listing[path.rstrip("/") or "/"] = line
    return listing


@pytest.fixture(scope="module")
def control_dir(deb_package: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("control")
    subprocess.run(["dpkg-deb", "-e", str(deb_package), str(directory)], check=True)
    return directory


def test_the_package_is_named_for_its_version_and_architecture(deb_package: Path) -> None:
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True)
    assert re.fullmatch(rf"agentd_[0-9][^_]*_{arch.stdout.strip()}\.deb", deb_package.name)


@pytest.mark.parametrize(
    ("path", "mode"),
    [
        ("/usr/bin/agentd", "lrwxrwxrwx"),
        ("/opt/agentd/bin/agentd", "-rwxr-xr-x"),
        ("/opt/agentd/libexec/agentd-ca-trust", "-rwxr-xr-x"),
        ("/lib/systemd/system/agentd.service", "-rw-r--r--"),
        ("/etc/agentd/agentd.toml", "-rw-r--r--"),
        ("/usr/share/doc/agentd/copyright", "-rw-r--r--"),
        ("/opt/agentd/python/bin/python3", "lrwxrwxrwx"),
    ],
)
def test_expected_files(contents: dict[str, str], path: str, mode: str) -> None:
    assert path in contents, f"{path} missing from the package"
    assert contents[path].startswith(mode)
    assert " root/root " in contents[path]


def test_the_runtime_agentd_and_its_locked_dependencies_are_under_opt(contents: dict[str, str]) -> None:
    paths = list(contents)
    site = [p for p in paths if "/site-packages/" in p]
    assert any(p.endswith("/site-packages/agentd/__main__.py") for p in site)
    for dependency in ("mitmproxy", "cryptography", "pydantic", "grpc", "hyperscan", "cedarpy"):
        assert any(f"/site-packages/{dependency}/" in p for p in site), dependency
    assert any(re.search(r"/opt/agentd/python/bin/python3\.1[2-9]$", p) for p in paths)
    assert any(p.endswith(".pyc") and "/site-packages/agentd/" in p for p in paths), "bytecode ships compiled"
    outside = {p.split("/")[1] for p in paths if p != "/"}
    assert outside == {"etc", "lib", "opt", "usr"}
    stdlib_extras = re.compile(r"/lib/python3\.\d+/(test|idlelib|tkinter|turtledemo|ensurepip|lib2to3)/")
    assert not [p for p in paths if stdlib_extras.search(p)]
    assert not [p for p in paths if "_sandboxing" in p], "nothing of the build machine's own setup"
    for dev_only in ("mypy", "ruff", "pytest", "hypothesis", "grpc_tools"):
        assert not any(f"/site-packages/{dev_only}/" in p for p in site), f"{dev_only} is a dev dependency"


def test_control_fields(deb_package: Path) -> None:
    fields = dict(re.findall(r"^([A-Za-z-]+): (.*)$", _dpkg_deb("-f", str(deb_package)), flags=re.MULTILINE))
    assert fields["Package"] == "agentd"
    depends = [d.strip() for d in fields["Depends"].split(",")]
    for needed in ("adduser", "ca-certificates", "passwd", "libc6", "libssl3"):
        assert any(d.split()[0] == needed for d in depends), needed
    assert int(fields["Installed-Size"]) > 10_000


def test_maintainer_scripts_and_conffiles(control_dir: Path) -> None:
    for script in ("postinst", "prerm", "postrm"):
        path = control_dir / script
        assert path.stat().st_mode & 0o111
        assert path.read_text().startswith("#!/bin/sh\n")
    assert (control_dir / "conffiles").read_text() == "/etc/agentd/agentd.toml\n"
    postinst = (control_dir / "postinst").read_text()
    for step in ("adduser --system", "integrate --system", "agentd-ca-trust install", "deb-systemd-helper"):
        assert step in postinst
    assert "--uninstall" in (control_dir / "prerm").read_text()
    assert "rm -rf /var/lib/agentd" in (control_dir / "postrm").read_text()


def test_maintainer_scripts_pass_shellcheck(control_dir: Path) -> None:
    scripts = [str(control_dir / s) for s in ("postinst", "prerm", "postrm")]
    result = subprocess.run(
        ["shellcheck", "--shell=sh", *scripts], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout


def test_the_launcher_isolates_its_python(deb_package: Path, tmp_path: Path) -> None:
    subprocess.run(["dpkg-deb", "-x", str(deb_package), str(tmp_path)], check=True)
    launcher = (tmp_path / "opt" / "agentd" / "bin" / "agentd").read_text()
    assert re.search(r"exec /opt/agentd/python/bin/python3\.1[2-9] -I -B -m agentd \"\$@\"", launcher)
    assert "AGENTD_BIN=/usr/bin/agentd" in launcher
    for script in (tmp_path / "opt" / "agentd" / "python" / "bin").iterdir():
        if script.is_file() and not script.is_symlink() and script.read_bytes()[:2] == b"#!":
            first = script.read_text().splitlines()[0]
            assert first.startswith("#!/opt/agentd/python/bin/python"), f"{script.name}: {first}"
