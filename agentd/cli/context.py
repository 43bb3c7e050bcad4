"""What every command shares: the global --config option and settings loading."""

from dataclasses import dataclass
from pathlib import Path

import typer
from rich.console import Console

from agentd.config import LoadedSettings, load
from agentd.errors import ConfigError
from agentd.paths import config_files

err_console = Console(stderr=True)


@dataclass
class CliState:
    config_path: Path | None = None
    _loaded: LoadedSettings | None = None

    def settings(self) -> LoadedSettings:
        """The effective settings; exits 78 with the offending file and key on a bad config."""
        if self._loaded is None:
            try:
                self._loaded = load(config_files(self.config_path))
            except ConfigError as exc:
                err_console.print(f"[red]configuration error:[/red] {exc}", markup=True, highlight=False)
                raise typer.Exit(ConfigError.exit_code) from None
        return self._loaded


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):
        obj = CliState()
        ctx.find_root().obj = obj
    return obj
