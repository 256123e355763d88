"""The diff of two versions in plain words: rule by rule, what was added, removed, modified or moved,
and the cells that changed."""

from __future__ import annotations

from rules.diff import CellChange, ChangeKind, RuleChange, rule_changes
from rules.model import RuleSet
from rules.parse import parse_rule_set
from tests.conftest import EXAMPLES

BASE = (EXAMPLES / "fulfilment.yaml").read_text()


def parsed(source: str) -> RuleSet:
    rule_set, diagnostics = parse_rule_set(source, "x.yaml")
    assert rule_set is not None, diagnostics
    return rule_set


def test_the_candidate_lowers_the_express_threshold_and_says_so_in_words() -> None:
    changes = rule_changes(parsed(BASE), parsed((EXAMPLES / "fulfilment-candidate.yaml").read_text()))
    assert [(c.rule_id, c.kind) for c in changes] == [("repeat-customer-express", ChangeKind.MODIFIED)]
    assert changes[0].cells[0] == CellChange("customer.repeat_purchases", "at least 3", "at least 2")


def test_a_new_priority_alone_is_a_move_and_an_output_change_a_modification() -> None:
    new = BASE.replace("    priority: 40\n", "    priority: 5\n", 1).replace("path: MANUAL_REVIEW", "path: HOLD", 1)
    changes = {c.rule_id: c for c in rule_changes(parsed(BASE), parsed(new))}
    assert changes["plus-forward-warehouse"] == RuleChange(
        "plus-forward-warehouse", ChangeKind.MOVED, (CellChange("priority", "40", "5"),)
    )
    assert changes["fraud-manual-review"].kind is ChangeKind.MODIFIED
    assert changes["fraud-manual-review"].cells == (CellChange("then.path", "MANUAL_REVIEW", "HOLD"),)
    assert len(changes) == 2  # the rules the move passed over did not move


def test_added_and_removed_rules_show_all_they_said() -> None:
    old = parsed(BASE)
    new = parsed(BASE.replace("  - id: presale-hold-balance", "  - id: presale-hold", 1))
    changes = rule_changes(old, new)
    kinds = {c.rule_id: c.kind for c in changes}
    assert kinds == {"presale-hold": ChangeKind.ADDED, "presale-hold-balance": ChangeKind.REMOVED}
    added = next(c for c in changes if c.kind is ChangeKind.ADDED)
    assert (
        CellChange("order_type", "", "is PRESALE") in added.cells and CellChange("then.path", "", "HOLD") in added.cells
    )


def test_a_version_against_itself_changes_nothing() -> None:
    assert rule_changes(parsed(BASE), parsed(BASE)) == ()
