"""The path an order takes once its facts are read: rule set version (the active one, or an
experiment's candidate for its share of units) -> decision, and a decision record.

No I/O here: the record goes to an in-memory buffer (DecisionLog). The caller
takes a `Target` first (one consistent view of the active version and the
experiment for the whole call), then decides a batch of fact documents with it.
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from experiments import Arm, Experiment, State, Unit, assign
from rules import CompiledRuleSet, Decision
from service.app.catalog import RuleSetCatalog
from service.app.decision_log import DecisionLog
from service.app.gray import GrayReleases
from service.storage import DecisionRecord
from service.telemetry import Telemetry


class DecisionIds:
    """Unique decision ids without coordination: a random per-process prefix and a counter."""

    def __init__(self) -> None:
        self.prefix = secrets.token_hex(6)
        self._counter = itertools.count(1)

    def next(self) -> str:
        return f"{self.prefix}-{next(self._counter):x}"


@dataclass(frozen=True, slots=True)
class Target:
    """What a call routes by: the rule set's active version and, while one runs, its experiment."""

    name: str
    active: CompiledRuleSet
    running: Experiment | None = None
    candidate: CompiledRuleSet | None = None


class Routed(NamedTuple):
    """One order's decision (a tuple: one is made per order on the hot path)."""

    decision: Decision
    decision_id: str
    arm: Arm | None
    micros: int
    """Engine time per order of the group it was evaluated in."""


@dataclass(frozen=True, slots=True)
class RoutedBatch:
    orders: list[Routed]
    """In the order of the facts given."""
    at_ns: int
    experiment_id: str = ""


class Router:
    def __init__(
        self,
        catalog: RuleSetCatalog,
        gray: GrayReleases,
        decisions: DecisionLog,
        default_rule_set: str,
        telemetry: Telemetry,
    ) -> None:
        self._telemetry = telemetry
        self._catalog = catalog
        self._gray = gray
        self._decisions = decisions
        self._default = default_rule_set
        self._ids = DecisionIds()

    def target(self, rule_set: str) -> Target:
        """Raises NotFound (or StorageUnavailable before the state is loaded) before any order is read."""
        name = rule_set or self._default
        active = self._catalog.active(name)
        live = self._gray.live(name)
        if live is None or live.experiment.state is not State.RUNNING:
            return Target(name, active)
        return Target(name, active, live.experiment, live.candidate)

    def decide(
        self,
        target: Target,
        batch: Sequence[Mapping[str, Any]],
        sources: Sequence[object] | None = None,
        keys: Sequence[Hashable] | None = None,
    ) -> RoutedBatch:
        """Decides every fact document of `batch`, one engine call per version; `sources`: the orders
        as the request carried them, for the input log (service.storage.records.DecisionRecord.source);
        `keys`: their canonical keys for the active version, when the caller read them with the order
        (rules.CompiledRuleSet.evaluate_many). The candidate's keys are its own, made here."""
        running = target.running
        assignments = _assign(batch, running)
        groups: dict[bool, list[int]] = {False: [], True: []}
        for i, (arm, _) in enumerate(assignments):
            groups[arm is Arm.CANDIDATE].append(i)
        routed: list[Routed | None] = [None] * len(batch)
        labels: list[tuple[str, int, str, str, bool]] | None = [] if self._telemetry.enabled else None
        records: list[DecisionRecord] = []
        at_ns = time.time_ns()
        at_ms = at_ns // 1_000_000
        experiment_id, epoch = (running.id, running.epoch) if running is not None else ("", 0)
        for is_candidate, members in groups.items():
            if not members:
                continue
            engine = target.candidate if is_candidate and target.candidate is not None else target.active
            known = [keys[i] for i in members] if keys is not None and engine is target.active else None
            started = time.perf_counter_ns()
            evaluated = engine.evaluate_many([batch[i] for i in members], known)
            eval_ns = (time.perf_counter_ns() - started) // len(members)
            micros = eval_ns // 1000
            for i, decision in zip(members, evaluated, strict=True):
                arm, unit = assignments[i]
                decision_id = self._ids.next()
                routed[i] = Routed(decision, decision_id, arm, micros)
                order_id = str(batch[i].get("order_id", ""))
                records.append(
                    DecisionRecord(
                        decision_id,
                        target.name,
                        engine.version,
                        at_ms,
                        experiment_id,
                        arm,
                        unit,
                        epoch,
                        order_id,
                        decision.path,
                        decision.default_rule_used,
                        eval_ns,
                        batch[i],
                        decision,
                        sources[i] if sources is not None else None,
                    )
                )
                if labels is not None:
                    arm_label = str(arm) if arm is not None else "none"
                    labels.append((target.name, decision.version, arm_label, decision.path, decision.default_rule_used))
        self._decisions.extend(records)
        if labels:
            self._telemetry.decisions(labels)
        return RoutedBatch([r for r in routed if r is not None], at_ns, experiment_id)


def _assign(batch: Sequence[Mapping[str, Any]], running: Experiment | None) -> list[tuple[Arm | None, str]]:
    """(arm, unit) per order: no arm outside a running experiment."""
    if running is None:
        return [(None, "")] * len(batch)
    out: list[tuple[Arm | None, str]] = []
    for facts in batch:
        unit = _unit(facts, running.unit)
        # An order without the unit cannot be assigned stickily: it is served by the baseline (arm None),
        # recorded as the experiment's but not randomised, so not analysed (experiments.ArmData.unassigned).
        out.append((assign(running.salt, unit, running.share_bp) if unit else None, unit))
    return out


def _unit(facts: Mapping[str, Any], unit: Unit) -> str:
    if unit is Unit.ORDER_ID:
        return str(facts.get("order_id", ""))
    customer = facts.get("customer")
    return str(customer.get("customer_id", "")) if customer else ""
