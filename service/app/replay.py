"""Replay: logged orders decided again, by the version that decided them and by a candidate (a published
version or an unpublished draft), tallied by rules.replay. Reads the decision log with inputs in pages
(service.app.logged_orders) and says how far it got as it goes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from rules.replay import Case, ReplayReport, ReplayTally
from service.app.catalog import RuleSetCatalog
from service.app.logged_orders import LoggedOrders, Window
from service.errors import InvalidArgument
from service.storage.records import LoggedDecision


@dataclass(frozen=True, slots=True)
class ReplayRequest:
    rule_set: str
    candidate_version: int = 0
    candidate_source: str = ""
    since_ms: int = 0
    until_ms: int = 2**62
    limit: int = 100_000
    by: tuple[str, ...] = ()
    latest: bool = False
    """The latest `limit` orders of the range instead of the oldest."""

    @property
    def window(self) -> Window:
        return Window(self.rule_set, self.since_ms, self.until_ms, self.limit, self.latest)


Progress = Callable[[int, int], None]
"""(orders replayed so far, orders to replay)."""


class Replayer:
    def __init__(self, orders: LoggedOrders, catalog: RuleSetCatalog) -> None:
        self._orders = orders
        self._catalog = catalog

    def replay(
        self,
        request: ReplayRequest,
        progress: Progress = lambda done, total: None,
        keep: Callable[[LoggedDecision], bool] = lambda logged: True,
    ) -> ReplayReport:
        report = None
        for step in self.replaying(request, keep):
            if isinstance(step, ReplayReport):
                report = step
            else:
                progress(*step)
        assert report is not None, "replaying ends with its report"
        return report

    def replaying(
        self, request: ReplayRequest, keep: Callable[[LoggedDecision], bool] = lambda logged: True
    ) -> Iterator[tuple[int, int] | ReplayReport]:
        """(orders read, orders to read) after each page, then the report of the orders `keep` keeps."""
        if bool(request.candidate_version) == bool(request.candidate_source):
            raise InvalidArgument("candidate_version", "name the candidate: a published version or a draft's source")
        candidate = (
            self._catalog.compiled(request.rule_set, request.candidate_version)
            if request.candidate_version
            else self._catalog.compiled_draft(request.candidate_source, "candidate")
        )
        total = self._orders.total(request.window)
        tally = ReplayTally(request.by)
        yield (0, total)
        for read, orders in self._orders.pages(request.window, keep):
            after = candidate.evaluate_many([o.logged.facts for o in orders])
            for order, b in zip(orders, after, strict=True):
                logged = order.logged
                case = Case(logged.decision_id, logged.order_id, logged.facts, logged.decided, logged.matched_rules)
                tally.add(case, order.again, b, order.outcome)
            yield (read, total)
        yield tally.report()
