import re

import pytest

from agentd.detect import checks, validators
from agentd.detect.rule import Candidate, Check


def _candidate(text: str, pattern: str = r"=(?P<value>\S+)") -> Candidate:
    data = text.encode()
    match = re.compile(pattern.encode()).search(data)
    assert match is not None
    return Candidate(data, match.start("value"), match.end("value"), match)


@pytest.mark.parametrize(
    ("check", "text", "expected"),
    [
        (checks.not_placeholder, "k=your_api_key", False),
        (checks.not_placeholder, "k=K7gPq2Lm9Xw4", True),
        (checks.not_repetitive, "k=abababababab", False),
        (checks.not_repetitive, "k=K7gPq2Lm9Xw4", True),
        (checks.not_digest_or_uuid, "k=d41d8cd98f00b204e9800998ecf8427e", False),
        (checks.not_digest_or_uuid, "k=3f2c1a9e-7b4d-4c1e-9a6f-2d8e5b7c0a1f", False),
        (checks.not_digest_or_uuid, "k=K7gPq2Lm9Xw4", True),
        (checks.literal_value, "k=settings.SECRET", False),
        (checks.literal_value, "k=K7gPq2Lm9Xw4", True),
        (checks.min_entropy(3.0), "k=aab", False),
        (checks.min_entropy(3.0), "k=K7gPq2Lm9Xw4", True),
        (checks.valid(validators.ssn), "k=219-45-6789", True),
        (checks.valid(validators.ssn), "k=000-45-6789", False),
        (checks.not_preceded_by("k="), "k=value", False),
        (checks.not_preceded_by("x="), "k=value", True),
    ],
)
def test_checks(check: Check, text: str, expected: bool) -> None:
    assert check(_candidate(text)) is expected


def test_checks_can_judge_a_named_group() -> None:
    candidate = _candidate("user=admin pass=K7gPq2Lm9Xw4", r"user=(?P<user>\S+) pass=(?P<value>\S+)")
    assert not checks.min_entropy(3.0, group="user")(candidate)
    assert checks.group_not_in("user", frozenset({"root"}))(candidate)
    assert not checks.group_not_in("user", frozenset({"admin"}))(candidate)
    assert checks.valid(lambda text: text == "admin", group="user")(candidate)


def test_secret_defaults_filter_placeholders_and_repetition() -> None:
    assert (checks.not_placeholder, checks.not_repetitive) == checks.SECRET_DEFAULTS
