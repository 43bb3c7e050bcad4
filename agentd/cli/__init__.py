"""The `agentd` command line (typer + rich). Commands import heavy modules inside their bodies,
so that quick commands (`status`, `hook`) start fast."""
