import pytest

from agentd.normalize.denials import denial_text, request_denial_text
from agentd.normalize.model import Denial, ToolUse


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        (
            "reads a credential file",
            "[agentd] The tool call Read (toolu_1) was blocked: reads a credential file",
        ),
        ("  ", "[agentd] The tool call Read (toolu_1) was blocked: denied by policy"),
    ],
)
def test_denial_text_names_the_call_and_reason(reason: str, expected: str) -> None:
    assert denial_text(ToolUse("toolu_1", "Read", "{}"), Denial(reason)) == expected


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("secret in prompt", "[agentd] Request blocked: secret in prompt"),
        ("", "[agentd] Request blocked: denied by policy"),
    ],
)
def test_request_denial_text(reason: str, expected: str) -> None:
    assert request_denial_text(reason) == expected
