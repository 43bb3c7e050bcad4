"""Regenerate agentd/wire/_generated from proto/ (run: `.venv/bin/python proto/generate.py`).

protoc writes imports as `from agentd.v1 import ...`; they are rewritten to the package path
so the generated code lives inside agentd without a top-level `agentd.v1` package.
"""

import re
import shutil
import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "proto"
OUTPUT = ROOT / "agentd" / "wire" / "_generated"
PACKAGE = "agentd.wire._generated"
BIN = Path(sys.executable).parent  # mypy-protobuf's plugins sit beside the interpreter


def generate(out: Path) -> None:
    """Write the generated modules for every .proto under proto/ into ``out``."""
    protos = sorted(str(p.relative_to(PROTO_DIR)) for p in PROTO_DIR.rglob("*.proto"))
    include = Path(protoc.__file__).parent / "_proto"
    with tempfile.TemporaryDirectory() as tmp:
        args = [
            "protoc",
            f"-I{PROTO_DIR}",
            f"-I{include}",
            f"--plugin=protoc-gen-mypy={BIN / 'protoc-gen-mypy'}",
            f"--plugin=protoc-gen-mypy_grpc={BIN / 'protoc-gen-mypy_grpc'}",
            f"--python_out={tmp}",
            f"--grpc_python_out={tmp}",
            f"--mypy_out={tmp}",
            f"--mypy_grpc_out={tmp}",
            *protos,
        ]
        if protoc.main(args) != 0:
            raise SystemExit("protoc failed")
        if out.exists():
            shutil.rmtree(out)
        shutil.copytree(tmp, out)
    for path in sorted(out.rglob("*.py*")):
        text = re.sub(r"\bfrom agentd\.v1 import", f"from {PACKAGE}.agentd.v1 import", path.read_text())
        text = re.sub(r"\bimport agentd\.v1\.", f"import {PACKAGE}.agentd.v1.", text)
        path.write_text(text)
    for folder in [out, *(p for p in out.rglob("*") if p.is_dir())]:
        (folder / "__init__.py").touch()


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT)
