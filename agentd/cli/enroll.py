"""`agentd enroll`: register this host's signing key with the collector and pin the
collector's policy key. Flags default to ``[collector] url`` and ``token`` from the config.
"""

import asyncio
import json
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from agentd.cli.context import err_console, state
from agentd.errors import BatchRejected, CollectorUnavailable, ConfigError, KeyStoreError

EXIT_REFUSED = 1
EXIT_UNAVAILABLE = 69  # EX_UNAVAILABLE


def enroll(
    ctx: typer.Context,
    collector: Annotated[
        str | None, typer.Option("--collector", help="collector URL, e.g. https://host:443")
    ] = None,
    token: Annotated[str | None, typer.Option("--token", help="enrollment token from the collector")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Enroll this host with the collector (safe to repeat)."""
    from agentd import keyfile
    from agentd.clock import SystemClock
    from agentd.ship.client import CollectorClient
    from agentd.ship.enrollment import Enrollment, save_enrollment
    from agentd.ship.enrollment import enroll as call_enroll
    from agentd.ship.keys import key_id, load_host_key

    settings = state(ctx).settings().settings
    url = collector or settings.collector.url
    secret = token or (settings.collector.token.get_secret_value() if settings.collector.token else None)
    if not url or not secret:
        missing = (
            "collector URL (--collector or [collector] url)"
            if not url
            else "token (--token or [collector] token)"
        )
        err_console.print(f"[red]cannot enroll:[/red] no {missing}", markup=True, highlight=False)
        raise typer.Exit(ConfigError.exit_code)
    paths = settings.paths
    try:
        host_id = keyfile.host_id(paths.state_dir)
        key = load_host_key(paths.keys_dir, host_id)
        client = CollectorClient(
            url,
            ca=settings.collector.ca,
            client_cert=settings.collector.client_cert,
            client_key=settings.collector.client_key,
        )

        async def run() -> Enrollment:
            try:
                return await call_enroll(client, key, host_id=host_id, token=secret, now=SystemClock().now())
            finally:
                await client.close()

        enrollment = asyncio.run(run())
    except (ConfigError, KeyStoreError) as exc:
        err_console.print(f"[red]cannot enroll:[/red] {escape(str(exc))}", markup=True, highlight=False)
        raise typer.Exit(exc.exit_code if isinstance(exc, ConfigError) else 1) from None
    except CollectorUnavailable as exc:
        err_console.print(f"[red]cannot enroll:[/red] {escape(str(exc))}", markup=True, highlight=False)
        raise typer.Exit(EXIT_UNAVAILABLE) from None
    except BatchRejected as exc:
        err_console.print(f"[red]enrollment refused:[/red] {escape(str(exc))}", markup=True, highlight=False)
        raise typer.Exit(EXIT_REFUSED) from None
    path = save_enrollment(paths.state_dir, enrollment)
    if as_json:
        print(
            json.dumps(
                {
                    "host_id": enrollment.host_id,
                    "collector": enrollment.collector_url,
                    "key_id": enrollment.key_id,
                    "key_storage": key.storage,
                    "policy_key_id": key_id(enrollment.policy_public_key),
                    "enrollment_file": str(path),
                }
            )
        )
        return
    console = Console(highlight=False)
    console.print(f"enrolled host {enrollment.host_id} with {escape(enrollment.collector_url)}")
    console.print(f"  host key    {enrollment.key_id} (kept in the {key.storage}: {escape(key.location)})")
    console.print(f"  policy key  {key_id(enrollment.policy_public_key)} pinned in {escape(str(path))}")
