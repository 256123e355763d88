"""The path an order takes: proto order -> facts -> rule set version (the active
one, or an experiment's candidate for its share of units) -> decision.

No I/O here: the decision record goes to an in-memory buffer (DecisionLog).
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Sequence
from typing import Any

from orderroute.v1 import orderroute_pb2 as pb

from experiments import Arm, State, Unit, assign
from rules import InvalidOrder
from service.catalog import RuleSetCatalog
from service.convert import decision_to_proto, order_to_facts
from service.decision_log import DecisionLog
from service.errors import InvalidArgument, status_of
from service.experiment_store import DecisionRecord
from service.gray import GrayReleases

ARM_TO_PROTO = {Arm.BASELINE: pb.ARM_BASELINE, Arm.CANDIDATE: pb.ARM_CANDIDATE}


class DecisionIds:
    """Unique decision ids without coordination: a random per-process prefix and a counter."""

    def __init__(self) -> None:
        self.prefix = secrets.token_hex(6)
        self._counter = itertools.count(1)

    def next(self) -> str:
        return f"{self.prefix}-{next(self._counter):x}"


class Router:
    def __init__(
        self,
        catalog: RuleSetCatalog,
        gray: GrayReleases,
        decisions: DecisionLog,
        default_rule_set: str,
        max_batch: int,
    ) -> None:
        self._catalog = catalog
        self._gray = gray
        self._decisions = decisions
        self._default = default_rule_set
        self.max_batch = max_batch
        self._ids = DecisionIds()

    def route(self, order: pb.Order, rule_set: str) -> pb.Decision:
        name = rule_set or self._default
        self._catalog.active(name)  # NOT_FOUND before any order check
        return self._decide(name, order, "order")

    def route_batch(self, orders: Sequence[pb.Order], rule_set: str) -> list[pb.RouteResult]:
        if len(orders) > self.max_batch:
            raise InvalidArgument("orders", f"at most {self.max_batch} orders per batch, got {len(orders)}")
        name = rule_set or self._default
        self._catalog.active(name)
        results = []
        for index, order in enumerate(orders):
            try:
                decision = self._decide(name, order, f"orders[{index}]")
            except InvalidOrder as exc:
                code, message = status_of(exc)
                results.append(pb.RouteResult(error=pb.Error(code=code.value[0], message=message, field=exc.field)))
                continue
            results.append(pb.RouteResult(decision=decision))
        return results

    def _decide(self, name: str, order: pb.Order, where: str) -> pb.Decision:
        facts = order_to_facts(order, where)
        compiled = self._catalog.active(name)
        live = self._gray.live(name)
        arm: Arm | None = None
        experiment_id = unit = ""
        epoch = 0
        if live is not None and live.experiment.state is State.RUNNING:
            experiment = live.experiment
            unit = _unit(facts, experiment.unit)
            # An order without the unit key cannot be assigned stickily: it stays on the baseline.
            arm = assign(experiment.salt, unit, experiment.share_bp) if unit else Arm.BASELINE
            if arm is Arm.CANDIDATE:
                compiled = live.candidate
            experiment_id, epoch = experiment.id, experiment.epoch
        started = time.perf_counter_ns()
        decision = compiled.evaluate(facts)
        micros = (time.perf_counter_ns() - started) // 1000
        now_ns = time.time_ns()
        decision_id = self._ids.next()
        message = decision_to_proto(decision, decision_id, now_ns, micros)
        if arm is not None:
            message.arm = ARM_TO_PROTO[arm]
            message.experiment_id = experiment_id
        self._decisions.append(
            DecisionRecord(decision_id, name, compiled.version, now_ns // 1_000_000, experiment_id, arm, unit, epoch)
        )
        return message


def _unit(facts: dict[str, Any], unit: Unit) -> str:
    if unit is Unit.ORDER_ID:
        return str(facts.get("order_id", ""))
    customer = facts.get("customer")
    return str(customer.get("customer_id", "")) if customer else ""
