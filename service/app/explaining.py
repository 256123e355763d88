"""Why did this order go there: the logged decision(s) of an order or one decision, with the order's
inputs as logged and a trace made by re-evaluating them with the version that decided; where the
re-evaluation differs from what was logged, it says so."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from rules.explain import Explanation, disagreements
from service.app.catalog import RuleSetCatalog
from service.app.input_log import InputLog
from service.errors import InvalidArgument, NotFound, shown
from service.storage import DecisionStore
from service.storage.records import LoggedDecision

NOT_LOGGED = (
    "kept no inputs for it: it was not sampled (--input-log-sample), or is older than the input log keeps "
    "(--input-log-days, --input-log-kept)"
)


@dataclass(frozen=True, slots=True)
class Explained:
    logged: LoggedDecision
    explanation: Explanation
    disagreements: tuple[str, ...]
    """Empty: the logged decision is reproduced."""


class Explainer:
    def __init__(self, decisions: DecisionStore, inputs: InputLog, catalog: RuleSetCatalog) -> None:
        self._decisions = decisions
        self._inputs = inputs
        self._catalog = catalog

    def explain(self, order_id: str = "", decision_id: str = "", rule_set: str = "") -> list[Explained]:
        """An order's latest decision under each rule set (or under `rule_set`), or one decision."""
        if not order_id and not decision_id:
            raise InvalidArgument("order_id", "is required: an order id or a decision id")
        found: list[tuple[str, str]] = []  # (rule set, decision id)
        if decision_id:
            (record,) = self._decisions.get([decision_id])
            if record is None:
                raise NotFound(f"no decision {shown(decision_id)} is kept", NotFound.DECISION)
            found.append((record.rule_set, decision_id))
        else:
            (latest,) = self._decisions.decisions_of_orders([order_id])
            found += [(name, d) for name, d in sorted(latest.items()) if not rule_set or name == rule_set]
            if not found:
                raise NotFound(f"no decision of order {shown(order_id)} is kept", NotFound.DECISION)
        out = []
        for name, d in found:
            (logged,) = self._inputs.get(name, [d])
            if logged is None:
                raise NotFound(
                    f"decision {shown(d)} under {shown(name)} is kept, but the log {NOT_LOGGED}", NotFound.DECISION
                )
            explanation = self._catalog.explain(name, logged.version, logged.facts)
            logged = dataclasses.replace(logged, content_hash=explanation.trial.decision.content_hash)
            out.append(Explained(logged, explanation, disagreements(explanation, logged.decided, logged.matched_rules)))
        return out
