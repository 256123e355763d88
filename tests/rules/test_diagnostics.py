"""Table cases: every mistake an author can make gets a located, helpful diagnostic."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import rules

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "diagnostics.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["note"] for c in CASES])
def test_diagnostic(case: dict) -> None:
    result = rules.check(case["ruleset"], "case.yaml")
    codes = [d.code for d in result.diagnostics]
    matching = [d for d in result.diagnostics if d.code == case["want_code"]]
    assert matching, f"want {case['want_code']}, got {codes}"
    d = matching[0]
    assert d.file == "case.yaml"
    assert str(d.severity) == case.get("want_severity", "error")
    if "want_line" in case:
        assert d.line == case["want_line"], d.render()
    if "want_rule" in case:
        assert d.rule_id == case["want_rule"], d.render()
    if "want_hint" in case:
        assert case["want_hint"] in d.hint, d.render()
    assert d.render().startswith("case.yaml:")
    if d.is_error:
        assert not result.valid
    else:
        assert result.valid, [x.render() for x in result.errors]


def test_clean_rule_set_has_no_diagnostics() -> None:
    source = (Path(__file__).parents[2] / "rules" / "examples" / "fulfilment.yaml").read_text()
    result = rules.check(source, "fulfilment.yaml")
    assert result.valid
    assert result.diagnostics == ()
    assert len(result.tests) >= 10


def test_every_error_is_reported_at_once() -> None:
    source = """name: x
rules:
  - id: a
    priority: 1
    when: {customer.teir: {equals: PLUS}}
    then: {path: EXPRESS}
  - id: b
    priority: 2
    when: {total_minor: {bigger: 3}}
    then: {pathh: EXPRESS}
"""
    result = rules.check(source, "x.yaml")
    assert {d.code for d in result.errors} >= {"unknown-fact", "unknown-operator", "unknown-output", "no-default"}
