"""What changed between two versions of a rule set: by rule id, added / removed / modified / moved, and
for each the cells that changed in plain words ("customer.repeat_purchases: at least 3 -> at least 2")."""

from __future__ import annotations

import bisect
import difflib
from dataclasses import dataclass
from enum import StrEnum

from rules.model import PRIORITY, THEN, Rule, RuleSet
from rules.wording import ENGLISH, Words, rule_cells


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    MODIFIED = "modified"
    MOVED = "moved"
    """Only its place changed: its priority, or its order among rules of the same priority."""


@dataclass(frozen=True, slots=True)
class CellChange:
    column: str
    """A fact's path, "priority", "other conditions", "description", or THEN + a decision field."""
    before: str
    after: str
    """In plain words; "" where the rule had nothing in that cell."""


@dataclass(frozen=True, slots=True)
class RuleChange:
    rule_id: str
    kind: ChangeKind
    cells: tuple[CellChange, ...]


@dataclass(frozen=True, slots=True)
class RuleSetDiff:
    added_rules: tuple[str, ...]
    removed_rules: tuple[str, ...]
    changed_rules: tuple[str, ...]
    source_diff: str
    changes: tuple[RuleChange, ...] = ()
    """Rule by rule, in the new version's order, then the removed ones."""


def diff_rule_sets(
    old: RuleSet,
    new: RuleSet,
    old_source: str,
    new_source: str,
    old_label: str,
    new_label: str,
    words: Words = ENGLISH,
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
        changes=rule_changes(old, new, words),
    )


def rule_changes(old: RuleSet, new: RuleSet, words: Words = ENGLISH) -> tuple[RuleChange, ...]:
    before = {r.id: r for r in (*old.rules, old.default)}
    after = {r.id: r for r in (*new.rules, new.default)}
    reordered = _reordered([i for i in before if i in after], [i for i in after if i in before])
    out = []
    for rule_id, rule in after.items():
        if rule_id not in before:
            out.append(RuleChange(rule_id, ChangeKind.ADDED, _cells(None, rule, words)))
            continue
        cells = _cells(before[rule_id], rule, words)
        if any(c.column != PRIORITY for c in cells):
            out.append(RuleChange(rule_id, ChangeKind.MODIFIED, cells))
        elif cells or rule_id in reordered:
            out.append(RuleChange(rule_id, ChangeKind.MOVED, cells))
    out += [RuleChange(i, ChangeKind.REMOVED, _cells(r, None, words)) for i, r in before.items() if i not in after]
    return tuple(out)


def column_name(column: str) -> str:
    """A cell's column as people read it: a decision field without its THEN prefix."""
    return column.removeprefix(THEN)


def _cells(old: Rule | None, new: Rule | None, words: Words) -> tuple[CellChange, ...]:
    a = rule_cells(old, words) if old is not None else {}
    b = rule_cells(new, words) if new is not None else {}
    keys = [*a, *(k for k in b if k not in a)]
    return tuple(CellChange(k, a.get(k, ""), b.get(k, "")) for k in keys if a.get(k, "") != b.get(k, ""))


def _reordered(old_order: list[str], new_order: list[str]) -> set[str]:
    """The rules to move to turn the old order into the new: all but a longest run kept in order."""
    position = {rule_id: i for i, rule_id in enumerate(new_order)}
    sequence = [position[rule_id] for rule_id in old_order]
    # Longest increasing subsequence (patience sorting), with back links to recover it.
    tails: list[int] = []
    tail_index: list[int] = []
    back = [-1] * len(sequence)
    for i, value in enumerate(sequence):
        at = bisect.bisect_left(tails, value)
        if at == len(tails):
            tails.append(value)
            tail_index.append(i)
        else:
            tails[at], tail_index[at] = value, i
        back[i] = tail_index[at - 1] if at else -1
    kept, i = set(), tail_index[-1] if tail_index else -1
    while i >= 0:
        kept.add(old_order[i])
        i = back[i]
    return {rule_id for rule_id in old_order if rule_id not in kept}
