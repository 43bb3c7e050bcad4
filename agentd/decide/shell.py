"""Shell command facts: what a command line does that policy cares about.

``analyze`` reads a command (a string, or an argv list as Codex sends it) split into simple
commands by ``shellwords``, unwraps ``env``/``sudo``/``xargs``/``timeout``, follows ``bash -c '...'``,
``ssh host cmd`` and ``$(...)``, and reports credential-file reads,
destructive operations, production targets, network egress with data, package publishing,
privilege escalation and persistence. Text that does not parse is still read, conservatively,
word by word; it never raises.
"""

import posixpath
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from agentd.decide import shellwords
from agentd.decide.credfiles import credential_directory, credential_file, persistence_file
from agentd.decide.hosts import FILE_SUFFIXES, url_host
from agentd.decide.shellwords import Command, is_assignment, program_name

MAX_CHARS = 1024 * 1024  # beyond this the rest is not read at all and the facts say so
MAX_DEPTH = 6  # nested `bash -c` / `$(...)` levels followed
MAX_NESTED = 256  # nested texts analysed per command line, whatever their depth

DEFAULT_PRODUCTION_PATTERNS: tuple[str, ...] = ("prod", "production", "prd", "live")


@dataclass(frozen=True, slots=True)
class ShellContext:
    """Where the command runs: the workspace (the agent's cwd) and what counts as production."""

    workspace: str | None = None
    home: str | None = None
    production_patterns: tuple[str, ...] = DEFAULT_PRODUCTION_PATTERNS


@dataclass(frozen=True, slots=True)
class DestructiveOp:
    """One destructive operation, e.g. ``rm -rf /srv``; ``production`` names what made it prod."""

    op: str
    production: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ShellFacts:
    parsed: bool = True  # False: the grammar failed and words were read one by one
    truncated: bool = False  # the command was longer than MAX_CHARS
    programs: frozenset[str] = frozenset()
    credential_reads: tuple[str, ...] = ()
    destructive: tuple[DestructiveOp, ...] = ()
    production: tuple[str, ...] = ()
    egress_hosts: tuple[str, ...] = ()  # hosts that receive data from this command
    egress: bool = False  # data leaves the host (a host may be unknown, e.g. `nc` with a variable)
    network_hosts: tuple[str, ...] = ()  # every host contacted, egress or not
    publish: tuple[str, ...] = ()
    privilege: tuple[str, ...] = ()
    persistence: tuple[str, ...] = ()
    remote_code: bool = False  # downloaded code is piped into an interpreter

    @property
    def destructive_production(self) -> bool:
        return any(op.production for op in self.destructive)


@dataclass
class _Builder:
    context: ShellContext
    parsed: bool = True
    truncated: bool = False
    programs: set[str] = field(default_factory=set)
    credential_reads: list[str] = field(default_factory=list)
    destructive: list[DestructiveOp] = field(default_factory=list)
    production: list[str] = field(default_factory=list)
    egress_hosts: list[str] = field(default_factory=list)
    egress: bool = False
    network_hosts: list[str] = field(default_factory=list)
    publish: list[str] = field(default_factory=list)
    privilege: list[str] = field(default_factory=list)
    persistence: list[str] = field(default_factory=list)
    remote_code: bool = False
    sticky: list[str] = field(default_factory=list)  # values that set the scene for later commands
    cwd: str | None = None
    nested: int = 0

    def facts(self) -> ShellFacts:
        return ShellFacts(
            parsed=self.parsed,
            truncated=self.truncated,
            programs=frozenset(self.programs),
            credential_reads=_unique(self.credential_reads),
            destructive=tuple(dict.fromkeys(self.destructive)),
            production=_unique(self.production),
            egress_hosts=_unique(self.egress_hosts),
            egress=self.egress,
            network_hosts=_unique(self.network_hosts),
            publish=_unique(self.publish),
            privilege=_unique(self.privilege),
            persistence=_unique(self.persistence),
            remote_code=self.remote_code,
        )


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def analyze(command: str | Sequence[str], context: ShellContext | None = None) -> ShellFacts:
    """The facts of ``command``. An argv list is read as one command (``["bash", "-lc", "..."]``)."""
    builder = _Builder(context=context or ShellContext())
    builder.cwd = builder.context.workspace
    if isinstance(command, str):
        text = command
        if len(text) > MAX_CHARS:
            text, builder.truncated = text[:MAX_CHARS], True
        _analyze_text(builder, text, depth=0)
    else:
        argv = [str(word) for word in command][:4096]
        _analyze_commands(builder, [Command(argv=argv)], depth=0)
    return builder.facts()


def _analyze_text(builder: _Builder, text: str, depth: int) -> None:
    if depth > MAX_DEPTH or builder.nested >= MAX_NESTED:
        builder.parsed = False
        return
    builder.nested += 1
    commands, words, parsed = shellwords.parse(text)
    builder.parsed = builder.parsed and parsed
    _analyze_commands(builder, commands, depth)
    for word in words:  # $(...) and `...` inside words are commands of their own
        for inner in shellwords.substitutions(word):
            _analyze_text(builder, inner, depth + 1)


# --- per-command analysis ----------------------------------------------------------------------


def _analyze_commands(builder: _Builder, commands: list[Command], depth: int) -> None:
    for command in commands:
        _analyze_command(builder, command, depth)


_SUDO_VALUE_OPTIONS = frozenset({"-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "-T", "--user"})
_ENV_VALUE_OPTIONS = frozenset({"-u", "--unset", "-C", "--chdir", "-S", "--split-string"})
_XARGS_VALUE_OPTIONS = frozenset({"-n", "-I", "-P", "-L", "-d", "-E", "-s", "-a", "--max-args"})
_SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh", "fish", "ash", "busybox"})
_PASS_THROUGH = frozenset(
    {"nohup", "time", "command", "exec", "builtin", "chronic", "unbuffer", "caffeinate", "stdbuf"}
)


def _analyze_command(builder: _Builder, command: Command, depth: int) -> None:
    argv = command.argv
    for name, value in command.env:
        builder.sticky.append(f"{name}={value}")
    if not argv:
        _check_redirects(builder, command)
        return
    while argv:
        program = program_name(argv[0])
        builder.programs.add(program)
        if program in ("sudo", "doas", "pkexec", "run0"):
            builder.privilege.append(program)
            argv = _skip_options(argv[1:], _SUDO_VALUE_OPTIONS)
            continue
        if program == "su":
            builder.privilege.append("su")
            script = _option_value(argv, ("-c", "--command"))
            if script is not None:
                _analyze_text(builder, script, depth + 1)
            _check_redirects(builder, command)
            return
        if program == "env":
            rest = argv[1:]
            while rest and (rest[0].startswith("-") or is_assignment(rest[0])):
                if rest[0] in ("-S", "--split-string") and len(rest) > 1:
                    rest = [*rest[1].split(), *rest[2:]]
                    continue
                if is_assignment(rest[0]):
                    name, _, value = rest[0].partition("=")
                    command.env.append((name, value))
                    builder.sticky.append(rest[0])
                skip = 2 if rest[0] in _ENV_VALUE_OPTIONS else 1
                rest = rest[skip:]
            argv = rest
            continue
        if program in _PASS_THROUGH:
            argv = _skip_options(argv[1:], frozenset({"-o", "-e", "-i"}))
            continue
        if program in ("nice", "ionice"):
            argv = _skip_options(argv[1:], frozenset({"-n", "-c", "--adjustment"}))
            continue
        if program == "timeout":
            rest = _skip_options(argv[1:], frozenset({"-s", "-k", "--signal", "--kill-after"}))
            argv = rest[1:]
            continue
        if program in ("xargs", "parallel"):
            command.piped_in = True
            argv = _skip_options(argv[1:], _XARGS_VALUE_OPTIONS)
            continue
        if program == "watch":
            rest = _skip_options(argv[1:], frozenset({"-n", "--interval", "-d"}))
            _analyze_text(builder, " ".join(rest), depth + 1)
            return
        if program == "eval":
            _analyze_text(builder, " ".join(argv[1:]), depth + 1)
            return
        break
    if not argv:
        return
    command.argv = argv
    program = program_name(argv[0])
    builder.programs.add(program)
    if program in _SHELLS:
        _shell(builder, command, depth)
    analyzer = _ANALYZERS.get(program)
    if analyzer is not None:
        analyzer(builder, command, depth)
    elif program in _INTERPRETERS:
        _interpreter(builder, command)
    _credential_reads(builder, command, program)
    _check_redirects(builder, command)
    if command.piped_in and command.piped_from in _DOWNLOADERS and program in _RUNNERS:
        builder.remote_code = True


def _skip_options(words: list[str], with_value: frozenset[str]) -> list[str]:
    index = 0
    while index < len(words) and words[index].startswith("-") and words[index] != "-":
        if words[index] == "--":
            return words[index + 1 :]
        index += 2 if words[index] in with_value else 1
    return words[index:]


def _option_value(argv: Sequence[str], names: Sequence[str]) -> str | None:
    for index, word in enumerate(argv):
        if word in names and index + 1 < len(argv):
            return argv[index + 1]
        for name in names:
            if name.startswith("--") and word.startswith(name + "="):
                return word[len(name) + 1 :]
    return None


def _positionals(argv: Sequence[str], with_value: frozenset[str] = frozenset()) -> list[str]:
    out: list[str] = []
    index = 1
    while index < len(argv):
        word = argv[index]
        if word == "--":
            out.extend(argv[index + 1 :])
            break
        if word.startswith("-") and word != "-":
            index += 2 if word in with_value else 1
            continue
        out.append(word)
        index += 1
    return out


def _shell(builder: _Builder, command: Command, depth: int) -> None:
    argv = command.argv
    for index, word in enumerate(argv[1:], start=1):
        if not word.startswith("-"):
            break
        if not word.startswith("--") and "c" in word[1:] and index + 1 < len(argv):
            _analyze_text(builder, argv[index + 1], depth + 1)
            return
    if command.stdin_text:
        _analyze_text(builder, command.stdin_text, depth + 1)


# --- paths: workspace, credentials, persistence ------------------------------------------------

_ELSEWHERE = "/\x00elsewhere"  # the cwd after `cd` to a place that cannot be resolved
# Scratch space: deleting there is housekeeping, not destruction.
_TEMP_DIRS = ("/tmp", "/var/tmp", "/private/tmp", "/dev/shm", "$TMPDIR", "${TMPDIR}")  # noqa: S108
# Programs that take a credential path to *use* it (ssh -i KEY) or that never show content.
_NON_READERS = frozenset(
    {
        "ssh-add", "ssh-keygen", "gpg", "gpg2", "chmod", "chown", "chgrp", "ls", "stat", "test",
        "[", "[[", "mkdir", "touch", "rm", "cd", "echo", "printf", "du", "df", "realpath",
        "readlink", "dirname", "basename", "which", "ln", "source", ".", "export", "unset",
        "exit", "true", "false", "rmdir", "shred", "wc", "file", "sops", "age", "pass", "op",
        "vault", "direnv",
    }
)  # fmt: skip
# Programs analysed through what they run (`bash -c`, `ssh host cmd`), not through their words.
_DELEGATING = frozenset(
    {"bash", "sh", "zsh", "dash", "ksh", "fish", "ash", "busybox", "ssh", "su", "watch", "eval"}
)
_SPLIT_PATHS = re.compile(r"[=@,;:'\"()\s]")


def _path_candidates(word: str) -> Iterator[str]:
    """The parts of ``word`` that may be paths (``-d @FILE``, ``--x=FILE``, code), then ``word``."""
    if any(ch in word for ch in "=@,;:'\"() "):
        for part in _SPLIT_PATHS.split(word):
            if part and part != word:
                yield part
    yield word


def _credential_reads(builder: _Builder, command: Command, program: str) -> None:
    argv = command.argv
    if program in _NON_READERS or program in _DELEGATING:
        words: list[str] = []
    elif program in _KEY_USERS:
        words = _positionals(argv, _KEY_USERS[program])  # `ssh -i KEY` uses a key, it does not show it
    else:
        words = argv[1:]
    reads: list[str] = []
    for word in words:
        for candidate in _path_candidates(word):
            if credential_file(candidate) or credential_directory(candidate):
                reads.append(candidate)
                break
    for op, target in command.redirects:
        if op in ("<", "<&") and credential_file(target):
            reads.append(target)
    builder.credential_reads.extend(reads)


def _check_redirects(builder: _Builder, command: Command) -> None:
    for op, target in command.redirects:
        if op in (">", ">>", ">|", "&>") and target:
            _written(builder, target)


def _written(builder: _Builder, path: str) -> None:
    if persistence_file(path):
        builder.persistence.append(f"writes {path}")
        if "sudoers" in path:
            builder.privilege.append(f"writes {path}")


def _resolve(builder: _Builder, path: str) -> str | None:
    """An absolute, normalised spelling of ``path`` when it can be known, else None."""
    home = builder.context.home
    for prefix in ("${HOME}", "$HOME", "~"):
        if path == prefix or path.startswith(prefix + "/"):
            if home is None:
                return None
            path = home + path[len(prefix) :]
            break
    if path.startswith(("~", "$")):  # ~user, or a variable we cannot expand
        return None
    if not path.startswith("/"):
        if builder.cwd is None:
            return None
        path = posixpath.join(builder.cwd, path)
    return posixpath.normpath(path)


def _outside_workspace(builder: _Builder, path: str, *, root_inside: bool = False) -> bool:
    """True unless ``path`` is known to lie inside the workspace (or a temp directory); the
    workspace itself counts as inside only with ``root_inside`` (``find . -delete`` empties parts
    of it, ``rm -rf .`` removes it)."""
    if path.startswith(_TEMP_DIRS):
        return False
    if path in ("~", "~/", "/", "/*", "~/*", "$HOME", "${HOME}", "*", ".*", "..") or path.startswith("../"):
        return True
    resolved = _resolve(builder, path)
    if resolved is None:
        # Unknown cwd: a plain relative path is taken to be in the workspace; anything
        # depending on an unexpanded variable or home is taken to be outside it.
        return path.startswith(("~", "$", "/")) or "/../" in path
    if resolved.startswith(tuple(d + "/" for d in _TEMP_DIRS if d.startswith("/"))):
        return False
    workspace = builder.context.workspace
    if workspace is None:
        return True
    workspace = posixpath.normpath(workspace)
    if root_inside and resolved == workspace:
        return False
    return not resolved.startswith(workspace.rstrip("/") + "/")


# --- production --------------------------------------------------------------------------------

_WORD_SPLIT = re.compile(r"[^a-z0-9]+")


def _production_markers(builder: _Builder, values: Sequence[str]) -> list[str]:
    patterns = {p.lower() for p in builder.context.production_patterns}
    if not patterns:
        return []
    markers = []
    for value in values:
        if len(value) > 2048:
            value = value[:2048]
        if patterns.intersection(_WORD_SPLIT.split(value.lower())):
            markers.append(value)
    return markers


def _destructive(builder: _Builder, command: Command, op: str, *, infra: bool = False) -> None:
    scene = [*command.argv[1:], *(f"{n}={v}" for n, v in command.env), *builder.sticky]
    if infra and builder.cwd:
        scene.append(builder.cwd)
    markers = _production_markers(builder, scene)
    builder.production.extend(markers)
    builder.destructive.append(DestructiveOp(op=op, production=tuple(dict.fromkeys(markers))))


def _note_production(builder: _Builder, command: Command) -> None:
    builder.production.extend(_production_markers(builder, command.argv[1:]))


# --- program analyzers -------------------------------------------------------------------------


def _rm(builder: _Builder, command: Command, _depth: int) -> None:
    argv = command.argv
    flags = "".join(w[1:] for w in argv[1:] if w.startswith("-") and not w.startswith("--"))
    long_flags = {w for w in argv[1:] if w.startswith("--")}
    recursive = "r" in flags or "R" in flags or "--recursive" in long_flags
    force = "f" in flags or "--force" in long_flags
    if not (recursive or force):
        return
    targets = _positionals(argv)
    outside = [t for t in targets if _outside_workspace(builder, t)]
    if outside or "--no-preserve-root" in long_flags:
        shown = " ".join(outside[:3]) or "/"
        _destructive(builder, command, f"rm -{'r' if recursive else ''}{'f' if force else ''} {shown}")


def _find(builder: _Builder, command: Command, depth: int) -> None:
    argv = command.argv
    roots = []
    for word in argv[1:]:
        if word.startswith(("-", "(", "!")):
            break
        roots.append(word)
    outside = [r for r in roots if _outside_workspace(builder, r, root_inside=True)]
    if "-exec" in argv or "-execdir" in argv or "-ok" in argv:
        start = next(i for i, w in enumerate(argv) if w in ("-exec", "-execdir", "-ok")) + 1
        end = next((i for i in range(start, len(argv)) if argv[i] in (";", "+", "\\;")), len(argv))
        inner = [w for w in argv[start:end] if w != "{}"]
        if inner and program_name(inner[0]) in ("rm", "shred", "unlink") and outside:
            _destructive(builder, command, f"find {' '.join(outside[:2])} -exec {inner[0]}")
        elif inner:
            _analyze_commands(builder, [Command(argv=[*inner, *roots])], depth + 1)
    if "-delete" in argv and outside:
        _destructive(builder, command, f"find {' '.join(outside[:2])} -delete")


_GIT_VALUE_OPTIONS = frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace"})


def _git(builder: _Builder, command: Command, _depth: int) -> None:
    rest = _skip_options(command.argv[1:], _GIT_VALUE_OPTIONS)
    if not rest:
        return
    sub, args = rest[0], rest[1:]
    if sub == "push":
        forced = any(
            a in ("-f", "--force", "--force-with-lease", "--mirror", "--delete", "-d", "--prune")
            or a.startswith(("--force-with-lease=", "--force-if-includes"))
            or (a.startswith("+") and len(a) > 1)
            or (a.startswith(":") and len(a) > 1)
            for a in args
        )
        hosts = [h for a in args if (h := _host_of(a, url_only=True))]
        builder.network_hosts.extend(hosts)
        if hosts:
            builder.egress_hosts.extend(hosts)
            builder.egress = True
        if forced:
            _destructive(builder, command, "git push --force")
    elif sub == "clean":
        flags = "".join(a[1:] for a in args if a.startswith("-") and not a.startswith("--"))
        if ("f" in flags or "--force" in args) and ("x" in flags or "X" in flags or "d" in flags):
            _destructive(builder, command, "git clean -fdx")
    elif sub in ("clone", "fetch", "pull", "ls-remote"):
        builder.network_hosts.extend(h for a in args if (h := _host_of(a, url_only=True)))


def _infra(verbs: dict[str, str]) -> Callable[[_Builder, Command, int], None]:
    """Tools whose subcommand decides destructiveness: terraform destroy, helm uninstall, ..."""

    def analyzer(builder: _Builder, command: Command, _depth: int) -> None:
        words = [w for w in command.argv[1:] if not w.startswith("-")]
        program = program_name(command.argv[0])
        if program in ("terraform", "tofu", "terragrunt") and "-destroy" in command.argv:
            _destructive(builder, command, f"{program} apply -destroy", infra=True)
            return
        for word in words[:3]:
            if word in verbs:
                _destructive(builder, command, f"{program} {verbs[word]}", infra=True)
                return
        _note_production(builder, command)
        if program in ("terraform", "tofu") and words[:2] == ["workspace", "select"] and len(words) > 2:
            builder.sticky.append(words[2])

    return analyzer


def _kubectl(builder: _Builder, command: Command, _depth: int) -> None:
    words = _positionals(command.argv, frozenset({"-n", "--namespace", "--context", "-l", "-f", "-o"}))
    program = program_name(command.argv[0])
    if words[:2] == ["config", "use-context"] and len(words) > 2:
        builder.sticky.append(words[2])
    if words and words[0] in ("delete", "drain"):
        _destructive(builder, command, f"{program} {words[0]}", infra=True)
    else:
        _note_production(builder, command)


_CLOUD_DELETE = re.compile(r"(^|:)(delete|terminate|destroy|purge|remove|deregister|rb)([-_:]|$)")


def _cloud(builder: _Builder, command: Command, _depth: int) -> None:
    argv = command.argv
    program = program_name(argv[0])
    words = [w for w in argv[1:] if not w.startswith("-")]
    if program == "aws" and words[:1] == ["s3"] and len(words) > 1:
        sub = words[1]
        if sub == "rm" and ("--recursive" in argv or "-r" in argv):
            _destructive(builder, command, "aws s3 rm --recursive", infra=True)
            return
        if sub == "rb" or (sub == "sync" and "--delete" in argv):
            _destructive(builder, command, f"aws s3 {sub}", infra=True)
            return
        uploading = len(words) > 3 and words[-1].startswith("s3://") and not words[-2].startswith("s3://")
        if sub in ("cp", "mv", "sync") and uploading:
            bucket = "s3://" + words[-1][5:].split("/", 1)[0]
            builder.egress_hosts.append(bucket)
            builder.network_hosts.append(bucket)
            builder.egress = True
        _note_production(builder, command)
        return
    if program in ("gsutil", "gcloud") and words[:1] in (["rm"], ["rb"]):
        _destructive(builder, command, f"{program} {words[0]}", infra=True)
        return
    for word in words[:6]:
        if _CLOUD_DELETE.search(word):
            _destructive(builder, command, f"{program} {word}", infra=True)
            return
    if program in ("gcloud",) and words[:3] == ["config", "set", "project"] and len(words) > 3:
        builder.sticky.append(words[3])
    _note_production(builder, command)


_SQL_DESTRUCTIVE = re.compile(
    r"\b(drop\s+(table|database|schema|index|view|user|role|collection)|truncate(\s+table)?\s+\w)", re.I
)
_SQL_UNBOUNDED = re.compile(r"^\s*(delete\s+from|update)\s+[^;]*$", re.I | re.S)
_SQL_CLIENTS = frozenset(
    {"psql", "mysql", "mariadb", "sqlite3", "sqlcmd", "clickhouse-client", "duckdb", "cockroach", "pgcli"}
)


def sql_destructive(sql: str) -> list[str]:
    """The destructive statements in ``sql``: DROP, TRUNCATE, DELETE or UPDATE without WHERE."""
    found = []
    for statement in sql.split(";")[:1000]:
        if _SQL_DESTRUCTIVE.search(statement):
            found.append(" ".join(statement.split()[:3]).upper())
        elif _SQL_UNBOUNDED.match(statement) and not re.search(r"\bwhere\b", statement, re.I):
            found.append(" ".join(statement.split()[:2]).upper() + " without WHERE")
    return found


def _sql_client(builder: _Builder, command: Command, _depth: int) -> None:
    argv = command.argv
    program = program_name(argv[0])
    texts = [
        v
        for v in (
            _option_value(argv, ("-c", "--command", "-e", "--execute", "-Q", "--query", "--eval")),
            command.stdin_text,
        )
        if v
    ]
    if program in ("sqlite3", "duckdb"):
        texts.extend(_positionals(argv, frozenset({"-cmd", "-separator"}))[1:])
    for text in texts:
        for op in sql_destructive(text):
            _destructive(builder, command, f"{program}: {op}", infra=True)
    _note_production(builder, command)


def _dropdb(builder: _Builder, command: Command, _depth: int) -> None:
    program = program_name(command.argv[0])
    if program == "dropdb" or (program == "mysqladmin" and "drop" in command.argv):
        _destructive(builder, command, f"{program} drop", infra=True)


def _redis(builder: _Builder, command: Command, _depth: int) -> None:
    if any(w.lower() in ("flushall", "flushdb") for w in command.argv[1:]):
        _destructive(builder, command, "redis-cli FLUSHALL", infra=True)
    _note_production(builder, command)


def _mongo(builder: _Builder, command: Command, _depth: int) -> None:
    script = " ".join(v for v in (_option_value(command.argv, ("--eval",)), command.stdin_text) if v)
    if re.search(r"\.(dropDatabase|drop)\s*\(|\.deleteMany\s*\(\s*\{\s*\}\s*\)", script):
        _destructive(builder, command, f"{program_name(command.argv[0])} drop", infra=True)
    _note_production(builder, command)


def _disk(builder: _Builder, command: Command, _depth: int) -> None:
    program = program_name(command.argv[0])
    if program == "dd":
        if any(w.startswith("of=/dev/") for w in command.argv):
            _destructive(builder, command, "dd of=/dev/...")
    else:
        _destructive(builder, command, program)


# --- network -----------------------------------------------------------------------------------

_DOWNLOADERS = frozenset({"curl", "wget", "fetch", "http", "https", "xh", "curlie", "aria2c"})
_INTERPRETERS = frozenset(
    {"python", "python3", "python2", "node", "deno", "bun", "perl", "ruby", "php", "osascript"}
)
_RUNNERS = _SHELLS | _INTERPRETERS
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$|^\d{1,3}(\.\d{1,3}){3}$|^localhost$")


def _host_of(word: str, url_only: bool = False) -> str | None:
    """The host a word names: a URL, ``user@host:path``, or (unless url_only) a bare hostname."""
    word = word.strip("'\"<>")
    if "://" in word:
        return url_host(word)
    if url_only:
        match = re.match(r"^[\w.+-]+@([\w.-]+):", word)
        return match.group(1).lower() if match else None
    candidate = word.split("@")[-1].split(":")[0].lower()
    if not _HOSTNAME.match(candidate) or candidate.rsplit(".", 1)[-1] in FILE_SUFFIXES:
        return None
    return candidate


_WGET_VALUE_OPTIONS = frozenset(
    {"-O", "--output-document", "-o", "--output-file", "-P", "--directory-prefix", "--header", "-U",
     "--user-agent", "-e", "--execute", "-t", "--tries", "-T", "--timeout", "--user", "--password"}
)  # fmt: skip
_CURL_DATA = frozenset(
    {"-d", "--data", "--data-raw", "--data-binary", "--data-urlencode", "--data-ascii", "--json", "-F",
     "--form", "--form-string", "-T", "--upload-file"}
)  # fmt: skip
_CURL_VALUE_OPTIONS = frozenset(
    {*_CURL_DATA, "-H", "--header", "-X", "--request", "-o", "--output", "-u", "--user", "-A",
     "--user-agent", "-e", "--referer", "-b", "--cookie", "-c", "--cookie-jar", "-x", "--proxy",
     "--connect-timeout", "-m", "--max-time", "--retry", "-w", "--write-out", "--cacert", "--cert",
     "--key", "-K", "--config", "--resolve", "--url", "-E", "-r", "--range"}
)  # fmt: skip
_SENDING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _curl(builder: _Builder, command: Command, _depth: int) -> None:
    """curl, wget, HTTPie and friends: hosts contacted, and whether a body or upload goes with it."""
    argv = command.argv
    program = program_name(argv[0])
    value_options = _WGET_VALUE_OPTIONS if program == "wget" else _CURL_VALUE_OPTIONS
    positionals = _positionals(argv, value_options)
    hosts = [h for w in positionals if (h := _host_of(w))]
    url = _option_value(argv, ("--url",))
    if url and (host := _host_of(url)):
        hosts.append(host)
    sends = False
    for index, word in enumerate(argv[1:], start=1):
        name = word.split("=", 1)[0] if word.startswith("--") else word[:2] if word.startswith("-") else ""
        method = ""
        if word in ("-X", "--request") and index + 1 < len(argv):
            method = argv[index + 1]
        elif word.startswith("-X") and len(word) > 2:
            method = word[2:]
        elif word.startswith(("--request=", "--method=")):
            method = word.split("=", 1)[1]
        if name in _CURL_DATA or method.upper() in _SENDING_METHODS:
            sends = True
        if program == "wget" and name in ("--post-data", "--post-file", "--body-data", "--body-file"):
            sends = True
    if program in ("http", "https", "xh", "curlie"):
        if positionals and positionals[0].upper() in _SENDING_METHODS:
            sends = True
        if any(re.match(r"^[\w.-]+(:=|==|=|@)", w) and "://" not in w for w in positionals[1:]):
            sends = True
    if (command.piped_in or command.stdin_text) and any(w == "@-" or w.endswith("@-") for w in argv):
        sends = True
    builder.network_hosts.extend(hosts)
    if sends:
        builder.egress = True
        builder.egress_hosts.extend(hosts)
    _note_production(builder, command)


def _raw_socket(builder: _Builder, command: Command, _depth: int) -> None:
    argv = command.argv
    words = _positionals(argv, frozenset({"-p", "-s", "-w", "-i", "-q", "-e", "-c"}))
    if "-l" in argv or "--listen" in argv:
        return  # a listener receives; it sends nothing out
    hosts = [h for w in words if (h := _host_of(w))]
    for word in argv[1:]:  # socat TCP:host:port
        if word.upper().startswith(("TCP:", "TCP4:", "TCP6:", "UDP:", "OPENSSL:")):
            parts = word.split(":")
            if len(parts) > 1:
                hosts.append(parts[1].lower())
    builder.network_hosts.extend(hosts)
    builder.egress_hosts.extend(hosts)
    builder.egress = True


_SSH_VALUE_OPTIONS = frozenset(
    {"-i", "-p", "-l", "-o", "-F", "-J", "-L", "-R", "-D", "-b", "-c", "-E", "-e", "-m", "-O", "-Q",
     "-S", "-W", "-w", "-P"}
)  # fmt: skip


_KEY_USERS: dict[str, frozenset[str]] = {
    "scp": _SSH_VALUE_OPTIONS,
    "sftp": _SSH_VALUE_OPTIONS,
    "rsync": _SSH_VALUE_OPTIONS | {"-e", "--rsh"},
    "ssh-copy-id": frozenset({"-i", "-p", "-o"}),
    "git": frozenset({"-c", "-C", "--git-dir", "--work-tree"}),
    "kubectl": frozenset({"--kubeconfig", "--context", "-n", "--namespace", "--token", "--client-key"}),
    "helm": frozenset({"--kubeconfig", "--kube-context", "-n", "--namespace"}),
    "docker": frozenset({"--config", "--tlskey", "--tlscert"}),
    **{
        name: frozenset({"--key", "--cert", "-E", "--cacert", "--capath", "--proxy-key"})
        for name in _DOWNLOADERS
    },
    **{
        name: frozenset({"--profile", "--key-file", "--credential-file-override"})
        for name in ("aws", "gcloud", "az")
    },
}


def _ssh(builder: _Builder, command: Command, depth: int) -> None:
    # Options end at the host; everything after it is the remote command, flags included.
    rest = _skip_options(command.argv[1:], _SSH_VALUE_OPTIONS)
    words = rest
    if not words:
        return
    host = _host_of(words[0]) or words[0].split("@")[-1].lower()
    builder.network_hosts.append(host)
    remote = words[1:]
    if remote:
        nested = _Builder(context=ShellContext(production_patterns=builder.context.production_patterns))
        _analyze_text(nested, " ".join(remote), depth + 1)
        facts = nested.facts()
        markers = _production_markers(builder, [words[0]])
        builder.production.extend(markers)
        for op in facts.destructive:
            builder.destructive.append(
                DestructiveOp(op=f"ssh {host}: {op.op}", production=(*op.production, *markers))
            )
        builder.credential_reads.extend(facts.credential_reads)
        builder.privilege.extend(facts.privilege)
        builder.persistence.extend(facts.persistence)
    if command.piped_in or command.stdin_text or any(op == "<" for op, _ in command.redirects):
        builder.egress = True
        builder.egress_hosts.append(host)


def _copy_remote(builder: _Builder, command: Command, _depth: int) -> None:
    """scp / rsync / sftp: egress when the destination (last word) is remote."""
    words = _positionals(command.argv, _SSH_VALUE_OPTIONS | {"-e", "--rsh", "--port"})
    remote = [(i, h) for i, w in enumerate(words) if (h := _remote_host(w))]
    for _, host in remote:
        builder.network_hosts.append(host)
    if remote and remote[-1][0] == len(words) - 1 and len(words) > 1:
        builder.egress = True
        builder.egress_hosts.append(remote[-1][1])


def _remote_host(word: str) -> str | None:
    if word.startswith("rsync://"):
        return _host_of(word)
    match = re.match(r"^(?:[\w.+-]+@)?([\w.-]+):(?!//)", word)
    if match and not re.match(r"^[A-Za-z]:[\\/]", word):
        return match.group(1).lower()
    return None


def _uploader(builder: _Builder, command: Command, _depth: int) -> None:
    """ftp/tftp/smbclient/rclone: anything they talk to receives data."""
    program = program_name(command.argv[0])
    hosts = [h for w in _positionals(command.argv) if (h := _host_of(w))]
    builder.network_hosts.extend(hosts)
    if program != "rclone" or (command.argv[1:2] and command.argv[1] in ("copy", "sync", "move", "copyto")):
        builder.egress = True
        builder.egress_hosts.extend(hosts)


def _interpreter(builder: _Builder, command: Command) -> None:
    code = _option_value(command.argv, ("-c", "-e", "--eval", "-E"))
    if code is None:
        return
    for url in re.findall(r"https?://[^\s'\"\\)]+", code):
        if host := _host_of(url):
            builder.network_hosts.append(host)
    if re.search(r"\b(requests\.(post|put)|urlopen|fetch\(|http\.request|socket\.)", code):
        builder.egress = True


# --- publishing, privilege, persistence --------------------------------------------------------

_PUBLISH: dict[str, tuple[str, ...]] = {
    "npm": ("publish",),
    "pnpm": ("publish",),
    "yarn": ("publish", "npm publish"),
    "twine": ("upload",),
    "uv": ("publish",),
    "poetry": ("publish",),
    "flit": ("publish",),
    "hatch": ("publish",),
    "cargo": ("publish",),
    "gem": ("push",),
    "docker": ("push",),
    "podman": ("push",),
    "mvn": ("deploy",),
    "gradle": ("publish",),
    "dotnet": ("nuget push",),
    "vsce": ("publish",),
    "pod": ("trunk push",),
    "helm": ("push",),
}


def _publish(builder: _Builder, command: Command, depth: int) -> None:
    program = program_name(command.argv[0])
    words = " ".join(w for w in command.argv[1:] if not w.startswith("-"))
    for verb in _PUBLISH.get(program, ()):
        if words == verb or words.startswith(verb + " "):
            builder.publish.append(f"{program} {verb}")
            builder.egress = True
    if program == "gh" and words.startswith("release create"):
        builder.publish.append("gh release create")
    if program == "helm":
        _infra({"uninstall": "uninstall", "delete": "uninstall", "del": "uninstall", "un": "uninstall"})(
            builder, command, depth
        )


def _privilege(builder: _Builder, command: Command, _depth: int) -> None:
    argv = command.argv
    program = program_name(argv[0])
    if program == "chmod" and any(re.match(r"^([ugoa]*\+[rwx]*s|[2-7][0-7]{3})$", w) for w in argv[1:]):
        builder.privilege.append("chmod setuid")
    elif program == "setcap":
        builder.privilege.append("setcap")
    elif program in ("usermod", "gpasswd") and any(
        g in ("sudo", "wheel", "admin", "root", "docker") for w in argv[1:] for g in w.split(",")
    ):
        builder.privilege.append(f"{program} adds an admin group")
    elif program == "visudo":
        builder.privilege.append("visudo")


def _persistence(builder: _Builder, command: Command, _depth: int) -> None:
    argv = command.argv
    program = program_name(argv[0])
    words = [w for w in argv[1:] if not w.startswith("-")]
    if program == "crontab" and not ({"-l", "-r"} & set(argv[1:])):
        builder.persistence.append("crontab")
    elif program == "launchctl" and words[:1] and words[0] in ("load", "bootstrap", "enable", "submit"):
        builder.persistence.append(f"launchctl {words[0]}")
    elif program == "systemctl" and words[:1] and words[0] in ("enable", "link", "reenable", "preset"):
        builder.persistence.append(f"systemctl {words[0]}")
    elif program in ("update-rc.d", "chkconfig") or (program == "at" and not {"-l", "-r"} & set(argv)):
        builder.persistence.append(program)


def _writer(builder: _Builder, command: Command, _depth: int) -> None:
    """tee / cp / mv / install / ln: the targets they write to."""
    program = program_name(command.argv[0])
    targets = _positionals(command.argv, frozenset({"-t", "--target-directory", "-m", "--mode"}))
    if program != "tee":
        targets = targets[-1:]
    for target in targets:
        _written(builder, target)


_ANALYZERS: dict[str, Callable[[_Builder, Command, int], None]] = {
    "rm": _rm,
    "find": _find,
    "git": _git,
    "terraform": _infra({"destroy": "destroy", "apply": "apply"}),
    "tofu": _infra({"destroy": "destroy", "apply": "apply"}),
    "terragrunt": _infra({"destroy": "destroy", "apply": "apply"}),
    "pulumi": _infra({"destroy": "destroy", "up": "up"}),
    "cdk": _infra({"destroy": "destroy", "deploy": "deploy"}),
    "kubectl": _kubectl,
    "oc": _kubectl,
    "kubectx": lambda b, c, d: b.sticky.extend(c.argv[1:2]),
    "helm": _publish,
    "aws": _cloud,
    "gcloud": _cloud,
    "gsutil": _cloud,
    "az": _cloud,
    "doctl": _cloud,
    "heroku": _cloud,
    "fly": _cloud,
    "flyctl": _cloud,
    "dropdb": _dropdb,
    "mysqladmin": _dropdb,
    "redis-cli": _redis,
    "mongo": _mongo,
    "mongosh": _mongo,
    "dd": _disk,
    "mkfs": _disk,
    "shred": _disk,
    "wipefs": _disk,
    "nc": _raw_socket,
    "ncat": _raw_socket,
    "netcat": _raw_socket,
    "socat": _raw_socket,
    "telnet": _raw_socket,
    "ssh": _ssh,
    "scp": _copy_remote,
    "rsync": _copy_remote,
    "sftp": _copy_remote,
    "ftp": _uploader,
    "tftp": _uploader,
    "smbclient": _uploader,
    "rclone": _uploader,
    "chmod": _privilege,
    "setcap": _privilege,
    "usermod": _privilege,
    "gpasswd": _privilege,
    "visudo": _privilege,
    "crontab": _persistence,
    "launchctl": _persistence,
    "systemctl": _persistence,
    "update-rc.d": _persistence,
    "chkconfig": _persistence,
    "at": _persistence,
    "tee": _writer,
    "cp": _writer,
    "mv": _writer,
    "install": _writer,
    "ln": _writer,
    "cd": lambda b, c, d: _cd(b, c),
    "export": lambda b, c, d: b.sticky.extend(w for w in c.argv[1:] if "=" in w),
    **dict.fromkeys(_DOWNLOADERS, _curl),
    **dict.fromkeys(_SQL_CLIENTS, _sql_client),
    **dict.fromkeys((*_PUBLISH, "gh"), _publish),
}  # fmt: skip
for _mkfs in ("mkfs.ext4", "mkfs.xfs", "mkfs.btrfs", "mkfs.vfat", "mkfs.fat", "newfs"):
    _ANALYZERS[_mkfs] = _disk


def _cd(builder: _Builder, command: Command) -> None:
    target = command.argv[1] if len(command.argv) > 1 else "~"
    builder.sticky.append(target)
    resolved = _resolve(builder, target)
    if resolved is not None:
        builder.cwd = resolved
    elif target.startswith(("~", "$", "/")) or ".." in target:
        builder.cwd = _ELSEWHERE  # somewhere we cannot name, so not the workspace
