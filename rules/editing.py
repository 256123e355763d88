"""Editing a rule set's YAML source one cell at a time, the way a table editor does: a fact's test, a
decision field or the priority of one rule; adding or removing a rule; adding a test case.

Only the edited rule's lines change: the rule is loaded with a round-trip YAML parser (ruamel.yaml,
which keeps flow style and comments inside the rule), changed, written back with the indentation it had,
and spliced into the original text; every other line, comments and layout included, stays as it was.
Edits do not validate: the result is checked like any source (rules.check), and the editor shows the
diagnostics on their rows.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from rules.model import Op


class EditError(ValueError):
    """The edit cannot be made on this source (it does not parse, or has no such rule)."""


LIST_OPS = frozenset({Op.IN, Op.NOT_IN, Op.BETWEEN})
LIST_FIELDS = frozenset({"holds", "tags", "avoid_warehouse_types"})
SCOPES = ("any_line", "all_lines", "no_line")


def set_condition(source: str, rule_id: str, fact: str, op: str, value: str, scope: str = "", group: str = "") -> str:
    """The rule tests `fact` with `op` and `value` (typed as written: 3, 0.8, true, VIP; a list for in,
    not_in and between, comma separated), on the order, or with `scope` (any_line, all_lines, no_line)
    on its lines; an empty `op` removes that test. `group` says how the test combines with the rule's
    others: "" (all must hold), "any" (one of the rule's any-group is enough) or "not" (must not hold)."""
    if scope and scope not in SCOPES:
        raise EditError(f"unknown line scope {scope!r}; one of {', '.join(SCOPES)}")
    if group not in GROUPS:
        raise EditError(f"unknown group {group!r}; one of all, {', '.join(g for g in GROUPS if g)}")

    def edit(rule: CommentedMap) -> None:
        tests = _top_level_tests(rule)
        any_holder = next((t for t in tests if _is_group(t, "any")), None)
        items: list[Any] = list(any_holder["any"]) if group == "any" and any_holder is not None else []
        if group != "any":
            items = tests
        unwrap = _negated if group == "not" else _itself
        test = None if not op else _flow_map({op: True if op in ("exists", "not_exists") else _typed(op, value)})
        holder = next((item for item in items if _holds(unwrap(item), fact, scope)), None)
        if holder is None and scope and test is not None:  # a new test of the same line: into its scope
            holder = next((item for item in items if isinstance(unwrap(item).get(scope), dict)), None)
        inner = unwrap(holder) if holder is not None else None
        target = inner[scope] if inner is not None and scope else inner
        if target is not None and test is None:
            del target[fact]
            if not target:
                items.remove(holder)
        elif target is not None:
            target[fact] = test
        elif test is not None:
            new = CommentedMap([(fact, test)])
            new = CommentedMap([(scope, new)]) if scope else new
            items.append(CommentedMap([("not", new)]) if group == "not" else new)
        if group == "any":
            _store_any_group(tests, any_holder, items)
        _store_tests(rule, tests)

    return _edit_rule(source, rule_id, edit)


GROUPS = ("", "any", "not")


def _is_group(item: Any, key: str) -> bool:
    return isinstance(item, dict) and list(item.keys()) == [key]


def _itself(item: Any) -> Any:
    return item if isinstance(item, dict) else {}


def _negated(item: Any) -> Any:
    """What a `not:` item negates (a mapping), or nothing to match for any other item."""
    return item["not"] if _is_group(item, "not") and isinstance(item["not"], dict) else {}


def _store_any_group(tests: list[Any], holder: CommentedMap | None, items: list[Any]) -> None:
    """The rule's any-group holds `items` (one is made at the end of the tests; none left, it goes)."""
    if holder is None and items:
        tests.append(CommentedMap([("any", CommentedSeq(items))]))
    elif holder is not None and items:
        holder["any"] = CommentedSeq(items)
    elif holder is not None:
        tests.remove(holder)


def _holds(item: Any, fact: str, scope: str) -> bool:
    """Whether a test item is where `fact` is tested (on the order, or in that line scope)."""
    if not isinstance(item, dict):
        return False
    if scope:
        return isinstance(item.get(scope), dict) and fact in item[scope]
    return fact in item


def set_output(source: str, rule_id: str, field: str, value: str) -> str:
    """The rule sets a decision field (`value` empty: it no longer does)."""

    def edit(rule: CommentedMap) -> None:
        then = rule.setdefault("then", CommentedMap())
        if not value.strip():
            then.pop(field, None)
        elif field in LIST_FIELDS:
            then[field] = _flow_list([v.strip() for v in value.split(",") if v.strip()])
        elif field == "priority_pickup":
            then[field] = value.strip().lower() in ("true", "yes", "1")
        else:
            then[field] = value.strip()

    return _edit_rule(source, rule_id, edit)


def set_priority(source: str, rule_id: str, priority: int) -> str:
    def edit(rule: CommentedMap) -> None:
        rule["priority"] = priority

    return _edit_rule(source, rule_id, edit)


def add_rule(source: str, rule_id: str, priority: int) -> str:
    """A new rule after the last one, with no condition and no output yet (the checks will say so)."""
    doc = _load(source)
    rules = doc.get("rules")
    if not isinstance(rules, CommentedSeq) or not rules:
        raise EditError("the rule set has no rules list to add to; add the rule in YAML")
    if any(isinstance(r, dict) and r.get("id") == rule_id for r in rules):
        raise EditError(f"a rule {rule_id!r} exists already")
    lines = source.splitlines(keepends=True)
    _, end = _rule_lines(doc, lines, len(rules) - 1)
    new = CommentedMap([("id", rule_id), ("priority", priority), ("when", CommentedMap()), ("then", CommentedMap())])
    block = _dump_item(new, _dash_column(rules, len(rules) - 1))
    return "".join([*lines[:end], "\n", block, *lines[end:]])


def remove_rule(source: str, rule_id: str) -> str:
    doc = _load(source)
    index = _rule_index(doc, rule_id)
    lines = source.splitlines(keepends=True)
    start, end = _rule_lines(doc, lines, index)
    while end < len(lines) and not lines[end].strip():  # the blank lines after it go with it
        end += 1
    return "".join([*lines[:start], *lines[end:]])


def move_rule(source: str, rule_id: str, direction: str) -> str:
    """The rule swaps places with the nearest rule of the same priority above ("up") or below ("down"):
    among rules of one priority, the one written first decides a field first."""
    if direction not in ("up", "down"):
        raise EditError(f"unknown direction {direction!r}; up or down")
    doc = _load(source)
    index = _rule_index(doc, rule_id)
    rules = doc["rules"]
    priority = rules[index].get("priority")
    others = range(index - 1, -1, -1) if direction == "up" else range(index + 1, len(rules))
    other = next((i for i in others if isinstance(rules[i], dict) and rules[i].get("priority") == priority), None)
    if other is None:
        where = "above" if direction == "up" else "below"
        raise EditError(
            f"no rule of priority {priority} {where} {rule_id!r}; change its priority to move it past other rules"
        )
    lines = source.splitlines(keepends=True)
    first, second = sorted((index, other))
    a_start, a_end = _rule_lines(doc, lines, first)
    b_start, b_end = _rule_lines(doc, lines, second)
    a_start, b_start = _with_comments_above(lines, a_start), _with_comments_above(lines, b_start)
    a, b = lines[a_start:a_end], lines[b_start:b_end]
    return "".join([*lines[:a_start], *b, *lines[a_end:b_start], *a, *lines[b_end:]])


def _with_comments_above(lines: Sequence[str], start: int) -> int:
    """The rule's first line, counting the comment lines right above it (they are about it)."""
    while start > 0 and lines[start - 1].lstrip().startswith("#"):
        start -= 1
    return start


def add_test(source: str, name: str, order: dict[str, Any], expect: dict[str, Any]) -> str:
    """A test case appended to the rule set's tests (a `tests:` list is started if there is none)."""
    doc = _load(source)
    case = CommentedMap([("name", name), ("order", _flow_deep(order)), ("expect", _flow_deep(expect))])
    tests = doc.get("tests")
    lines = source.splitlines(keepends=True)
    if isinstance(tests, CommentedSeq) and tests:
        end = _item_end(doc, "tests", tests, len(tests) - 1, lines)
        return "".join([*lines[:end], "\n", _dump_item(case, _dash_column(tests, len(tests) - 1)), *lines[end:]])
    if "tests" in doc:
        raise EditError("tests: is not a list of test cases; add the test in YAML")
    tail = "" if source.endswith("\n") else "\n"
    return source + tail + "\ntests:\n" + _dump_item(case, DUMPED_DASH_COLUMN)


def _flow_deep(value: Any) -> Any:
    """Order and expectation mappings as the examples write them: nested mappings on one line."""
    if isinstance(value, dict):
        out = CommentedMap((k, _flow_inner(v)) for k, v in value.items())
        return out
    return value


def _flow_inner(value: Any) -> Any:
    if isinstance(value, dict):
        return _flow_map({k: _flow_inner(v) for k, v in value.items()})
    if isinstance(value, list):
        return _flow_list([_flow_inner(v) for v in value])
    return value


# ------------------------------------------------------------ the splice


def _edit_rule(source: str, rule_id: str, edit: Any) -> str:
    doc = _load(source)
    index = _rule_index(doc, rule_id)
    lines = source.splitlines(keepends=True)
    start, end = _rule_lines(doc, lines, index)
    rule = doc["rules"][index]
    edit(rule)
    return "".join([*lines[:start], _dump_item(rule, _dash_column(doc["rules"], index)), *lines[end:]])


def _load(source: str) -> Any:
    try:
        doc = _yaml().load(source)
    except YAMLError as exc:
        raise EditError(f"the source is not valid YAML: {exc}") from None
    if not isinstance(doc, CommentedMap):
        raise EditError("the source is not a rule set (a mapping with name and rules)")
    return doc


def _rule_index(doc: Any, rule_id: str) -> int:
    rules = doc.get("rules")
    for i, rule in enumerate(rules if isinstance(rules, CommentedSeq) else ()):
        if isinstance(rule, CommentedMap) and rule.get("id") == rule_id:
            return i
    raise EditError(f"no rule {rule_id!r} in the rules list (the default rule is edited in YAML)")


def _rule_lines(doc: Any, lines: Sequence[str], index: int) -> tuple[int, int]:
    """[start, end) of the rule's lines, trailing blank lines and comments left to what follows."""
    return doc["rules"][index].lc.line, _item_end(doc, "rules", doc["rules"], index, lines)


def _item_end(doc: Any, key: str, items: CommentedSeq, index: int, lines: Sequence[str]) -> int:
    """Where item `index` of the top-level list `key` ends (exclusive), trailing blank lines and
    comments left to what follows."""
    start = items[index].lc.line
    if index + 1 < len(items):
        end = items[index + 1].lc.line
    else:
        keys = list(doc.keys())
        after = keys.index(key) + 1
        end = doc.lc.key(keys[after])[0] if after < len(keys) else len(lines)
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    return int(end)


def _dash_column(rules: CommentedSeq, index: int) -> int:
    """The column of the item's dash (ruamel gives its content's, two further)."""
    return int(rules.lc.item(index)[1]) - 2


def _dump_item(rule: CommentedMap, dash_column: int) -> str:
    """The rule as a one-item sequence, its dash at `dash_column`, without the blank lines and comments
    after it (the source keeps its own)."""
    out = io.StringIO()
    _yaml().dump(CommentedSeq([rule]), out)
    lines = out.getvalue().rstrip("\n").splitlines()
    while lines and (not lines[-1].strip() or lines[-1].lstrip().startswith("#")):
        lines.pop()  # what follows the rule (blank lines, the next rule's comment) stays in the source
    shift = dash_column - DUMPED_DASH_COLUMN
    moved = [(" " * shift + line if shift >= 0 else line[-shift:]) if line.strip() else "" for line in lines]
    return "\n".join(moved) + "\n"


DUMPED_DASH_COLUMN = 2
"""Where _yaml() writes a sequence item's dash (indent(sequence=4, offset=2))."""


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


# ------------------------------------------------------------ conditions


def _top_level_tests(rule: CommentedMap) -> list[Any]:
    """The rule's condition as a list of "all" items (a lone test, or a lone any/not/scope, is one)."""
    when = rule.get("when")
    if not when:
        return []
    if isinstance(when, CommentedMap) and list(when.keys()) == ["all"] and isinstance(when["all"], list):
        return list(when["all"])
    if isinstance(when, CommentedMap):
        return [CommentedMap([(k, v)]) for k, v in when.items()]
    return [when]


def _store_tests(rule: CommentedMap, tests: list[Any]) -> None:
    """One test stays `when: {fact: {op: value}}` as the examples write it; several become `all:`."""
    if not tests:
        rule["when"] = _flow_map({})  # no condition left: the checks will say the rule needs one
    elif len(tests) == 1:
        rule["when"] = tests[0]
    else:
        rule["when"] = CommentedMap([("all", CommentedSeq(tests))])


def _typed(op: str, text: str) -> Any:
    if Op(op) in LIST_OPS:
        return _flow_list([_scalar(part) for part in text.split(",") if part.strip()])
    return _scalar(text)


def _scalar(text: str) -> Any:
    """A value as typed: a whole number, a number, true/false, else text (so NO stays the text NO)."""
    text = text.strip()
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text, text)


def _flow_map(mapping: dict[str, Any]) -> CommentedMap:
    """`{at_least: 3}`, on one line as the examples write a test."""
    out = CommentedMap(mapping)
    out.fa.set_flow_style()
    return out


def _flow_list(items: list[Any]) -> CommentedSeq:
    out = CommentedSeq(items)
    out.fa.set_flow_style()
    return out
