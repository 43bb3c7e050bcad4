"""Reading systemd unit files the way the tests need: every value of every key, per section."""

from pathlib import Path


def parse_unit(path: Path) -> dict[str, list[str]]:
    """``"Section.Key" -> [values...]`` (keys may repeat); comments and blank lines skipped."""
    values: dict[str, list[str]] = {}
    section = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, _, value = line.partition("=")
        values.setdefault(f"{section}.{key.strip()}", []).append(value.strip())
    return values
