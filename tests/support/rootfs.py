"""A throwaway root filesystem: a copy-on-write overlay of this machine's / in private mount
and network namespaces, entered with chroot.

Installing a package inside it runs the real dpkg, adduser and update-ca-certificates, yet
nothing reaches the host: every write lands in a tmpfs "upper" layer that vanishes when the
sandbox stops, and the private network namespace has only its own loopback (its ports do not
clash with anything on the host). ``changes()`` lists exactly what differs from the host.
Needs root and util-linux's unshare/nsenter; no systemd, no container engine.
"""

import os
import signal
import stat
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

from tests.support.agentd_env import wait_until

WORK = "/.agentd-sandbox"  # inside the holder's namespace, on a tmpfs
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

_SETUP = """
set -eu
mkdir -p {work}
mount -t tmpfs -o size=4g,mode=0755 agentd-sandbox {work}
mkdir {work}/upper {work}/work {work}/root
mount -t overlay overlay -o lowerdir=/,upperdir={work}/upper,workdir={work}/work {work}/root
mount -t proc proc {work}/root/proc
mount --rbind /dev {work}/root/dev
mount --rbind /sys {work}/root/sys
mount -t tmpfs -o mode=0755 tmpfs {work}/root/run
mount -t tmpfs -o mode=1777 tmpfs {work}/root/tmp
for hidden in {hidden}; do
  if [ -d "{work}/root$hidden" ]; then mount -t tmpfs -o mode=0755 tmpfs "{work}/root$hidden"; fi
done
ip link set lo up
echo ready
exec sleep infinity
"""


@dataclass(frozen=True)
class Change:
    path: str  # absolute, as seen inside the sandbox
    kind: str  # "added", "modified", "removed"


class Sandbox:
    def __init__(self, holder: "subprocess.Popen[str]", pid: int) -> None:
        self._holder = holder
        self.pid = pid  # the namespace holder, as seen from the host

    @property
    def root(self) -> Path:
        """The sandbox's / as the host can reach it (through the holder's mount namespace)."""
        return Path(f"/proc/{self.pid}/root{WORK}/root")

    @property
    def upper(self) -> Path:
        return Path(f"/proc/{self.pid}/root{WORK}/upper")

    def _enter(self, argv: Sequence[str], user: str | None, env: dict[str, str] | None) -> list[str]:
        environment = {"PATH": PATH, "HOME": "/root", "LANG": "C.UTF-8", **(env or {})}
        command = ["env", "-i", *(f"{k}={v}" for k, v in environment.items()), *argv]
        if user is not None:
            command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", *command]
        return ["nsenter", "-t", str(self.pid), "-m", "-n", "--", "chroot", f"{WORK}/root", *command]

    def run(
        self,
        *argv: str,
        user: str | None = None,
        env: dict[str, str] | None = None,
        check: bool = True,
        timeout: float = 300,
    ) -> "subprocess.CompletedProcess[str]":
        """Run a command inside; ``check`` raises with its output when it fails."""
        result = subprocess.run(
            self._enter(argv, user, env), capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and result.returncode != 0:
            output = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            raise AssertionError(f"{' '.join(argv)} exited {result.returncode}\n{output}")
        return result

    def popen(
        self, *argv: str, user: str | None = None, env: dict[str, str] | None = None
    ) -> "subprocess.Popen[str]":
        return subprocess.Popen(
            self._enter(argv, user, env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def changes(self, ignore: Sequence[str] = ()) -> list[Change]:
        """What the sandbox's / has that the host's does not: files added, changed or removed
        (an overlay whiteout), directories added. Paths under ``ignore`` prefixes are skipped."""
        found: list[Change] = []
        upper = self.upper
        for directory, dirnames, filenames in os.walk(upper):
            for name in [*dirnames, *filenames]:
                full = Path(directory) / name
                inside = "/" + str(full.relative_to(upper))
                if any(inside == p or inside.startswith(p.rstrip("/") + "/") for p in ignore):
                    continue
                info = full.lstat()
                host = Path(inside)
                if stat.S_ISCHR(info.st_mode) and info.st_rdev == 0:
                    found.append(Change(inside, "removed"))
                elif not os.path.lexists(host):
                    found.append(Change(inside, "added"))
                elif stat.S_ISDIR(info.st_mode):
                    if stat.S_IMODE(info.st_mode) != stat.S_IMODE(host.lstat().st_mode):
                        found.append(Change(inside, "modified"))
                elif stat.S_ISLNK(info.st_mode):
                    if not host.is_symlink() or os.readlink(full) != os.readlink(host):
                        found.append(Change(inside, "modified"))
                elif not host.is_file() or full.read_bytes() != host.read_bytes():
                    found.append(Change(inside, "modified"))
        return sorted(found, key=lambda c: c.path)

    def kill_all(self) -> None:
        """Stop every process still running inside (they share the holder's mount namespace)."""
        namespace = os.readlink(f"/proc/{self.pid}/ns/mnt")
        for process in psutil.process_iter():
            if process.pid in (self.pid, os.getpid()):
                continue
            try:
                if os.readlink(f"/proc/{process.pid}/ns/mnt") == namespace:
                    process.kill()
            except (OSError, psutil.Error):
                continue


@contextmanager
def sandbox(hide: Sequence[str] = ()) -> Iterator[Sandbox]:
    """A fresh sandbox; ``hide`` lists host directories to cover with an empty tmpfs inside
    (e.g. the build machine's Python prefix, to prove a package does not need it)."""
    script = _SETUP.format(work=WORK, hidden=" ".join(f'"{h}"' for h in hide) or '""')
    holder = subprocess.Popen(
        ["unshare", "--mount", "--net", "--propagation", "private", "--", "sh", "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    line = holder.stdout.readline()
    if line.strip() != "ready":
        holder.kill()
        _, err = holder.communicate()
        raise AssertionError(f"the sandbox did not start: {line}{err}")
    box = Sandbox(holder, holder.pid)
    try:
        yield box
    finally:
        box.kill_all()
        holder.send_signal(signal.SIGKILL)
        holder.communicate()
        wait_until(lambda: holder.poll() is not None, 30, "the sandbox holder to exit")
