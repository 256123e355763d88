"""Rule insights over the decision log with inputs: the latest logged orders a version decided, each
decided again by it (which rule decided which field), tallied with their recorded outcomes by
rules.insights."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rules.insights import Insights, InsightTally
from rules.replay import reproduced
from service.app.catalog import RuleSetCatalog
from service.app.logged_orders import LoggedOrders, Window


@dataclass(frozen=True, slots=True)
class VersionInsights:
    version: int
    insights: Insights
    not_reproduced: int
    """Logged decisions the version no longer reproduces."""
    priorities: Mapping[str, int]
    default_rule: str


class RuleInsights:
    def __init__(self, orders: LoggedOrders, catalog: RuleSetCatalog) -> None:
        self._orders = orders
        self._catalog = catalog

    def insights(self, window: Window, version: int = 0) -> VersionInsights:
        """Over the latest `window.limit` logged orders of the range that `version` (0: the active one)
        decided."""
        version = version or self._catalog.get(window.rule_set, 0)[0].version
        rule_set = self._catalog.compiled(window.rule_set, version).rule_set
        tally, not_reproduced = InsightTally(rule_set.default.id), 0
        for _, orders in self._orders.pages(window, lambda logged: logged.version == version):
            for order in orders:
                tally.add(order.again, order.outcome)
                not_reproduced += bool(reproduced(order.logged.decided, order.logged.matched_rules, order.again)[1])
        rules = (*rule_set.rules, rule_set.default)
        priorities = {rule.id: rule.priority for rule in rules}
        report = tally.report([rule.id for rule in rules])
        return VersionInsights(version, report, not_reproduced, priorities, rule_set.default.id)
