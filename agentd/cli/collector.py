"""`agentd collector …`: run the collector and administer its database.

Every read command prints JSON Lines with ``--json``; ``--db`` takes ``sqlite:///PATH`` or
``postgresql://…`` and defaults to a SQLite file in the collector's state directory.
"""

import asyncio
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from agentd.cli.context import err_console, state
from agentd.errors import AgentdError, ConfigError

if TYPE_CHECKING:
    from agentd.collector.store import SqlStore

app = typer.Typer(help="Run the central collector and query what hosts sent it.", no_args_is_help=True)
token_app = typer.Typer(help="Enrollment tokens.", no_args_is_help=True)
policy_app = typer.Typer(help="Signed policy bundles.", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(policy_app, name="policy")

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="sqlite:///PATH or postgresql://… (default: SQLite in the state dir)"),
]
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON Lines")]
HostOption = Annotated[str | None, typer.Option("--host", help="only this host id")]
SinceOption = Annotated[
    str | None, typer.Option("--since", help="ISO time (2026-01-31T12:00Z) or an age: 15m, 24h, 7d")
]


def _state_dir(ctx: typer.Context) -> Path:
    return state(ctx).settings().settings.paths.state_dir / "collector"


def _open(ctx: typer.Context, db: str | None) -> "SqlStore":
    from agentd.collector.runtime import default_db_url
    from agentd.collector.store import open_store

    url = db or default_db_url(_state_dir(ctx))
    try:
        return open_store(url)
    except AgentdError as exc:
        _fail(str(exc), 2)


def _now() -> datetime:
    from agentd.clock import SystemClock

    return SystemClock().now()


def _fail(message: str, code: int) -> NoReturn:
    err_console.print(f"[red]agentd collector:[/red] {escape(message)}", markup=True, highlight=False)
    raise typer.Exit(code)


_AGE = re.compile(r"^(\d+)([smhd])$")


def parse_since(value: str | None, now: datetime) -> datetime | None:
    """``15m`` / ``24h`` / ``7d`` ago, or an ISO-8601 time (UTC when no zone is given)."""
    if value is None:
        return None
    if match := _AGE.match(value.strip()):
        unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
        return now - timedelta(**{unit: int(match.group(1))})
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"{value!r}: expected an ISO time or an age like 24h") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _print_lines(objects: Iterable[dict[str, Any]]) -> None:
    for obj in objects:
        print(json.dumps(obj, separators=(",", ":"), ensure_ascii=False, default=str))


# ---- serve ----------------------------------------------------------------------------------


@app.command("serve")
def serve(
    ctx: typer.Context,
    listen: Annotated[
        str, typer.Option("--listen", help="HOST:PORT (port 0 picks a free one)")
    ] = "127.0.0.1:4317",
    db: DbOption = None,
    tls_cert: Annotated[Path | None, typer.Option("--tls-cert", help="server certificate (PEM)")] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", help="server private key (PEM)")] = None,
    client_ca: Annotated[
        Path | None, typer.Option("--client-ca", help="require client certs from this CA")
    ] = None,
    insecure: Annotated[bool, typer.Option("--insecure", help="plaintext gRPC, loopback only")] = False,
) -> None:
    """Serve Enroll, PushBatch, GetPolicy and Heartbeat until SIGTERM / SIGINT."""
    from agentd import logs
    from agentd.collector import runtime
    from agentd.collector.server import TlsFiles

    settings = state(ctx).settings().settings
    if insecure == (tls_cert is not None or tls_key is not None):
        _fail("give either --tls-cert and --tls-key, or --insecure (loopback only)", ConfigError.exit_code)
    if not insecure and (tls_cert is None or tls_key is None):
        _fail("--tls-cert and --tls-key go together", ConfigError.exit_code)
    if insecure and client_ca is not None:
        _fail("--client-ca needs TLS (--tls-cert/--tls-key)", ConfigError.exit_code)
    tls = None if insecure or tls_cert is None or tls_key is None else TlsFiles(tls_cert, tls_key, client_ca)
    logs.configure(settings.log.level)
    state_dir = _state_dir(ctx)

    def ready(server: Any) -> None:
        # Scripts read the address from this line (with --listen …:0 the port is chosen here).
        print(f"collector listening on {server.host}:{server.port}", flush=True)

    try:
        asyncio.run(
            runtime.serve(
                listen=listen,
                db_url=db or runtime.default_db_url(state_dir),
                state_dir=state_dir,
                tls=tls,
                on_ready=ready,
            )
        )
    except* AgentdError as group:
        first = group.exceptions[0]
        for exc in group.exceptions:
            err_console.print(
                f"[red]agentd collector:[/red] {escape(str(exc))}", markup=True, highlight=False
            )
        raise typer.Exit(first.exit_code if isinstance(first, AgentdError) else 1) from None


# ---- read commands ----------------------------------------------------------------------------


@app.command("hosts")
def hosts(ctx: typer.Context, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Enrolled hosts: facts, key, chain position, last heartbeat."""
    store = _open(ctx, db)
    try:
        records = store.hosts()
    finally:
        store.close()
    if as_json:
        _print_lines(r.as_json() for r in records)
        return
    table = Table("host", "hostname", "os", "agentd", "events", "spool depth", "policy", "last seen")
    for r in records:
        table.add_row(
            r.host_id,
            r.facts.hostname,
            f"{r.facts.os} {r.facts.os_version}",
            r.facts.agentd_version,
            str(r.events_stored),
            "" if r.spool_depth is None else str(r.spool_depth),
            r.policy_version or "",
            r.last_seen.isoformat(timespec="seconds") if r.last_seen else "never",
        )
    Console().print(table)


@app.command("events")
def events(
    ctx: typer.Context,
    db: DbOption = None,
    host: HostOption = None,
    kinds: Annotated[list[str] | None, typer.Option("--type", help="only this kind (repeatable)")] = None,
    since: SinceOption = None,
    limit: Annotated[int, typer.Option("--limit", min=0, help="at most N events (0: all)")] = 1000,
    as_json: JsonOption = False,
) -> None:
    """Stored events in (host, sequence) order."""
    store = _open(ctx, db)
    try:
        rows = store.events(
            host_id=host,
            kinds=tuple(kinds or ()),
            since=parse_since(since, _now()),
            limit=limit or None,
        )
    finally:
        store.close()
    if as_json:
        _print_lines(r.as_json() for r in rows)
        return
    console = Console(highlight=False, soft_wrap=True)
    for r in rows:
        data = r.as_json()
        console.print(
            f"{data['time']} {r.host_id[:12]} #{r.seq} {r.severity:<8} {r.kind:<22} {escape(r.agent_kind)}"
        )


@app.command("alerts")
def alerts(
    ctx: typer.Context,
    db: DbOption = None,
    host: HostOption = None,
    since: SinceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Alerts: those hosts raised, and those the collector raised when it refused something."""
    store = _open(ctx, db)
    try:
        rows = store.alerts(host_id=host, since=parse_since(since, _now()))
    finally:
        store.close()
    if as_json:
        _print_lines(r.as_json() for r in rows)
        return
    console = Console(highlight=False, soft_wrap=True)
    for r in rows:
        data = r.as_json()
        console.print(
            f"{data['time']} {r.host_id[:12]} {r.severity:<8} {r.rule_id}: "
            f"{escape(r.title)} - {escape(r.reason)}"
        )


@app.command("inventory")
def inventory(
    ctx: typer.Context, db: DbOption = None, host: HostOption = None, as_json: JsonOption = False
) -> None:
    """Agents, MCP servers and tools seen on each host."""
    store = _open(ctx, db)
    try:
        rows = store.inventory(host_id=host)
    finally:
        store.close()
    if as_json:
        _print_lines(r.as_json() for r in rows)
        return
    table = Table("host", "category", "name", "first seen", "last seen")
    for r in rows:
        data = r.as_json()
        table.add_row(r.host_id[:12], r.category, r.name, data["first_seen"], data["last_seen"])
    Console().print(table)


@app.command("export")
def export(
    ctx: typer.Context,
    since: Annotated[str, typer.Option("--since", help="ISO time or an age like 24h")],
    db: DbOption = None,
    host: HostOption = None,
) -> None:
    """Events since a time as OCSF-shaped JSON Lines, for a SIEM."""
    from agentd.collector.export import to_ocsf

    store = _open(ctx, db)
    try:
        hosts_by_id = {h.host_id: h for h in store.hosts()}
        rows = store.iter_events(host_id=host, since=parse_since(since, _now()))
        _print_lines(to_ocsf(row, hosts_by_id.get(row.host_id)) for row in rows)
    finally:
        store.close()


# ---- tokens and policies ----------------------------------------------------------------------


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    db: DbOption = None,
    ttl: Annotated[str, typer.Option("--ttl", help="validity: 30m, 24h, 7d…")] = "7d",
    uses: Annotated[int | None, typer.Option("--uses", min=1, help="at most N enrollments")] = None,
) -> None:
    """Create an enrollment token; it is printed on the last line (and stored only hashed)."""
    from agentd.collector.service import create_token

    now = _now()
    expires = parse_since(ttl, now)
    if expires is None or not _AGE.match(ttl.strip()):
        raise typer.BadParameter(f"--ttl {ttl!r}: expected an age like 24h or 7d")
    store = _open(ctx, db)
    try:
        token = create_token(store, now, now - expires, uses)
    finally:
        store.close()
    err_console.print(f"enrollment token valid until {(now + (now - expires)).isoformat(timespec='seconds')}")
    print(token)


@policy_app.command("publish")
def policy_publish(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="folder of *.cedar files (+ catalog.json, config.json)")],
    db: DbOption = None,
    signing_key: Annotated[
        Path | None, typer.Option("--signing-key", help="default: the collector state dir's key")
    ] = None,
    version: Annotated[str | None, typer.Option("--version", help="a name for this bundle")] = None,
) -> None:
    """Validate, sign and publish a policy bundle; hosts pick it up within a poll interval."""
    from agentd.collector.runtime import SIGNING_KEY_FILE
    from agentd.collector.runtime import signing_key as load_key
    from agentd.collector.service import publish_policy

    policies, catalog, config = _read_bundle_dir(directory)
    problems = validate_policies(policies)
    if problems:
        _fail("policies do not validate:\n  " + "\n  ".join(problems), 65)
    store = _open(ctx, db)
    try:
        key = load_key(store, signing_key or _state_dir(ctx) / SIGNING_KEY_FILE, create=False)
        bundle = publish_policy(
            store,
            key.sign,
            policies=policies,
            catalog_overrides=catalog,
            config_overrides=config,
            now=_now(),
            version=version,
        )
    except AgentdError as exc:
        _fail(str(exc), 1)
    finally:
        store.close()
    print(f"published policy {bundle.version} (serial {bundle.serial}, {len(policies)} files)")


def _read_bundle_dir(directory: Path) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
    if not directory.is_dir():
        _fail(f"{directory} is not a directory", 2)
    policies = {p.name: p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.cedar"))}
    if not policies:
        _fail(f"{directory} holds no *.cedar files", 65)
    overrides: list[dict[str, Any]] = []
    for name in ("catalog.json", "config.json"):
        path = directory / name
        try:
            value = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        except ValueError as exc:
            _fail(f"{path}: not valid JSON: {exc}", 65)
        if not isinstance(value, dict):
            _fail(f"{path}: expected a JSON object", 65)
        overrides.append(value)
    return policies, overrides[0], overrides[1]


def validate_policies(policies: dict[str, str]) -> list[str]:
    """Problems with the Cedar files, as the host's policy engine would see them."""
    from agentd.decide.engine import PolicySource, validate

    return validate([PolicySource(name, text) for name, text in sorted(policies.items())])
