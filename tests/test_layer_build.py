"""Two builds of the layer from one commit are the same layer (docs/DESIGN.md, "Deploying").

Runs the layer's own build (layers/stint/Makefile, what `sam build` runs) twice into two
directories, as `sam build` on two machines would, and compares their digests; and checks
that what was built is Lambda's (arm64 CPython 3.12 wheels; bytecode naming /opt/python).
Needs pip's access to the package index (every build does).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LAYER = REPO / "layers" / "stint"
AARCH64 = 0xB7  # ELF e_machine


def build(artifacts: Path) -> str:
    result = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-C",
            str(LAYER),
            "build-StintLayer",
            f"ARTIFACTS_DIR={artifacts}",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    found = re.search(r"layer sha256: ([0-9a-f]{64})", result.stdout)
    assert found, result.stdout
    return found.group(1)


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_two_builds_of_one_commit_are_the_same_layer(tmp_path: Path) -> None:
    first, second = build(tmp_path / "a"), build(tmp_path / "b")
    assert first == second
    python = tmp_path / "a" / "python"
    (core,) = (python / "pydantic_core").glob("_pydantic_core.*.so")
    assert core.name.endswith("cpython-312-aarch64-linux-gnu.so")
    assert int.from_bytes(core.read_bytes()[18:20], "little") == AARCH64
    assert not list(python.glob("botocore*")), "the runtime provides botocore"
    compiled = list((python / "stint").glob("__pycache__/*.cpython-*.pyc"))
    if compiled:  # a python3.12 was at hand to compile with
        assert all(".cpython-312." in p.name for p in compiled)
        assert b"/opt/python/stint/" in compiled[0].read_bytes()
        assert str(tmp_path).encode() not in compiled[0].read_bytes()
