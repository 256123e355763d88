"""A rule set with mistakes, as far as it reads: what an editor shows while its author is still typing.

The strict parse (rules.parse) rejects a rule with any mistake in it. An editor needs the opposite: the
table stays on screen with every test and decision field that does parse, and the mistakes are shown on
the cells they concern (Diagnostic.field). Nothing read here is ever evaluated.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rules import parse as P
from rules._yaml import LinedList, LinedMap, YamlError, load_yaml
from rules.model import OUTPUT_FIELDS, AllOf, Condition, Outputs, Rule, RuleSet

DEFAULT_PRIORITY = 2**31
UNREAD_PRIORITY = 0
"""Shown for a rule whose priority does not read (its diagnostic sits on that cell)."""


def readable_parts(source: str, file: str = "<source>") -> RuleSet | None:
    """Every rule whose id reads, with the tests and decision fields that parse, in priority order (the
    default last; an empty one if it does not read). None when the source is not a YAML mapping."""
    strict, _ = P.parse_rule_set(source, file)
    if strict is not None:
        return strict
    try:
        doc = load_yaml(source)
    except YamlError:
        return None
    if not isinstance(doc, LinedMap):
        return None
    items = doc.get("rules")
    rules: dict[str, Rule] = {}
    for item in items if isinstance(items, LinedList) else ():
        rule = _readable_rule(item, is_default=False)
        if rule is not None and rule.id not in rules:  # a repeated id: the first is the one shown
            rules[rule.id] = rule
    default = _readable_rule(doc.get("default"), is_default=True)
    name = doc.get("name")
    return RuleSet(
        name=name if isinstance(name, str) else "",
        rules=tuple(sorted(rules.values(), key=lambda r: r.priority)),
        default=default or Rule("default", DEFAULT_PRIORITY, None, Outputs(), "", doc.line),
        file=file,
        rule_lines={r.id: r.line for r in rules.values()},
    )


def _readable_rule(node: object, is_default: bool) -> Rule | None:
    if not isinstance(node, LinedMap):
        return None
    rule_id = node.get("id", "default" if is_default else None)
    if not isinstance(rule_id, str) or not P.RULE_ID.fullmatch(rule_id):
        return None
    quiet = P._Context("<source>")  # the strict parse has said what is wrong; this one only reads
    description = node.get("description")
    description = description if isinstance(description, str) else ""
    then = Outputs(**dict(_readable_outputs(quiet, node.get("then"))))
    if is_default:
        return Rule(rule_id, DEFAULT_PRIORITY, None, then, description, node.line)
    priority = node.get("priority")
    if isinstance(priority, bool) or not isinstance(priority, int):
        priority = UNREAD_PRIORITY
    when = AllOf(tuple(_readable_tests(quiet, node.get("when"))))
    return Rule(rule_id, priority, when, then, description, node.line)


def _readable_tests(ctx: P._Context, when: object) -> Iterator[Condition]:
    """The top-level tests of a condition (its "all" items, or its keys) that parse."""
    if not isinstance(when, LinedMap):
        return
    for key, value in when.items():
        if key == "all" and isinstance(value, LinedList):
            for item, line in zip(value, value.item_lines, strict=True):
                condition = P._parse_condition(ctx, item, line, None, 1)
                if condition is not None:
                    yield condition
        else:
            condition = P._parse_condition_key(ctx, key, value, when.key_lines[key], None, 0)
            if condition is not None:
                yield condition


def _readable_outputs(ctx: P._Context, then: object) -> Iterator[tuple[str, Any]]:
    if not isinstance(then, LinedMap):
        return
    for key, value in then.items():
        if key in OUTPUT_FIELDS:
            parsed = P._parse_output(ctx, key, value, then.key_lines[key])
            if parsed is not P._BAD:
                yield key, parsed
