"""agentd's default Cedar policy pack and the Cedar schema every policy is validated against,
shipped as package data."""

from importlib import resources

SCHEMA_FILE = "agentd.cedarschema"
DEFAULT_PACK = ("default.cedar",)


def schema_text() -> str:
    """The Cedar schema (human-readable syntax) of agentd's authorization requests."""
    return resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


def default_texts() -> tuple[tuple[str, str], ...]:
    """The default pack as (file name, Cedar text) pairs."""
    package = resources.files(__package__)
    return tuple((name, package.joinpath(name).read_text(encoding="utf-8")) for name in DEFAULT_PACK)
