"""Compile once, evaluate many: a RuleSet loaded into durable_rules.

The engine is driven through its C extension directly: the order goes in as
one JSON string (orjson), is asserted as a *fact* so every matching rule fires
(an event would fire only one), the fired rule names are read off the action
queue without parsing the payload, and the fact is retracted so no per-order
state stays behind. One session id is used, so memory stays flat.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Mapping
from typing import Any

import durable_rules_engine as _engine
import orjson

from rules._errors import EngineRejected
from rules.combine import Decision, Provenance, combine
from rules.compile import rule_key, to_durable
from rules.facts import FactType, OrderFacts, fact_spec
from rules.model import AllOf, AnyOf, Compare, Condition, LineScope, Not, Rule, RuleSet

_names = itertools.count(1)
_NOT_HANDLED = 1


class CompiledRuleSet:
    """A rule set ready to evaluate orders. Thread-safe; call close() when retired."""

    def __init__(self, rule_set: RuleSet, version: int = 0, content_hash: str = "") -> None:
        self.rule_set = rule_set
        self.provenance = Provenance(rule_set.name, version, content_hash)
        self._by_key: dict[str, Rule] = {rule_key(i): rule for i, rule in enumerate(rule_set.rules)}
        self._order_facts, self._line_facts = _referenced_facts(rule_set)
        self._lock = threading.Lock()
        definition = orjson.dumps(to_durable(rule_set)).decode()
        self.engine_name = f"{rule_set.name}@{version}#{next(_names)}"
        try:
            self._handle: int | None = _engine.create_ruleset(self.engine_name, definition)
        except _engine.error as exc:
            self._handle = None
            raise EngineRejected(f"durable_rules refused the rule set: {exc}") from None

    @property
    def name(self) -> str:
        return self.rule_set.name

    @property
    def version(self) -> int:
        return self.provenance.version

    def evaluate(self, facts: OrderFacts) -> Decision:
        """The decision for one checked fact document."""
        missing = self._missing_order_facts(facts)
        matched = self._match(facts, missing)
        missing.extend(self._missing_line_facts(facts))
        return combine(matched, self.rule_set.default, facts, self.provenance, tuple(missing))

    def match(self, facts: OrderFacts) -> list[Rule]:
        """The non-default rules durable_rules fires for this order, in priority order."""
        return self._match(facts, self._missing_order_facts(facts))

    def _match(self, facts: OrderFacts, missing: list[str]) -> list[Rule]:
        document = engine_document(facts, missing)
        keys: list[str] = []
        with self._lock:
            handle = self._handle
            if handle is None:
                raise RuntimeError(f"rule set {self.engine_name} is closed")
            code, state = _engine.assert_fact(handle, document)
            try:
                if code != _NOT_HANDLED:
                    action = _engine.start_action_for_state(handle, state)
                    message = action[1] if action else None
                    while message:
                        # The payload is {"<rule key>": {...}}: the key is all we need.
                        keys.append(message[2 : message.index('"', 2)])
                        message = _engine.complete_and_start_action(handle, state)
            finally:
                _engine.retract_fact(handle, document)
        by_key = self._by_key
        return [by_key[k] for k in dict.fromkeys(keys) if k in by_key]

    def _missing_order_facts(self, facts: OrderFacts) -> list[str]:
        return [path for path in self._order_facts if _absent(facts, path)]

    def _missing_line_facts(self, facts: OrderFacts) -> list[str]:
        lines = facts.get("lines") or ()
        return [f"lines.{name}" for name in self._line_facts if any(name not in line for line in lines)]

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                _engine.delete_ruleset(self._handle)
                self._handle = None

    def __del__(self) -> None:
        # At interpreter shutdown the engine module may already be torn down.
        with contextlib.suppress(Exception):
            self.close()


def engine_document(facts: OrderFacts, missing: list[str]) -> str:
    """The JSON the engine sees: the facts, a count per list and the missing facts (see rules.compile)."""
    body = orjson.dumps(facts).decode()
    customer = facts.get("customer")
    segments = customer.get("segments") if isinstance(customer, Mapping) else None
    head = (
        f'{{"#lines":{len(facts.get("lines") or ())},"#tags":{len(facts.get("tags") or ())},'
        f'"#customer_segments":{len(segments or ())},"#missing":{orjson.dumps(missing).decode()}'
    )
    return head + ("}" if body == "{}" else "," + body[1:])


def _absent(facts: Mapping[str, Any], path: str) -> bool:
    head, _, tail = path.partition(".")
    value = facts.get(head)
    if not tail:
        return value is None
    return not isinstance(value, Mapping) or value.get(tail) is None


def _referenced_facts(rule_set: RuleSet) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(order-level fact paths, line fact names) the rules read, lists excluded."""
    order: dict[str, None] = {}
    line: dict[str, None] = {}

    def walk(condition: Condition, in_lines: bool) -> None:
        match condition:
            case Compare(fact=fact):
                if in_lines:
                    line[fact] = None
                elif (spec := fact_spec(fact)) is not None and spec.type is not FactType.TEXT_LIST:
                    order[fact] = None
            case AllOf(items) | AnyOf(items):
                for c in items:
                    walk(c, in_lines)
            case Not(item):
                walk(item, in_lines)
            case LineScope(item=item):
                walk(item, True)

    for rule in rule_set.rules:
        if rule.when is not None:
            walk(rule.when, False)
    return tuple(order), tuple(line)
