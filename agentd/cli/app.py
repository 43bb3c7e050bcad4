"""The typer application: global options and the command list."""

from pathlib import Path
from typing import Annotated

import typer

from agentd import __version__
from agentd.cli import (
    approvals,
    ca,
    collector,
    config_cmd,
    demo,
    doctor,
    enroll,
    env,
    events,
    hook,
    integrate,
    inventory,
    policy,
    run,
    scan,
    status,
)
from agentd.cli.context import CliState
from agentd.paths import USER_CONFIG_ENV

app = typer.Typer(
    name="agentd",
    help="agentd: see and govern what coding agents do on this host.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        print(f"agentd {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option("--config", envvar=USER_CONFIG_ENV, help="settings file (TOML)", dir_okay=False),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version")
    ] = False,
) -> None:
    ctx.obj = CliState(config_path=config)


app.command("run")(run.run)
app.command("status")(status.command())
app.command("events")(events.events)
app.command("env")(env.env)
app.command("inventory")(inventory.inventory)
app.command("enroll")(enroll.enroll)
app.command("integrate")(integrate.integrate)
app.command("doctor")(doctor.doctor)
app.command("hook")(hook.command())
app.command("approvals")(approvals.approvals)
app.command("approve")(approvals.approve)
app.command("deny")(approvals.deny)
app.command("scan")(scan.scan)
app.command("demo")(demo.demo)
app.add_typer(config_cmd.app, name="config")
app.add_typer(ca.app, name="ca")
app.add_typer(policy.app, name="policy")
app.add_typer(collector.app, name="collector")


def main() -> None:
    app()
