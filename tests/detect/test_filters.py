import pytest

from agentd.detect import filters


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("AKIAIOSFODNN7EXAMPLE", True),
        ("xxxxxxxxxxxxxxxx", True),
        ("your_api_key", True),
        ("${API_KEY}", True),
        ("<token>", True),
        ("{{ secrets.X }}", True),
        ("**********", True),
        ("ghp_fakeTokenForTests", True),
        ("myFakeKey", True),
        ("sk-todo-later", True),
        ("aaaaaaaaaaaa", True),
        ("mfake5ZOAv2Y", False),  # a short word inside random text is chance, not filler
        ("K7gPq2Lm9Xw4Rt8Z", False),
        ("", False),
    ],
)
def test_placeholders(value: str, expected: bool) -> None:
    assert filters.is_placeholder(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("aaaa", True),
        ("abababababab", True),
        ("password=" * 3, True),
        ("abcdefghijkl", True),
        ("0123456789", True),
        ("zyxwvutsrq", True),
        ("K7gPq2Lm9Xw4Rt8Z", False),
        ("abcd1234XYZ!", False),
    ],
)
def test_repetition(value: str, expected: bool) -> None:
    assert filters.is_repetitive(value) is expected


@pytest.mark.parametrize(
    ("value", "digest", "uuid"),
    [
        ("d41d8cd98f00b204e9800998ecf8427e", True, False),
        ("da39a3ee5e6b4b0d3255bfef95601890afd80709", True, False),
        ("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", True, False),
        ("3f2c1a9e-7b4d-4c1e-9a6f-2d8e5b7c0a1f", False, True),
        ("d41d8cd98f00b204e9800998ecf8427", False, False),
        ("D41d8cd98f00b204e9800998ecf8427e", False, False),  # mixed case is not a printed digest
    ],
)
def test_digests_and_uuids(value: str, digest: bool, uuid: bool) -> None:
    assert filters.is_hex_digest(value) is digest
    assert filters.is_uuid(value) is uuid


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("settings.SECRET_KEY", True),
        ("os.environ", True),
        ("self->token", True),
        ("Config::PASSWORD", True),
        ("None", True),
        ("correct-horse", True),
        ("Tr0ub4dor&3", False),
        ("s3cr3t.value1", True),
        ("detect_secrets.main:main", True),
        ("/etc/passwd", False),
    ],
)
def test_code_references(value: str, expected: bool) -> None:
    assert filters.is_code_reference(value) is expected


def test_filters_are_linear_on_huge_values() -> None:
    huge = "Ab1" * 200_000
    assert filters.is_repetitive(huge)
    assert not filters.is_placeholder("K7gPq2Lm9Xw4Rt8Z" * 10_000)
