"""Doctor checks on the host around the daemon: is it running, its port, keys, disk, file watches."""

import contextlib
import errno
import shutil
import socket
import stat
from pathlib import Path

from agentd.deploy.doctor import Check, Host, Status, start_command
from agentd.deploy.endpoint import listen_address

MIN_FREE_BYTES = 64 * 1024 * 1024  # below this the spool cannot even hold a burst
MIN_WATCHES = 65_536  # project roots of a few large repositories


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):,.0f} MiB"


def check_daemon(host: Host) -> list[Check]:
    if host.daemon is None:
        return [
            Check(
                "daemon",
                Status.FAIL,
                f"agentd is not running (no answer on {host.settings.paths.control_socket})",
                fix=start_command(host),
            )
        ]
    uptime = host.daemon.get("uptime_seconds")
    shown = f", up {uptime:.0f}s" if isinstance(uptime, int | float) else ""
    return [Check("daemon", Status.PASS, f"running (pid {host.daemon.get('pid')}{shown})")]


def _port_owner(port: int) -> str | None:
    """Which process listens on ``port``, when this user may see it."""
    import psutil

    with contextlib.suppress(psutil.Error, OSError):
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid:
                return f"pid {conn.pid} ({psutil.Process(conn.pid).name()})"
    return None


def check_port(host: Host) -> list[Check]:
    proxy = host.settings.proxy
    if not proxy.enabled:
        return [Check("port", Status.PASS, "proxy switched off ([proxy] enabled = false)")]
    if host.daemon is not None:
        address = listen_address(host.settings, host.daemon)
        reported = (host.daemon.get("proxy") or {}).get("listen")
        if reported and address:
            return [Check("port", Status.PASS, f"proxy listening on {address[0]}:{address[1]}")]
        return [
            Check(
                "port",
                Status.WARN,
                "agentd runs but reports no proxy listener",
                fix="see `agentd status` and the daemon's log for why the proxy did not start",
            )
        ]
    if proxy.listen_port == 0:
        return [Check("port", Status.PASS, "the proxy picks a free port when it starts (listen_port = 0)")]
    family = socket.AF_INET6 if ":" in proxy.listen_host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((proxy.listen_host, proxy.listen_port))
    except OSError as exc:
        where = f"{proxy.listen_host}:{proxy.listen_port}"
        if exc.errno != errno.EADDRINUSE:
            return [
                Check(
                    "port",
                    Status.FAIL,
                    f"cannot listen on {where}: {exc.strerror}",
                    fix="set [proxy] listen_host to an address of this machine (127.0.0.1)",
                )
            ]
        owner = _port_owner(proxy.listen_port)
        return [
            Check(
                "port",
                Status.FAIL,
                f"{where} is already in use" + (f" by {owner}" if owner else ""),
                fix="stop that process, or set [proxy] listen_port to a free port (0 lets agentd pick one)",
            )
        ]
    return [Check("port", Status.PASS, f"{proxy.listen_host}:{proxy.listen_port} is free for the proxy")]


def check_keys(host: Host) -> list[Check]:
    keys = host.settings.paths.keys_dir
    try:
        directory = keys.stat()
        files = sorted(p for p in keys.iterdir() if not p.name.startswith("."))
    except FileNotFoundError:
        return [
            Check(
                "keys",
                Status.WARN,
                f"no keys yet in {keys}: they are created when agentd first starts",
                fix=start_command(host),
            )
        ]
    except PermissionError:
        return [
            Check(
                "keys", Status.WARN, f"cannot look into {keys} as this user", fix="run `sudo agentd doctor`"
            )
        ]
    unsafe: list[str] = []
    if stat.S_IMODE(directory.st_mode) & 0o077:
        unsafe.append(f"{keys} is {stat.S_IMODE(directory.st_mode):04o}")
    foreign: list[str] = []
    for path in files:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode):
            unsafe.append(f"{path.name} is not a regular file")
        elif stat.S_IMODE(info.st_mode) & 0o077:
            unsafe.append(f"{path.name} is {stat.S_IMODE(info.st_mode):04o}")
        if info.st_uid != host.euid and host.euid != 0:
            foreign.append(path.name)
    if unsafe:
        return [
            Check(
                "keys",
                Status.FAIL,
                "key material readable by others: " + "; ".join(unsafe),
                fix=f"chmod 700 {keys} && chmod 600 {keys}/*",
            )
        ]
    if foreign:
        return [
            Check(
                "keys",
                Status.WARN,
                f"keys owned by another user: {', '.join(foreign)}",
                fix=f"chown them to the user agentd runs as (ls -l {keys})",
            )
        ]
    return [Check("keys", Status.PASS, f"{len(files)} key files in {keys}, owner-only")]


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_spool_disk(host: Host) -> list[Check]:
    paths, cap = host.settings.paths, host.settings.spool.max_bytes
    try:
        used = paths.spool.stat().st_size
    except OSError:
        used = 0
    free = shutil.disk_usage(_existing(paths.state_dir)).free
    needed = max(cap - used, 0)
    details = {"free_bytes": free, "spool_bytes": used, "spool_cap_bytes": cap}
    if free < MIN_FREE_BYTES:
        return [
            Check(
                "spool.disk",
                Status.FAIL,
                f"only {_mib(free)} free for the spool in {paths.state_dir}: events will be dropped",
                fix="free disk space, or move [paths] state_dir to a larger disk",
                details=details,
            )
        ]
    if free < needed:
        return [
            Check(
                "spool.disk",
                Status.WARN,
                f"{_mib(free)} free, less than the spool may grow to ({_mib(cap)})",
                fix="free disk space, or lower [spool] max_bytes",
                details=details,
            )
        ]
    return [
        Check(
            "spool.disk", Status.PASS, f"{_mib(free)} free for a spool capped at {_mib(cap)}", details=details
        )
    ]


def check_file_watches(host: Host) -> list[Check]:
    if host.places.platform == "darwin":
        return [Check("watches", Status.PASS, "FSEvents: no per-user watch limit")]
    path = host.places.system("proc", "sys", "fs", "inotify", "max_user_watches")
    try:
        limit = int(path.read_text().strip())
    except (OSError, ValueError):
        return [Check("watches", Status.WARN, f"cannot read {path}: file watching may be unavailable")]
    if limit < MIN_WATCHES:
        return [
            Check(
                "watches",
                Status.WARN,
                f"inotify max_user_watches is {limit:,}: watching large project trees may run out",
                fix="echo fs.inotify.max_user_watches=524288 | sudo tee /etc/sysctl.d/60-agentd.conf "
                "&& sudo sysctl --system",
                details={"max_user_watches": limit},
            )
        ]
    return [
        Check(
            "watches",
            Status.PASS,
            f"inotify max_user_watches is {limit:,}",
            details={"max_user_watches": limit},
        )
    ]
