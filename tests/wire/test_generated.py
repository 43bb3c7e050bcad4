"""The committed generated code must be exactly what proto/ produces today."""

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _generator():
    spec = importlib.util.spec_from_file_location("proto_generate", ROOT / "proto" / "generate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["proto_generate"] = module
    spec.loader.exec_module(module)
    return module


def _tree(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): p.read_text()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_generated_code_is_fresh(tmp_path: Path) -> None:
    generator = _generator()
    generator.generate(tmp_path / "out")
    fresh, committed = _tree(tmp_path / "out"), _tree(generator.OUTPUT)
    stale = sorted(name for name in fresh.keys() | committed.keys() if fresh.get(name) != committed.get(name))
    assert not stale, f"run `.venv/bin/python proto/generate.py`; stale: {stale}"


def test_a_proto_change_without_regeneration_is_caught(tmp_path: Path) -> None:
    generator = _generator()
    proto_copy = tmp_path / "proto"
    proto_copy.mkdir()
    for source in (ROOT / "proto").rglob("*.proto"):
        target = proto_copy / source.relative_to(ROOT / "proto")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source.read_text())
    events = proto_copy / "agentd" / "v1" / "events.proto"
    events.write_text(events.read_text().replace("message Risk {\n", "message Risk {\n  string extra = 9;\n"))
    generator.PROTO_DIR = proto_copy
    generator.generate(tmp_path / "out")
    assert _tree(tmp_path / "out") != _tree(generator.OUTPUT)
