"""Shell text into simple commands: POSIX quoting (as shlex applies it), operators (``;``, ``&&``,
``||``, pipes, redirections, subshells), heredocs, ``VAR=value`` prefixes and ``$(...)``/backtick
substitutions. Only the words; what the commands do is ``shell.py``'s business.
"""

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

MAX_GRAMMAR_CHARS = 32 * 1024  # longer text is split on whitespace and operators, quoting ignored
MAX_COMMANDS = 4096  # distinct simple commands returned per text


@dataclass
class Command:
    """One simple command: its words after ``VAR=value`` prefixes, and where its input comes from."""

    argv: list[str] = field(default_factory=list)
    env: list[tuple[str, str]] = field(default_factory=list)
    redirects: list[tuple[str, str]] = field(default_factory=list)
    stdin_text: str | None = None
    piped_in: bool = False
    piped_from: str | None = None  # the program feeding this one through a pipe


_SEPARATORS = frozenset({"&&", "||", ";;", "&", ";", "(", ")", "\n"})
_REDIRECTS = frozenset({"<<<", "<<-", ">>", "<<", ">&", "<&", "&>", ">|", "<", ">"})
_HEREDOC = re.compile(r"<<(-?)[ \t]*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\2")


def parse(text: str) -> tuple[list["Command"], list[str], bool]:
    """The simple commands in ``text``, its words (for substitutions), and whether the grammar
    read it: text it cannot read (an open quote) is split on whitespace and operators instead."""
    text, heredocs = _cut_heredocs(text)
    words = _grammar_words(text) if len(text) <= MAX_GRAMMAR_CHARS else None
    parsed = words is not None
    if words is None:
        words = _naive_words(text)
    return _commands(words, heredocs), words, parsed


def _cut_heredocs(text: str) -> tuple[str, list[str]]:
    """Remove heredoc bodies from ``text`` (their apostrophes are not quotes); return them in order."""
    bodies: list[str] = []
    if "<<" not in text:
        return text, bodies
    out: list[str] = []
    position = 0
    while (match := _HEREDOC.search(text, position)) is not None:
        line_end = text.find("\n", match.end())
        if line_end < 0:
            break
        strip_tabs, delimiter = match.group(1) == "-", match.group(3)
        lines = text[line_end + 1 :].split("\n")
        body_lines: list[str] = []
        consumed = line_end + 1
        for line in lines:
            consumed += len(line) + 1
            if (line.lstrip("\t") if strip_tabs else line) == delimiter:
                break
            body_lines.append(line)
        out.append(text[position : line_end + 1])
        bodies.append("\n".join(body_lines))
        position = min(consumed, len(text))
    out.append(text[position:])
    return "".join(out), bodies


class Op(str):
    """An operator token (``;``, ``|``, ``>``...), told apart from a quoted word that spells one."""

    __slots__ = ()


_TOKEN = re.compile(
    r"""(?P<space>[ \t\r]+)
    |(?P<op>&&|\|\||;;|<<<|<<-|<<|>>|>&|<&|&>|\|&|>\||[|&;()<>\n])
    |(?P<word>(?:[^\s'"`\\;&|()<>]|\\.|'[^']*'|"(?:[^"\\]|\\.)*"|`[^`]*`)+)
    |(?P<bad>.)""",
    re.S | re.X,
)
_PIECE = re.compile(r"""'([^']*)'|"((?:[^"\\]|\\.)*)"|\\(.)|([^'"\\]+)""", re.S)
_DQUOTE_ESCAPE = re.compile(r"""\\([\\"$`\n])""")


def _grammar_words(text: str) -> list[str] | None:
    """Words and operators with POSIX quoting applied, as shlex would; None when a quote is left
    open. One compiled regex: shlex reads character by character in Python, which made it most
    of a decision's cost."""
    words: list[str] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "word":
            words.append(_unquote(match.group()))
        elif kind == "op":
            words.append(Op(match.group()))
        elif kind == "bad":  # an unclosed quote or a trailing backslash
            return None
    return words


def _unquote(word: str) -> str:
    if "'" not in word and '"' not in word and "\\" not in word:
        return word
    out = []
    for single, double, escaped, plain in _PIECE.findall(word):
        if plain:
            out.append(plain)
        elif escaped:
            out.append("" if escaped == "\n" else escaped)
        elif double:
            out.append(_DQUOTE_ESCAPE.sub(r"\1", double))
        else:
            out.append(single)
    return "".join(out)


_NAIVE_OPS = re.compile(r"(&&|\|\||[;|&()<>\n])")


def _naive_words(text: str) -> list[str]:
    """Whitespace words with operators split off: the conservative reading of broken shell."""
    words: list[str] = []
    for part in _NAIVE_OPS.split(text):
        if _NAIVE_OPS.fullmatch(part):
            words.append(Op(part))
        else:
            words.extend(w.strip("'\"") for w in part.split() if w.strip("'\""))
    return words


def _commands(words: list[str], heredocs: list[str]) -> list[Command]:
    commands: list[Command] = []
    current = Command()
    bodies = iter(heredocs)
    in_comment = False  # a word starting with '#' comments out the rest of the command
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        is_op = isinstance(word, Op)
        if is_op and (word in _SEPARATORS or word in ("|", "|&")):
            in_comment = False
            if current.argv or current.redirects or current.env:
                commands.append(current)
            piped_from = program_name(current.argv[0]) if word in ("|", "|&") and current.argv else None
            current = Command(piped_in=piped_from is not None, piped_from=piped_from)
            continue
        if in_comment:
            continue
        if is_op and word in _REDIRECTS:
            if current.argv and current.argv[-1].isdigit() and len(current.argv[-1]) == 1:
                current.argv.pop()  # the fd number of `2>&1`
            target = ""
            if index < len(words) and not isinstance(words[index], Op):
                target = words[index]
                index += 1
            if word in ("<<", "<<-"):
                current.stdin_text = next(bodies, "")
            elif word == "<<<":
                current.stdin_text = target
            current.redirects.append((word, target))
            continue
        if word.startswith("#"):
            in_comment = True
            continue
        if not current.argv and is_assignment(word):
            name, _, value = word.partition("=")
            current.env.append((name, value))
            continue
        current.argv.append(word)
    if current.argv or current.redirects or current.env:
        commands.append(current)
    return _distinct(commands)


def _distinct(commands: list[Command]) -> list[Command]:
    """Each distinct command once, at most MAX_COMMANDS: padding a line with thousands of
    harmless commands must not push the one that matters out of reach. (Short lines are kept
    whole: with `cd` in between, the same words can mean different things.)"""
    if len(commands) <= MAX_COMMANDS:
        return commands
    seen: set[tuple[object, ...]] = set()
    unique = []
    for command in commands:
        key = (tuple(command.argv), tuple(command.redirects), tuple(command.env), command.piped_in)
        if key not in seen:
            seen.add(key)
            unique.append(command)
    return unique[:MAX_COMMANDS]


_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def is_assignment(word: str) -> bool:
    return _ASSIGNMENT.match(word) is not None


def substitutions(word: str) -> Iterator[str]:
    """The inner text of ``$(...)`` and backtick substitutions in ``word``."""
    if "$(" not in word and "`" not in word:
        return
    start = 0
    while (open_at := word.find("$(", start)) >= 0:
        depth, position = 1, open_at + 2
        while position < len(word) and depth:
            depth += {"(": 1, ")": -1}.get(word[position], 0)
            position += 1
        yield word[open_at + 2 : position - 1 if depth == 0 else position]
        start = position
    parts = word.split("`")
    yield from (part for part in parts[1::2] if part.strip())


def program_name(word: str) -> str:
    return posixpath.basename(word).lower()
