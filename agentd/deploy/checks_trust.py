"""Doctor checks on trust: agentd's CA (present, valid, private key private, trusted by the OS)
and the collector (reachable, and its TLS certificate verifies)."""

import socket
import ssl
import stat
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from agentd.deploy import ca_files
from agentd.deploy.doctor import Check, Host, Status, start_command

EXPIRY_WARNING = timedelta(days=30)
LINUX_TRUST_TOOL = Path("/opt/agentd/libexec/agentd-ca-trust")
COLLECTOR_TIMEOUT = 3.0
SYSTEM_KEYCHAIN = "/Library/Keychains/System.keychain"


def readable_cert(host: Host) -> Path | None:
    """agentd's CA certificate as this user can read it: the state copy, else the public copy."""
    for candidate in (
        ca_files.state_cert(host.settings.paths),
        ca_files.public_cert(host.places.platform, host.places.root),
    ):
        try:
            candidate.read_bytes()
        except OSError:
            continue
        return candidate
    return None


def check_ca(host: Host) -> list[Check]:
    cert_path = readable_cert(host)
    state = ca_files.state_cert(host.settings.paths)
    if cert_path is None:
        status = Status.FAIL if host.daemon is not None and host.settings.proxy.enabled else Status.WARN
        return [
            Check(
                "ca",
                status,
                f"no CA certificate at {state}: the proxy creates it when it first starts",
                fix=start_command(host),
            )
        ]
    try:
        cert = ca_files.load_certificate(cert_path)
    except ValueError as exc:
        return [
            Check(
                "ca",
                Status.FAIL,
                f"{cert_path} is not a PEM certificate ({exc})",
                fix=f"move {cert_path.parent} aside and restart agentd to create a new CA",
            )
        ]
    checks = [_validity(host, cert_path, cert.not_valid_before_utc, cert.not_valid_after_utc)]
    key = ca_files.state_key(host.settings.paths)
    try:
        mode = stat.S_IMODE(key.stat().st_mode)
    except OSError:
        mode = None  # not there, or not ours to see (a system install looked at by a user)
    if mode is not None and mode & 0o077:
        checks.append(
            Check("ca.key", Status.FAIL, f"the CA private key {key} is {mode:04o}", fix=f"chmod 600 {key}")
        )
    return checks


def _validity(host: Host, path: Path, not_before: datetime, not_after: datetime) -> Check:
    details = {"path": str(path), "not_after": not_after.isoformat()}
    renew = f"move {path.parent} aside and restart agentd, then re-run the CA trust step"
    if not_after <= host.now:
        return Check(
            "ca", Status.FAIL, f"the CA at {path} expired on {not_after:%Y-%m-%d}", fix=renew, details=details
        )
    if not_before > host.now:
        return Check(
            "ca", Status.FAIL, f"the CA at {path} is not valid yet: check the clock", details=details
        )
    if not_after - host.now < EXPIRY_WARNING:
        return Check(
            "ca", Status.WARN, f"the CA at {path} expires on {not_after:%Y-%m-%d}", fix=renew, details=details
        )
    return Check("ca", Status.PASS, f"{path}, valid until {not_after:%Y-%m-%d}", details=details)


def check_ca_trust(host: Host) -> list[Check]:
    cert_path = readable_cert(host)
    if cert_path is None:
        return []  # check_ca already says what is missing
    if host.places.platform == "darwin":
        return [_macos_trust(cert_path)]
    ours = ca_files.fingerprints(cert_path.read_bytes())
    bundle = host.trust_bundle
    trusted = bundle is not None and bool(ours & ca_files.fingerprints(bundle.read_bytes()))
    if trusted:
        return [Check("ca.trust", Status.PASS, f"trusted by the system store ({bundle})")]
    if LINUX_TRUST_TOOL.exists():
        fix = f"sudo {LINUX_TRUST_TOOL} install"
    else:
        public = ca_files.public_cert("linux")
        fix = f"sudo cp {cert_path} {public} && sudo update-ca-certificates"
    return [
        Check(
            "ca.trust",
            Status.WARN,
            "not in the system trust store: agents relying on it (Codex) reject agentd's certificates",
            fix=fix,
        )
    ]


def _macos_trust(cert_path: Path) -> Check:
    try:
        verified = subprocess.run(
            ["security", "verify-cert", "-c", str(cert_path), "-p", "ssl"],
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Check("ca.trust", Status.WARN, f"cannot ask the keychain: {exc}")
    if verified.returncode == 0:
        return Check("ca.trust", Status.PASS, "trusted by the System keychain")
    return Check(
        "ca.trust",
        Status.WARN,
        "not trusted by the System keychain: agents relying on it reject agentd's certificates",
        fix=f'sudo security add-trusted-cert -d -r trustRoot -k {SYSTEM_KEYCHAIN} "{cert_path}"',
    )


def collector_address(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of ``[collector] url``; a bare ``host:port`` means TLS."""
    parts = urlsplit(url if "://" in url else f"https://{url}")
    if not parts.hostname:
        raise ValueError(f"no host in {url!r}")
    port = parts.port or (443 if parts.scheme in ("https", "grpcs") else 80)
    return parts.scheme, parts.hostname, port


def check_collector(host: Host) -> list[Check]:
    collector = host.settings.collector
    if not collector.url:
        return [
            Check(
                "collector",
                Status.WARN,
                "no collector configured: events stay on this host",
                fix="set [collector] url and token (MDM or /etc/agentd/agentd.toml), then `agentd enroll`",
            )
        ]
    try:
        scheme, name, port = collector_address(collector.url)
    except ValueError as exc:
        return [
            Check(
                "collector",
                Status.FAIL,
                f"[collector] url is unusable: {exc}",
                fix="set it to https://HOST:PORT",
            )
        ]
    where = f"{name}:{port}"
    try:
        context = ssl.create_default_context(cafile=str(collector.ca) if collector.ca else None)
        if collector.client_cert:
            context.load_cert_chain(collector.client_cert, collector.client_key)
    except (OSError, ssl.SSLError) as exc:
        return [
            Check(
                "collector",
                Status.FAIL,
                f"cannot load the collector CA or client certificate: {exc}",
                fix="check the files named by [collector] ca, client_cert and client_key",
            )
        ]
    try:
        with socket.create_connection((name, port), timeout=COLLECTOR_TIMEOUT) as raw:
            if scheme in ("http", "grpc"):
                return [
                    Check(
                        "collector",
                        Status.WARN,
                        f"{where} reachable without TLS: only for tests on loopback",
                        fix="use an https:// collector url",
                    )
                ]
            with context.wrap_socket(raw, server_hostname=name) as tls:
                version = tls.version()
    except ssl.SSLCertVerificationError as exc:
        return [
            Check(
                "collector",
                Status.FAIL,
                f"{where}: the collector's certificate does not verify ({exc.verify_message})",
                fix="set [collector] ca to the PEM file of the CA that issued the collector's certificate",
            )
        ]
    except ssl.SSLError as exc:
        return [
            Check(
                "collector",
                Status.FAIL,
                f"{where}: TLS failed ({exc.reason or exc})",
                fix="check the url's port",
            )
        ]
    except socket.gaierror:
        return [
            Check("collector", Status.FAIL, f"cannot resolve {name}", fix="check [collector] url and DNS")
        ]
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return [
            Check(
                "collector",
                Status.FAIL,
                f"{where} unreachable: {reason}",
                fix="check the network path (VPN, firewall) to the collector",
            )
        ]
    return [Check("collector", Status.PASS, f"{where} reachable over {version}")]
