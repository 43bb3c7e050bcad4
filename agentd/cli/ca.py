"""`agentd ca`: where agentd's interception CA certificate (and the roots+CA bundle) live."""

import typer

from agentd.capture.proxy.ca import CertificateAuthority
from agentd.cli.context import err_console, state

app = typer.Typer(help="agentd's interception certificate authority.", no_args_is_help=True)


def ensure_ca(ctx: typer.Context) -> CertificateAuthority:
    """The CA of the configured state dir, created on first use; exits 1 when it cannot be."""
    ca = CertificateAuthority(state(ctx).settings().settings.paths.ca_dir)
    if ca.exists() and ca.client_bundle_path.is_file():
        return ca
    try:
        ca.ensure()
    except OSError as exc:
        err_console.print(
            f"[red]cannot create agentd's CA in {ca.directory}:[/red] {exc.strerror or exc}. "
            "Start the daemon once (it creates the CA) or point --config at a state_dir you can write.",
            markup=True,
            highlight=False,
        )
        raise typer.Exit(1) from None
    return ca


@app.command("path")
def path(ctx: typer.Context) -> None:
    """Print the CA certificate agents must trust (NODE_EXTRA_CA_CERTS, the OS trust store)."""
    print(ensure_ca(ctx).cert_path)


@app.command("bundle")
def bundle(ctx: typer.Context) -> None:
    """Print the bundle of system roots plus agentd's CA (for Codex's SSL_CERT_FILE)."""
    print(ensure_ca(ctx).client_bundle_path)
