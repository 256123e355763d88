"""Replay: logged orders decided again, by the version that decided them and by a candidate (a published
version or an unpublished draft), tallied by rules.replay. Reads the decision log with inputs in pages,
evaluates a page per version with the engine, and says how far it got as it goes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from rules import CompiledRuleSet
from rules.replay import Case, ReplayReport, ReplayTally
from service.app.catalog import RuleSetCatalog
from service.app.input_log import InputLog
from service.errors import InvalidArgument
from service.storage import DecisionStore

PAGE = 2_000
MAX_ORDERS = 1_000_000


@dataclass(frozen=True, slots=True)
class ReplayRequest:
    rule_set: str
    candidate_version: int = 0
    candidate_source: str = ""
    since_ms: int = 0
    until_ms: int = 2**62
    limit: int = 100_000
    by: tuple[str, ...] = ()


Progress = Callable[[int, int], None]
"""(orders replayed so far, orders to replay)."""


class Replayer:
    def __init__(self, inputs: InputLog, catalog: RuleSetCatalog, decisions: DecisionStore) -> None:
        self._inputs = inputs
        self._catalog = catalog
        self._decisions = decisions
        """For the outcomes recorded for the replayed orders."""

    def replay(self, request: ReplayRequest, progress: Progress = lambda done, total: None) -> ReplayReport:
        report = None
        for step in self.replaying(request):
            if isinstance(step, ReplayReport):
                report = step
            else:
                progress(*step)
        assert report is not None, "replaying ends with its report"
        return report

    def replaying(self, request: ReplayRequest) -> Iterator[tuple[int, int] | ReplayReport]:
        """(orders replayed, orders to replay) after each page, then the report."""
        if not 0 < request.limit <= MAX_ORDERS:
            raise InvalidArgument("limit", f"must be from 1 to {MAX_ORDERS:,}")
        if bool(request.candidate_version) == bool(request.candidate_source):
            raise InvalidArgument("candidate_version", "name the candidate: a published version or a draft's source")
        candidate = (
            self._catalog.compiled(request.rule_set, request.candidate_version)
            if request.candidate_version
            else self._catalog.compiled_draft(request.candidate_source, "candidate")
        )
        total = min(request.limit, self._inputs.count(request.rule_set, request.since_ms, request.until_ms))
        engines: dict[int, CompiledRuleSet] = {}
        tally = ReplayTally(request.by)
        yield (0, total)
        while tally.replayed < total:
            size = min(PAGE, total - tally.replayed)
            page = self._inputs.between(request.rule_set, request.since_ms, request.until_ms, size, tally.replayed)
            if not page:
                break
            reported = self._decisions.stored_outcomes([(e.decision_id, e.experiment_id) for e in page])
            outcomes = {e.decision_id: o for e, o in zip(page, reported, strict=True)}
            by_version: defaultdict[int, list[Case]] = defaultdict(list)
            for logged in page:
                case = Case(logged.decision_id, logged.order_id, logged.facts, logged.decided, logged.matched_rules)
                by_version[logged.version].append(case)
            for version, cases in by_version.items():
                if version not in engines:
                    engines[version] = self._catalog.compiled(request.rule_set, version)
                facts = [c.facts for c in cases]
                again = engines[version].evaluate_many(facts)
                after = again if version == candidate.version else candidate.evaluate_many(facts)
                for case, a, b in zip(cases, again, after, strict=True):
                    tally.add(case, a, b, outcomes.get(case.decision_id))
            yield (tally.replayed, total)
        yield tally.report()
