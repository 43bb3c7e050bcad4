"""Tests mirror the package: agentd/x/y.py is tested in tests/x/test_y.py."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXEMPT = {"__init__.py", "__main__.py"}


def test_every_module_has_a_mirrored_test_file() -> None:
    missing = []
    for module in sorted((ROOT / "agentd").rglob("*.py")):
        relative = module.relative_to(ROOT / "agentd")
        if module.name in EXEMPT or "_generated" in relative.parts:
            continue
        expected = ROOT / "tests" / relative.parent / f"test_{module.name}"
        if not expected.exists():
            missing.append(f"agentd/{relative} -> {expected.relative_to(ROOT)}")
    assert not missing, "modules without a test file:\n" + "\n".join(missing)
