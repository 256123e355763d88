"""The repository keeps itself honest: generated code is fresh, lint is clean."""

from __future__ import annotations

import filecmp
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATED = ROOT / "proto" / "orderroute" / "v1"


def test_generated_protobuf_code_is_fresh(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "proto", tmp_path / "proto", ignore=shutil.ignore_patterns("*_pb2*", "__pycache__"))
    subprocess.run(
        ["bash", str(tmp_path / "proto" / "generate")],
        check=True,
        env={"PYTHON": sys.executable, "PATH": "/usr/bin:/bin"},
    )
    fresh = tmp_path / "proto" / "orderroute" / "v1"
    names = sorted(p.name for p in fresh.iterdir() if "_pb2" in p.name)
    assert names == ["orderroute_pb2.py", "orderroute_pb2.pyi", "orderroute_pb2_grpc.py", "orderroute_pb2_grpc.pyi"]
    stale = [n for n in names if not filecmp.cmp(fresh / n, GENERATED / n, shallow=False)]
    assert stale == [], f"run proto/generate and commit: {stale} differ"


def test_ruff_is_clean() -> None:
    result = subprocess.run([sys.executable, "-m", "ruff", "check", str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_is_clean() -> None:
    result = subprocess.run([sys.executable, "-m", "mypy"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
