"""The .deb on a real Debian root: install, run the service as its unit would, purge, and
prove purge leaves nothing behind.

It runs in a copy-on-write overlay of this machine's / (tests/support/rootfs.py): the real
dpkg, adduser and update-ca-certificates run, the build machine's Python prefix is hidden
so the package has to bring its own, and nothing reaches the host. There is no systemd in
CI, so the test does what the unit does: create its runtime directory, start ExecStart as
User= with its UMask, then run ExecStartPost.
"""

import json
import os
import shlex
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from tests.support.agentd_env import wait_until
from tests.support.rootfs import Change, Sandbox, sandbox
from tests.support.units import parse_unit

pytestmark = pytest.mark.slow

UNIT = "/lib/systemd/system/agentd.service"
ADMIN_MANAGED = {"permissions": {"deny": ["Read(~/.ssh/**)"]}, "cleanupPeriodDays": 14}

# Files that change whenever any package is installed and removed: dpkg's journal, the
# backups shadow-utils keeps of the account files, and the Java keystore that
# ca-certificates-java regenerates (with fresh timestamps) after every trust store change.
BOOKKEEPING = {
    "/var/log/dpkg.log",
    "/var/lib/dpkg/status",
    "/var/lib/dpkg/status-old",
    "/etc/passwd-",
    "/etc/group-",
    "/etc/shadow-",
    "/etc/gshadow-",
    "/etc/ssl/certs/java/cacerts",
}
VOLATILE = ["/tmp", "/run", "/proc", "/sys", "/dev", "/var/cache/debconf", "/var/lib/dpkg/triggers"]


def _json(box: Sandbox, *argv: str) -> object:
    return json.loads(box.run(*argv).stdout)


def _start_as_the_unit_does(box: Sandbox) -> "subprocess.Popen[str]":
    unit = parse_unit(box.root / UNIT.lstrip("/"))
    user = unit["Service.User"][0]
    runtime = "/run/" + unit["Service.RuntimeDirectory"][0]
    box.run("install", "-d", "-m", unit["Service.RuntimeDirectoryMode"][0], "-o", user, "-g", user, runtime)
    box.run("test", "-d", "/var/lib/" + unit["Service.StateDirectory"][0])
    command = unit["Service.ExecStart"][0]
    umask = unit["Service.UMask"][0]
    return box.popen("sh", "-c", f"umask {umask}; exec {command}", user=user, env={"HOME": "/var/lib/agentd"})


def _running(box: Sandbox) -> bool:
    return box.run("agentd", "status", "--json", check=False).returncode == 0


def test_install_run_and_purge_leave_the_machine_as_it_was(
    deb_package: Path, bundled_python_prefix: str
) -> None:
    with sandbox(hide=[bundled_python_prefix]) as box:
        # A fresh machine: no agentd state; an admin's own Claude Code managed settings.
        box.run("rm", "-rf", "/var/lib/agentd", "/etc/agentd", "/opt/agentd")
        managed = box.root / "etc" / "claude-code" / "managed-settings.json"
        box.run("mkdir", "-p", "/etc/claude-code")
        managed.write_text(json.dumps(ADMIN_MANAGED, indent=2) + "\n")
        admin_bytes = managed.read_bytes()
        box.run("update-ca-certificates", "--fresh")
        before = set(box.changes(ignore=VOLATILE))
        box.run("mkdir", "/tmp/pkg")
        shutil.copy(deb_package, box.root / "tmp" / "pkg" / deb_package.name)

        # --- install ---------------------------------------------------------------------
        box.run("dpkg", "-i", f"/tmp/pkg/{deb_package.name}")
        assert box.run("agentd", "--version").stdout.startswith("agentd "), "runs without the build's Python"
        account = box.run("getent", "passwd", "agentd").stdout.strip().split(":")
        assert (account[5], account[6]) == ("/var/lib/agentd", "/usr/sbin/nologin")
        state = box.run("stat", "-c", "%U %a", "/var/lib/agentd").stdout.split()
        assert state == ["agentd", "700"]
        merged = json.loads(managed.read_text())
        assert merged["permissions"] == ADMIN_MANAGED["permissions"], "the admin's settings are kept"
        assert merged["env"]["HTTPS_PROXY"] == "http://127.0.0.1:8899"
        assert merged["env"]["NODE_EXTRA_CA_CERTS"] == "/usr/local/share/ca-certificates/agentd-ca.crt"
        assert merged["hooks"]["PreToolUse"][0]["hooks"][0]["command"] == "/usr/bin/agentd hook claude-code"
        assert "/usr/bin/agentd hook codex" in (box.root / "etc/codex/requirements.toml").read_text()
        assert "agentd hook gemini-cli" in (box.root / "etc/gemini-cli/settings.json").read_text()
        wants = box.root / "etc/systemd/system/multi-user.target.wants/agentd.service"
        assert os.readlink(wants) == UNIT, "enabled for the next boot"
        # The CA is created at install (as the service user) and trusted system-wide.
        ca_owner = box.run("stat", "-c", "%U %a", "/var/lib/agentd/ca/mitmproxy-ca.pem").stdout.split()
        assert ca_owner == ["agentd", "600"]
        public = (box.root / "usr/local/share/ca-certificates/agentd-ca.crt").read_bytes()
        assert public in (box.root / "etc/ssl/certs/ca-certificates.crt").read_bytes()
        verify = box.run("systemd-analyze", "verify", UNIT, check=False)
        assert verify.returncode == 0, verify.stderr
        assert "agentd.service" not in verify.stderr, verify.stderr

        # --- run as the unit would ---------------------------------------------------------
        daemon = _start_as_the_unit_does(box)
        try:
            wait_until(lambda: daemon.poll() is not None or _running(box), 120, "the service to answer")
            assert daemon.poll() is None, daemon.communicate()[1][-3000:]
            status = _json(box, "agentd", "status", "--json")
            assert isinstance(status, dict)
            assert status["state"] == "running"
            box.run(
                *shlex.split(parse_unit(box.root / UNIT.lstrip("/"))["Service.ExecStartPost"][0].lstrip("+"))
            )
            doctor = [
                json.loads(line)
                for line in box.run("agentd", "doctor", "--json", check=False).stdout.splitlines()
            ]
            verdicts = {c["check"]: c["status"] for c in doctor}
            assert verdicts["daemon"] == "pass"
            assert verdicts["ca"] == "pass"
            assert verdicts["ca.trust"] == "pass"
            assert verdicts["config"] == "pass"
            os.kill(int(status["pid"]), signal.SIGTERM)
            _, stderr = daemon.communicate(timeout=60)
            assert daemon.returncode == 0, stderr[-3000:]
        finally:
            if daemon.poll() is None:
                daemon.kill()
                daemon.communicate()

        # --- purge -------------------------------------------------------------------------
        box.run("dpkg", "--purge", "agentd")
        box.run("rm", "-rf", "/tmp/pkg")
        assert box.run("getent", "passwd", "agentd", check=False).returncode == 2
        assert box.run("getent", "group", "agentd", check=False).returncode == 2
        assert managed.read_bytes() == admin_bytes, "the admin's managed settings are restored exactly"
        after = set(box.changes(ignore=VOLATILE))
        left = sorted((after - before) | (before - after), key=lambda c: c.path)
        assert [c for c in left if c.path not in BOOKKEEPING] == [], "purge left these behind"
        assert Change("/usr/bin/agentd", "added") not in after
