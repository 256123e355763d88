"""The path an order takes: proto order -> facts -> active rule set -> decision."""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Sequence

from orderroute.v1 import orderroute_pb2 as pb

from rules import CompiledRuleSet, InvalidOrder
from service.catalog import RuleSetCatalog
from service.convert import decision_to_proto, order_to_facts
from service.errors import InvalidArgument, status_of


class DecisionIds:
    """Unique decision ids without coordination: a random per-process prefix and a counter."""

    def __init__(self) -> None:
        self._prefix = secrets.token_hex(6)
        self._counter = itertools.count(1)

    def next(self) -> str:
        return f"{self._prefix}-{next(self._counter):x}"


class Router:
    def __init__(self, catalog: RuleSetCatalog, default_rule_set: str, max_batch: int) -> None:
        self._catalog = catalog
        self._default = default_rule_set
        self.max_batch = max_batch
        self._ids = DecisionIds()

    def route(self, order: pb.Order, rule_set: str) -> pb.Decision:
        compiled = self._catalog.active(rule_set or self._default)
        return self._decide(compiled, order, "order")

    def route_batch(self, orders: Sequence[pb.Order], rule_set: str) -> list[pb.RouteResult]:
        if len(orders) > self.max_batch:
            raise InvalidArgument("orders", f"at most {self.max_batch} orders per batch, got {len(orders)}")
        compiled = self._catalog.active(rule_set or self._default)
        results = []
        for index, order in enumerate(orders):
            try:
                decision = self._decide(compiled, order, f"orders[{index}]")
            except InvalidOrder as exc:
                code, message = status_of(exc)
                results.append(pb.RouteResult(error=pb.Error(code=code.value[0], message=message, field=exc.field)))
                continue
            results.append(pb.RouteResult(decision=decision))
        return results

    def _decide(self, compiled: CompiledRuleSet, order: pb.Order, where: str) -> pb.Decision:
        facts = order_to_facts(order, where)
        started = time.perf_counter_ns()
        decision = compiled.evaluate(facts)
        micros = (time.perf_counter_ns() - started) // 1000
        return decision_to_proto(decision, self._ids.next(), time.time_ns(), micros)
