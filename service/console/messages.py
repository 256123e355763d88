"""Every message the console shows, as the catalog must hold it: the `_()` calls of the templates, the
`gettext` calls and message tables of the Python modules, and the fact descriptions of the rule
language. tests/service/console/test_catalog.py holds the Simplified Chinese catalog to this list."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from experiments.model import METRICS
from rules.facts import LINE_FACTS, ORDER_FACTS

HERE = Path(__file__).parent
TEMPLATE_CALL = re.compile(r"""_\(\s*(['"])(.+?)\1""")
MESSAGE_TABLES = (
    "_OPS",
    "_SCOPES",
    "OUTPUT_LABELS",
    "KIND_WORDS",
    "ACTION_WORDS",
    "NOTICES",
    "STATE_WORDS",
    "STATUS_WORDS",
    "UNIT_WORDS",
    "VERDICT_WORDS",
    "ACTION_MARKS",
    "STATE_NAMES",
    "SPAN_WORDS",
    "KPI_WORDS",
    "DELIVERY_STATES",
)
"""Module-level dicts whose values are messages (rules.wording, service.console.pages)."""
MESSAGE_PAIRS = ("SCOPE_CHOICES", "GROUP_CHOICES", "UNIT_CHOICES")
"""Module-level tuples of (value, message) pairs."""


def template_messages() -> set[str]:
    found: set[str] = set()
    for path in (HERE / "templates").glob("*.html"):
        found |= {m.group(2) for m in TEMPLATE_CALL.finditer(path.read_text())}
    return found


WORDING = Path(__file__).resolve().parents[2] / "rules" / "wording.py"
"""Plain words for rules, shared with the CLI and the API (English there)."""
READING = Path(__file__).resolve().parents[1] / "client" / "reading.py"
"""Experiment results in words, shared with the terminal (English there)."""
REPLAY_SUMMARY = READING.with_name("replay_summary.py")
"""A publish's blast radius and an experiment's shadow in words, shared with the terminal."""


def python_messages() -> set[str]:
    found: set[str] = set()
    for path in (*HERE.glob("*.py"), WORDING, READING, REPLAY_SUMMARY):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "gettext"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
            if (
                isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id in MESSAGE_PAIRS for t in node.targets)
                and isinstance(node.value, ast.Tuple)
            ):
                found |= {
                    pair.elts[1].value
                    for pair in node.value.elts
                    if isinstance(pair, ast.Tuple)
                    and isinstance(pair.elts[1], ast.Constant)
                    and isinstance(pair.elts[1].value, str)
                }
            targets = (
                node.targets
                if isinstance(node, ast.Assign)
                else [node.target]
                if isinstance(node, ast.AnnAssign)
                else []
            )
            if (
                any(isinstance(t, ast.Name) and t.id in MESSAGE_TABLES for t in targets)
                and isinstance(node, ast.Assign | ast.AnnAssign)
                and isinstance(node.value, ast.Dict)
            ):
                found |= {
                    v.value for v in node.value.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
                }
    return found


def fact_messages() -> set[str]:
    """The rule language's fact descriptions and the outcome metrics' (shown beside their names)."""
    facts = {spec.description for spec in (*ORDER_FACTS.values(), *LINE_FACTS.values())}
    return facts | {m.description for m in METRICS.values()}


def all_messages() -> set[str]:
    return template_messages() | python_messages() | fact_messages()
