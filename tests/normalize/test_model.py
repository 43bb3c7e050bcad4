import pytest

from agentd.normalize.model import ToolUse


@pytest.mark.parametrize(
    ("arguments", "parsed"),
    [
        ('{"command": "ls"}', {"command": "ls"}),
        ("", {}),
        ('{"command": "l', None),
        ("[1, 2]", [1, 2]),
    ],
)
def test_parsed_arguments(arguments: str, parsed: object) -> None:
    assert ToolUse(call_id="c", name="Bash", arguments=arguments).parsed_arguments() == parsed
