"""Doctor checks on agentd itself: the interpreter, the installed dependencies, the settings."""

import importlib.metadata
import importlib.util
import re

from agentd.deploy.doctor import Check, Host, Status

MIN_PYTHON = (3, 12)
REINSTALL = "reinstall agentd (the .deb / .pkg, or `uv sync` in a checkout)"
_REQUIREMENT = re.compile(
    r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(?:\(([^)]*)\)|([^;]*))(;.*)?$"
)
_CLAUSE = re.compile(r"^\s*(~=|==|!=|<=|>=|<|>)\s*([0-9][0-9A-Za-z.*+!-]*)\s*$")


def check_python(host: Host) -> list[Check]:
    version = ".".join(map(str, host.python))
    if host.python[:2] >= MIN_PYTHON:
        return [Check("python", Status.PASS, f"Python {version} ({host.executable})")]
    return [
        Check(
            "python",
            Status.FAIL,
            f"Python {version} is too old: agentd needs >= 3.12 (mitmproxy 12 does)",
            fix=f"install Python 3.12 or newer, then {REINSTALL}",
        )
    ]


def release(version: str) -> tuple[int, ...]:
    """The numeric release of a version string ("12.2.3rc1" -> (12, 2, 3)); enough to compare
    against the plain bounds agentd's own requirements use."""
    parts: list[int] = []
    for piece in version.split("."):
        digits = re.match(r"\d+", piece)
        if digits is None:
            break
        parts.append(int(digits.group()))
        if digits.end() != len(piece):
            break
    return tuple(parts)


def _padded(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    width = max(len(a), len(b))
    return a + (0,) * (width - len(a)), b + (0,) * (width - len(b))


def satisfies(version: str, specifier: str) -> bool:
    """Whether ``version`` meets a comma-separated specifier such as ``>=12.2.3,<12.3``."""
    have = release(version)
    for clause in filter(None, (c.strip() for c in specifier.split(","))):
        match = _CLAUSE.match(clause)
        if match is None:
            return False
        op, bound_text = match.groups()
        if bound_text.endswith(".*"):
            prefix = release(bound_text[:-2])
            equal = have[: len(prefix)] == prefix
            if (op == "==" and not equal) or (op == "!=" and equal):
                return False
            continue
        bound = release(bound_text)
        left, right = _padded(have, bound)
        if op == "~=":
            prefix = bound[: max(len(bound) - 1, 1)]
            ok = left >= right and have[: len(prefix)] == prefix
        else:
            ok = {
                "==": left == right,
                "!=": left != right,
                ">=": left >= right,
                "<=": left <= right,
                ">": left > right,
                "<": left < right,
            }[op]
        if not ok:
            return False
    return True


def parse_requirement(line: str) -> tuple[str, str, str | None] | None:
    """(name, specifier, marker) of a ``Requires-Dist`` line, or None when it is not one."""
    match = _REQUIREMENT.match(line)
    if match is None:
        return None
    name, _extras, parenthesised, bare, marker = match.groups()
    specifier = (parenthesised or bare or "").strip()
    return name, specifier, marker[1:].strip() if marker else None


def check_dependencies(host: Host) -> list[Check]:
    try:
        requirements = importlib.metadata.requires("agentd") or []
    except importlib.metadata.PackageNotFoundError:
        return [
            Check(
                "dependencies",
                Status.WARN,
                "agentd runs from source without installed metadata: versions not checked",
                fix="run it from the installed package or `uv sync`",
            )
        ]
    problems: list[str] = []
    versions: dict[str, str] = {}
    for line in requirements:
        parsed = parse_requirement(line)
        if parsed is None or parsed[2] is not None:
            continue  # extras and platform-specific requirements: not ours to judge here
        name, specifier, _ = parsed
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            problems.append(f"{name} is missing (needs {specifier or 'any version'})")
            continue
        versions[name] = installed
        if specifier and not satisfies(installed, specifier):
            problems.append(f"{name} {installed} does not satisfy {specifier}")
    if problems:
        return [Check("dependencies", Status.FAIL, "; ".join(problems), fix=REINSTALL, details=versions)]
    shown = ", ".join(f"{n} {versions[n]}" for n in ("mitmproxy", "cryptography", "grpcio") if n in versions)
    checks = [
        Check(
            "dependencies",
            Status.PASS,
            f"{len(versions)} dependencies as required ({shown})",
            details=versions,
        )
    ]
    if importlib.util.find_spec("hyperscan") is None:
        checks.append(
            Check(
                "dependencies.scanner",
                Status.WARN,
                "Hyperscan is not available: secret scanning uses the slower pure-Python engine",
                fix=REINSTALL,
            )
        )
    return checks


def check_config(host: Host) -> list[Check]:
    if host.config_error is not None:
        return [
            Check(
                "config",
                Status.FAIL,
                host.config_error,
                fix="correct that key in the file named (`agentd config show` lists every key); "
                "the checks below use built-in defaults",
            )
        ]
    loaded = host.loaded
    locked = sorted(loaded.locked) if loaded is not None else []
    origins = sorted(set(loaded.origins.values())) if loaded is not None else []
    where = ", ".join(origins) if origins else "built-in defaults only"
    summary = f"settings valid ({where})"
    if locked:
        summary += f"; {len(locked)} keys locked by managed settings"
    return [Check("config", Status.PASS, summary, details={"files": origins, "locked": locked})]
