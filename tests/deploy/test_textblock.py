import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentd.deploy import textblock

LINES = ("HTTPS_PROXY=http://127.0.0.1:8899", "NODE_EXTRA_CA_CERTS=/ca.pem")


@pytest.mark.parametrize(
    ("text", "newline_added"),
    [
        ("", False),
        ("A=1\n", False),
        ("A=1", True),
        ("# comment only\n\n", False),
        ("[table]\nkey = 1\r\n", False),
    ],
)
def test_insert_then_remove_gives_back_the_text_exactly(text: str, newline_added: bool) -> None:
    inserted, added = textblock.insert(text, LINES)
    assert added is newline_added
    assert inserted.startswith(text)
    assert textblock.block_lines(inserted) == LINES
    removed, found = textblock.remove(inserted, added)
    assert found
    assert removed == text


@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300))
def test_round_trip_for_any_text_without_markers(text: str) -> None:
    if ">>> agentd >>>" in text:
        return
    inserted, added = textblock.insert(text, LINES)
    assert textblock.remove(inserted, added) == (text, True)


def test_insert_replaces_an_existing_block_in_place() -> None:
    text = "A=1\n" + textblock.render(("OLD=1",)) + "B=2\n"
    replaced, added = textblock.insert(text, LINES)
    assert not added
    assert replaced == "A=1\n" + textblock.render(LINES) + "B=2\n"


def test_remove_leaves_user_lines_after_the_block() -> None:
    text, added = textblock.insert("A=1", LINES)
    text += "B=2\n"
    removed, found = textblock.remove(text, added)
    assert found
    # The newline agentd added is kept: the user's line now follows it.
    assert removed == "A=1\nB=2\n"


@pytest.mark.parametrize(
    "text",
    [
        "A=1\n",
        textblock.BEGIN + "\nX=1\n",  # truncated: BEGIN without END
        textblock.END + "\n" + textblock.BEGIN + "\n",
        "",
    ],
)
def test_incomplete_or_missing_blocks_are_not_blocks(text: str) -> None:
    assert textblock.find(text) is None
    assert textblock.block_lines(text) is None
    assert textblock.remove(text) == (text, False)


def test_end_marker_without_trailing_newline() -> None:
    text = "A=1\n" + textblock.BEGIN + "\nX=1\n" + textblock.END
    assert textblock.remove(text) == ("A=1\n", True)


def test_huge_file() -> None:
    text = "K=V\n" * 200_000
    inserted, added = textblock.insert(text, LINES)
    assert textblock.remove(inserted, added) == (text, True)
