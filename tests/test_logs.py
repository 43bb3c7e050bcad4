import json
import logging

import pytest

from agentd.logs import configure


def test_lines_are_json_with_extras_and_no_exception_text(capsys: pytest.CaptureFixture[str]) -> None:
    configure("info")
    log = logging.getLogger("agentd.test")
    log.info("hello", extra={"flow": 7})
    try:
        raise ValueError("value that might be sensitive")
    except ValueError:
        log.exception("failed")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert lines[0]["message"] == "hello"
    assert lines[0]["flow"] == 7
    assert lines[1]["error"] == "ValueError"
    assert "sensitive" not in json.dumps(lines)
    logging.getLogger().handlers.clear()
