"""Logged orders read back in pages for a pass over the decision log with inputs (a replay, rule
insights): each page with the outcomes recorded for its orders and each order decided again by the
version that decided it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from rules import CompiledRuleSet
from rules.combine import Decision
from service.app.catalog import RuleSetCatalog
from service.app.input_log import InputLog
from service.errors import InvalidArgument
from service.storage import DecisionStore
from service.storage.records import LoggedDecision

PAGE = 2_000
MAX_ORDERS = 1_000_000


@dataclass(frozen=True, slots=True)
class Window:
    """Which logged orders of a rule set a pass reads."""

    rule_set: str
    since_ms: int = 0
    until_ms: int = 2**62
    limit: int = 100_000
    latest: bool = False
    """The latest `limit` orders of the range instead of the oldest."""


@dataclass(frozen=True, slots=True)
class LoggedOrder:
    logged: LoggedDecision
    again: Decision
    """The logged facts decided again by the logged version."""
    outcome: dict[str, float]
    """The order's recorded outcome; empty when none was reported."""


class LoggedOrders:
    def __init__(self, inputs: InputLog, catalog: RuleSetCatalog, decisions: DecisionStore) -> None:
        self._inputs = inputs
        self._catalog = catalog
        self._decisions = decisions
        """For the outcomes recorded for the orders read."""

    def total(self, window: Window) -> int:
        if not 0 < window.limit <= MAX_ORDERS:
            raise InvalidArgument("limit", f"must be from 1 to {MAX_ORDERS:,}")
        return min(window.limit, self._inputs.count(window.rule_set, window.since_ms, window.until_ms))

    def pages(
        self, window: Window, keep: Callable[[LoggedDecision], bool] = lambda logged: True
    ) -> Iterator[tuple[int, list[LoggedOrder]]]:
        """(orders read so far, the page's orders that `keep` keeps), oldest first."""
        total = self.total(window)
        first = self._inputs.count(window.rule_set, window.since_ms, window.until_ms) - total if window.latest else 0
        engines: dict[int, CompiledRuleSet] = {}
        read = 0
        while read < total:
            page = self._inputs.between(
                window.rule_set, window.since_ms, window.until_ms, min(PAGE, total - read), first + read
            )
            if not page:
                break
            read += len(page)
            kept = [logged for logged in page if keep(logged)]
            reported = self._decisions.stored_outcomes([(e.decision_id, e.experiment_id) for e in kept])
            by_version: dict[int, list[int]] = {}
            for i, logged in enumerate(kept):
                by_version.setdefault(logged.version, []).append(i)
            again: list[Decision | None] = [None] * len(kept)
            for version, indexes in by_version.items():
                if version not in engines:
                    engines[version] = self._catalog.compiled(window.rule_set, version)
                for i, decision in zip(
                    indexes, engines[version].evaluate_many([kept[i].facts for i in indexes]), strict=True
                ):
                    again[i] = decision
            yield (
                read,
                [
                    LoggedOrder(logged, decision, outcome)
                    for logged, decision, outcome in zip(kept, again, reported, strict=True)
                    if decision is not None
                ],
            )

    def compiled(self, rule_set: str, version: int) -> CompiledRuleSet:
        return self._catalog.compiled(rule_set, version)
