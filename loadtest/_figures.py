"""Printing and saving a benchmark's figures."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path


def emit(figures: Mapping[str, float], json_path: Path | None) -> None:
    for key, value in figures.items():
        print(f"{key:28} {value:10.4f}")
    if json_path is not None:
        json_path.write_text(json.dumps(dict(figures), indent=2))
