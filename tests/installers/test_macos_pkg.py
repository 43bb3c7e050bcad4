"""The macOS package as far as Linux can check it: the payload and scripts layout, the
productbuild distribution, and the MDM profile's keys against agentd's own settings."""

import os
import plistlib
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from agentd.config import load
from agentd.paths import ConfigFiles

REPO = Path(__file__).resolve().parents[2]
MOBILECONFIG = REPO / "installers" / "macos" / "com.agentd.mobileconfig"


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    build = tmp_path_factory.mktemp("pkg") / "build"
    result = subprocess.run(
        [str(REPO / "installers" / "macos" / "build-pkg.sh"), "--layout-only"],
        env={**os.environ, "AGENTD_BUILD_DIR": str(build)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(build)
    return build


@pytest.mark.parametrize(
    ("path", "mode"),
    [
        ("root/Library/LaunchDaemons/com.agentd.daemon.plist", 0o644),
        ("root/opt/agentd/bin/agentd", 0o755),
        ("root/opt/agentd/libexec/agentd-ca-trust", 0o755),
        ("root/opt/agentd/libexec/uninstall", 0o755),
        ("scripts/preinstall", 0o755),
        ("scripts/postinstall", 0o755),
    ],
)
def test_layout(layout: Path, path: str, mode: int) -> None:
    assert (layout / path).is_file()
    assert (layout / path).stat().st_mode & 0o777 == mode


def test_the_payload_holds_only_agentds_places(layout: Path) -> None:
    assert sorted(p.name for p in (layout / "root").iterdir()) == ["Library", "opt"]


def test_the_daemon_it_bootstraps_runs_the_launcher(layout: Path) -> None:
    daemon = plistlib.loads((layout / "root/Library/LaunchDaemons/com.agentd.daemon.plist").read_bytes())
    assert daemon["ProgramArguments"] == ["/opt/agentd/bin/agentd", "run"]
    postinstall = (layout / "scripts/postinstall").read_text()
    assert 'launchctl bootstrap system "$PLIST"' in postinstall
    assert "agentd-ca-trust install" in postinstall
    assert "integrate --system --agent all" in postinstall
    assert (
        "add-trusted-cert -d -r trustRoot" in (layout / "root/opt/agentd/libexec/agentd-ca-trust").read_text()
    )
    assert "--uninstall" in (layout / "root/opt/agentd/libexec/uninstall").read_text()
    launcher = (layout / "root/opt/agentd/bin/agentd").read_text()
    assert "AGENTD_BIN=/opt/agentd/bin/agentd" in launcher
    assert 'exec /opt/agentd/python/bin/python3 -I -B -m agentd "$@"' in launcher


def test_the_distribution_names_the_component_and_version(layout: Path) -> None:
    root = ET.parse(layout / "distribution.xml").getroot()
    assert root.tag == "installer-gui-script"
    [ref] = [r for r in root.iter("pkg-ref") if r.text]
    assert ref.text == "agentd-component.pkg"
    version = ref.get("version")
    assert version
    assert "@" not in version
    options = root.find("options")
    assert options is not None
    assert options.get("hostArchitectures") == "arm64,x86_64"
    assert "@" not in (layout / "distribution.xml").read_text()


def test_a_full_build_needs_macos(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(REPO / "installers" / "macos" / "build-pkg.sh")],
        env={**os.environ, "AGENTD_BUILD_DIR": str(tmp_path / "b")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "only on macOS" in result.stderr


def _profile() -> dict[str, Any]:
    profile = plistlib.loads(MOBILECONFIG.read_bytes())
    assert isinstance(profile, dict)
    return profile


def _forced_settings(profile: dict[str, Any]) -> dict[str, Any]:
    [payload] = profile["PayloadContent"]
    assert payload["PayloadType"] == "com.apple.ManagedClient.preferences"
    [forced] = payload["PayloadContent"]["com.agentd"]["Forced"]
    settings = forced["mcx_preference_settings"]
    assert isinstance(settings, dict)
    return settings


def test_the_profile_is_a_system_configuration_profile() -> None:
    profile = _profile()
    assert profile["PayloadType"] == "Configuration"
    assert profile["PayloadScope"] == "System"
    uuids = [profile["PayloadUUID"], profile["PayloadContent"][0]["PayloadUUID"]]
    assert len(set(uuids)) == 2
    assert all(len(u) == 36 for u in uuids)


def test_the_profile_keys_are_agentds_managed_settings(tmp_path: Path) -> None:
    # What macOS writes to /Library/Managed Preferences/com.agentd.plist is the forced dict;
    # agentd's loader must accept it and lock exactly those keys.
    managed = tmp_path / "com.agentd.plist"
    managed.write_bytes(plistlib.dumps(_forced_settings(_profile())))
    loaded = load(ConfigFiles(user=None, system=None, managed=managed))
    assert loaded.locked == {"collector.url", "collector.token", "policy.mode", "policy.fail_mode"}
    settings = loaded.settings
    assert settings.collector.url == "https://collector.example.com:443"
    assert settings.collector.token is not None
    assert settings.collector.token.get_secret_value() == "REPLACE_WITH_ENROLLMENT_TOKEN"
    assert (settings.policy.mode.value, settings.policy.fail_mode.value) == ("enforce", "open")
