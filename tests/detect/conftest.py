"""Scanners shared by the detect tests: compiling the rule set once per session is enough."""

import pytest

from agentd.detect import Scanner

KEY = b"test-fingerprint-key-0123456789"


@pytest.fixture(scope="session")
def scanner() -> Scanner:
    return Scanner.build(KEY)


@pytest.fixture(scope="session")
def reference() -> Scanner:
    return Scanner.build(KEY, engine="re")
