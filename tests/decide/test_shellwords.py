import shlex

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentd.decide.shellwords import Op, is_assignment, parse, program_name, substitutions


def argvs(text: str) -> list[list[str]]:
    return [c.argv for c in parse(text)[0]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('echo "a b" c', [["echo", "a b", "c"]]),
        ("echo 'it''s'", [["echo", "its"]]),
        ("echo a\\ b", [["echo", "a b"]]),
        ('echo "x\\"y"', [["echo", 'x"y']]),
        ("a;b|c && d || e & f", [["a"], ["b"], ["c"], ["d"], ["e"], ["f"]]),
        ("(cd /; ls)", [["cd", "/"], ["ls"]]),
        ("x 2>&1 > out.txt", [["x"]]),
        ("FOO=1 BAR=2 cmd arg", [["cmd", "arg"]]),
        ("ls # rm -rf /", [["ls"]]),
        ("echo `date`", [["echo", "`date`"]]),
        ("a\nb", [["a"], ["b"]]),
    ],
)
def test_commands(text: str, expected: list[list[str]]) -> None:
    assert argvs(text) == expected


def test_redirects_pipes_heredocs_and_env() -> None:
    commands, _, parsed = parse(
        "FOO=bar cat < in.txt | psql -h db <<'SQL' >> out.log\nDROP TABLE t;\nSQL\nls"
    )
    assert parsed
    cat, psql, ls = commands
    assert cat.env == [("FOO", "bar")]
    assert cat.redirects == [("<", "in.txt")]
    assert psql.piped_in
    assert psql.piped_from == "cat"
    assert psql.stdin_text == "DROP TABLE t;"
    assert (">>", "out.log") in psql.redirects
    assert ls.argv == ["ls"]


def test_quoted_operators_stay_words() -> None:
    (command,) = parse('echo ";" "&&"')[0]
    assert command.argv == ["echo", ";", "&&"]
    _, words, _ = parse("a ; b")
    assert isinstance(words[1], Op)
    assert not isinstance(parse('echo ";"')[1][1], Op)


def test_open_quotes_fall_back_to_words() -> None:
    commands, _, parsed = parse("cat 'x ; rm -rf /srv")
    assert not parsed
    assert [c.argv for c in commands] == [["cat", "x"], ["rm", "-rf", "/srv"]]


def test_padding_cannot_push_a_command_out_of_reach() -> None:
    commands, _, _ = parse("true; " * 20_000 + "cat secret")
    assert commands[-1].argv == ["cat", "secret"]


def test_substitutions() -> None:
    assert list(substitutions("$(cat a)")) == ["cat a"]
    assert list(substitutions("x$(a $(b))y")) == ["a $(b)"]
    assert list(substitutions("`id` and `whoami`")) == ["id", "whoami"]
    assert list(substitutions("plain")) == []
    assert list(substitutions("$(unclosed")) == ["unclosed"]


def test_small_helpers() -> None:
    assert is_assignment("A_1=x")
    assert not is_assignment("1A=x")
    assert not is_assignment("--opt=x")
    assert program_name("/usr/bin/Curl") == "curl"


_word = st.text(st.characters(codec="ascii", categories=("L", "N")), min_size=1, max_size=8)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(_word, _word.map(lambda w: f"'{w} x'"), _word.map(lambda w: f'"{w} y"')), max_size=6)
)
def test_quoting_is_read_as_shlex_reads_it(words: list[str]) -> None:
    text = " ".join(words)
    assert parse(text)[1] == shlex.split(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_splits(text: str) -> None:
    commands, _, _ = parse(text)
    assert all(isinstance(c.argv, list) for c in commands)
