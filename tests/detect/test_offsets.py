import pytest

from agentd.detect import offsets


@pytest.mark.parametrize(
    "text",
    ["plain ascii", "naïve café", "emoji 😀 and 漢字", "lone \ud800 surrogate \udcff here", ""],
)
def test_char_indexes_map_every_boundary_back(text: str) -> None:
    data = offsets.encode(text)
    boundaries = [len(text[:i].encode("utf-8", "surrogatepass")) for i in range(len(text) + 1)]
    mapping = offsets.char_indexes(data, reversed(boundaries))
    assert [mapping[b] for b in boundaries] == list(range(len(text) + 1))


def test_encode_keeps_lone_surrogates() -> None:
    assert offsets.encode("a\udcffb") == b"a\xed\xb3\xbfb"
    assert offsets.encode("ok") == b"ok"


@pytest.mark.parametrize(
    ("span", "expected"),
    [((0, 1), (0, 1)), ((2, 3), (1, 3)), ((1, 2), (1, 3)), ((4, 5), (3, 7)), ((6, 7), (3, 7))],
)
def test_widen_covers_whole_characters(span: tuple[int, int], expected: tuple[int, int]) -> None:
    data = "aé😀".encode()  # a | c3 a9 | f0 9f 98 80
    assert offsets.widen(data, *span) == expected
