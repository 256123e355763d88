"""What changed between two versions of a rule set."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from rules.model import RuleSet


@dataclass(frozen=True, slots=True)
class RuleSetDiff:
    added_rules: tuple[str, ...]
    removed_rules: tuple[str, ...]
    changed_rules: tuple[str, ...]
    source_diff: str


def diff_rule_sets(
    old: RuleSet, new: RuleSet, old_source: str, new_source: str, old_label: str, new_label: str
) -> RuleSetDiff:
    before = {r.id: r for r in (*old.rules, old.default)}
    after = {r.id: r for r in (*new.rules, new.default)}
    text = "".join(
        difflib.unified_diff(
            old_source.splitlines(keepends=True), new_source.splitlines(keepends=True), old_label, new_label
        )
    )
    return RuleSetDiff(
        added_rules=tuple(i for i in after if i not in before),
        removed_rules=tuple(i for i in before if i not in after),
        changed_rules=tuple(i for i in after if i in before and after[i] != before[i]),
        source_diff=text,
    )
