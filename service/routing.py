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

from google.protobuf.timestamp_pb2 import Timestamp
from orderroute.v1 import orderroute_pb2 as pb

from experiments import Arm, Experiment, State, Unit, assign
from rules import CompiledRuleSet, InvalidOrder
from service.catalog import RuleSetCatalog
from service.convert import DecisionMessages, order_to_facts
from service.decision_log import DecisionLog
from service.errors import InvalidArgument, status_of
from service.experiment_store import DecisionRecord
from service.gray import GrayReleases
from service.telemetry import Telemetry

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
        telemetry: Telemetry,
    ) -> None:
        self._telemetry = telemetry
        self._catalog = catalog
        self._gray = gray
        self._decisions = decisions
        self._default = default_rule_set
        self.max_batch = max_batch
        self._ids = DecisionIds()
        self._messages = DecisionMessages()

    def route(self, order: pb.Order, rule_set: str) -> pb.RouteResponse:
        name = rule_set or self._default
        compiled = self._catalog.active(name)  # NOT_FOUND before any order check
        response = pb.RouteResponse()
        self._decide(name, compiled, [order_to_facts(order, "order")], [response.decision])
        return response

    def route_batch(self, orders: Sequence[pb.Order], rule_set: str) -> pb.RouteBatchResponse:
        """One result per order; the valid ones are evaluated with one engine call per version."""
        if len(orders) > self.max_batch:
            raise InvalidArgument("orders", f"at most {self.max_batch} orders per batch, got {len(orders)}")
        name = rule_set or self._default
        compiled = self._catalog.active(name)
        response = pb.RouteBatchResponse()
        valid: list[dict[str, Any]] = []
        slots: list[pb.Decision] = []
        for index, order in enumerate(orders):
            result = response.results.add()
            try:
                valid.append(order_to_facts(order, f"orders[{index}]"))
                slots.append(result.decision)
            except InvalidOrder as exc:
                code, message = status_of(exc)
                result.error.code, result.error.message, result.error.field = code.value[0], message, exc.field
        self._decide(name, compiled, valid, slots)
        return response

    def _decide(
        self, name: str, compiled: CompiledRuleSet, batch: list[dict[str, Any]], slots: list[pb.Decision]
    ) -> None:
        """Decides every order of `batch` into the message at the same position of `slots`: with the
        active version `compiled`, or the candidate for the units in a running experiment."""
        live = self._gray.live(name)
        running = live.experiment if live is not None and live.experiment.state is State.RUNNING else None
        assignments = _assign(batch, running)
        groups: dict[bool, list[int]] = {False: [], True: []}
        for i, (arm, _) in enumerate(assignments):
            groups[arm is Arm.CANDIDATE].append(i)
        labels: list[tuple[str, int, str, str, bool]] | None = [] if self._telemetry.enabled else None
        for is_candidate, members in groups.items():
            if not members:
                continue
            engine = live.candidate if is_candidate and live is not None else compiled
            started = time.perf_counter_ns()
            evaluated = engine.evaluate_many([batch[i] for i in members])
            micros = (time.perf_counter_ns() - started) // 1000 // len(members)
            now_ns = time.time_ns()
            at_ms = now_ns // 1_000_000
            stamp = Timestamp()
            stamp.FromNanoseconds(now_ns)
            records: list[DecisionRecord] = []
            for i, decision in zip(members, evaluated, strict=True):
                arm, unit = assignments[i]
                decision_id = self._ids.next()
                message = slots[i]
                message.CopyFrom(self._messages.template(decision))
                message.decision_id = decision_id
                message.evaluated_at.CopyFrom(stamp)
                message.evaluation_micros = micros
                experiment_id, epoch = "", 0
                if arm is not None and running is not None:
                    message.arm = ARM_TO_PROTO[arm]
                    message.experiment_id = experiment_id = running.id
                    epoch = running.epoch
                records.append(
                    DecisionRecord(decision_id, name, engine.version, at_ms, experiment_id, arm, unit, epoch)
                )
                if labels is not None:
                    arm_label = str(arm) if arm is not None else "none"
                    labels.append((name, decision.version, arm_label, decision.path, decision.default_rule_used))
            self._decisions.extend(records)
        if labels:
            self._telemetry.decisions(labels)


def _assign(batch: list[dict[str, Any]], running: Experiment | None) -> list[tuple[Arm | None, str]]:
    """(arm, unit) per order: no arm outside a running experiment."""
    if running is None:
        return [(None, "")] * len(batch)
    out: list[tuple[Arm | None, str]] = []
    for facts in batch:
        unit = _unit(facts, running.unit)
        # An order without the unit key cannot be assigned stickily: it stays on the baseline.
        out.append((assign(running.salt, unit, running.share_bp) if unit else Arm.BASELINE, unit))
    return out


def _unit(facts: dict[str, Any], unit: Unit) -> str:
    if unit is Unit.ORDER_ID:
        return str(facts.get("order_id", ""))
    customer = facts.get("customer")
    return str(customer.get("customer_id", "")) if customer else ""
