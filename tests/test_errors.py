import pytest

from agentd import errors


@pytest.mark.parametrize(
    ("error", "parent", "exit_code"),
    [
        (errors.ConfigError, errors.AgentdError, 78),
        (errors.DaemonNotRunning, errors.AgentdError, 3),
        (errors.SpoolCorrupt, errors.SpoolError, 1),
        (errors.CollectorUnavailable, errors.ShipError, 1),
        (errors.BatchRejected, errors.ShipError, 1),
    ],
)
def test_tree_and_exit_codes(error: type[errors.AgentdError], parent: type, exit_code: int) -> None:
    assert issubclass(error, parent)
    assert error.exit_code == exit_code
