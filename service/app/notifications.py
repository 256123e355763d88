"""What happened, as events for people and programs outside the service (webhooks: service.app.webhooks).

    EventKind       activation, promotion, rollback, guardrail_abort, verdict_reached, sample_ratio_mismatch
    Event           kind, one human sentence, when, structured data, and an id derived from what happened
    Notifier        where events go: `notify(*events)`; it never raises and never blocks on a receiver
    SILENT          the notifier that drops everything (no webhooks configured)
    activation_event, transition_events, result_events
                    the events of an activation, of an experiment's transition, of a look at its results

The builders are pure: the same happening always gives the same event id, so an
event noticed twice (by two replicas, by every supervisor tick) is enqueued
once (WebhookQueue.enqueue remembers event ids). Hooks call them where the
thing happens: the catalog on activation, GrayReleases.change on a transition,
the supervisor on the results it computes every tick.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from experiments import Action, Experiment, Results
from experiments.results import Verdict

if TYPE_CHECKING:
    from service.app.catalog import Activated

GUARDRAIL_ACTOR = "orderroute-guardrail"
"""The actor of a guardrail's abort (service.app.supervisor.GUARDRAIL_ACTOR; a test holds them equal:
importing it would make a cycle, since gray imports this module)."""


class EventKind(StrEnum):
    ACTIVATION = "activation"
    PROMOTION = "promotion"
    ROLLBACK = "rollback"
    """A rollback, or an abort by a person: everyone back on the baseline."""
    GUARDRAIL_ABORT = "guardrail_abort"
    VERDICT_REACHED = "verdict_reached"
    """The first verdict of candidate better or worse on the primary metric."""
    SAMPLE_RATIO_MISMATCH = "sample_ratio_mismatch"
    """The first time the results say the traffic split is not what was configured."""


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    kind: EventKind
    text: str
    """One sentence a person reads in a chat channel."""
    at: datetime
    data: Mapping[str, object]
    """Structured fields for programs: rule_set, experiment_id, versions, actor, reason, ..."""


class Notifier(Protocol):
    def notify(self, *events: Event) -> None:
        """Hands the events on for delivery; never raises, never waits for a receiver."""
        ...


class _Silent:
    def notify(self, *events: Event) -> None:
        pass


SILENT: Notifier = _Silent()


def event_id(*parts: object) -> str:
    """The id of what `parts` name: the same happening, the same id."""
    return "evt-" + hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:32]


def activation_event(activated: Activated, for_experiment: str = "") -> Event:
    was = f" (was v{activated.previous_version})" if activated.previous_version else ""
    return Event(
        event_id(EventKind.ACTIVATION, activated.name, activated.version, activated.previous_version, activated.at),
        EventKind.ACTIVATION,
        f"{activated.name}: version {activated.version} activated by {activated.actor}{was}: {activated.reason}",
        activated.at,
        {
            "rule_set": activated.name,
            "versions": {"active": activated.version, "previous": activated.previous_version},
            "actor": activated.actor,
            "reason": activated.reason,
            "experiment_id": for_experiment,
        },
    )


def transition_events(
    after: Experiment, action: Action, actor: str, reason: str, at: datetime, results: Mapping[str, object]
) -> tuple[Event, ...]:
    """The event of a saved transition (`results`: Results.summary() of that moment); none for a ramp,
    pause or resume."""
    e = after
    versions = {"baseline": e.baseline_version, "candidate": e.candidate_version}
    where = f"{e.rule_set}: experiment {e.id}"
    data: dict[str, object] = {
        "rule_set": e.rule_set,
        "experiment_id": e.id,
        "versions": versions,
        "actor": actor,
        "reason": reason,
        "action": str(action),
        "state": str(e.state),
        "share_bp": e.share_bp,
        "results": dict(results),
    }
    if action is Action.PROMOTE:
        kind = EventKind.PROMOTION
        text = f"{where} promoted by {actor}: v{e.candidate_version} goes live for everyone ({reason})"
    elif action is Action.ABORT and actor == GUARDRAIL_ACTOR:
        kind = EventKind.GUARDRAIL_ABORT
        breaches = _breaches(e, results)
        data["guardrails"] = [
            {"metric": m, "worse_by": worse, "limit": limit, "unit": unit} for m, worse, limit, unit in breaches
        ]
        said = "; ".join(_breach_text(*b) for b in breaches) or reason
        text = f"{where} aborted by its guardrail: {said}"
    elif action in (Action.ROLLBACK, Action.ABORT):
        kind = EventKind.ROLLBACK
        done = "rolled back" if action is Action.ROLLBACK else "aborted"
        text = f"{where} {done} by {actor}: everyone back on v{e.baseline_version} ({reason})"
    else:
        return ()
    return (Event(event_id(kind, e.id, action, at), kind, text, at, data),)


def result_events(experiment: Experiment, results: Results) -> tuple[Event, ...]:
    """What a look at the results says for the first time: a sample ratio mismatch, a verdict of
    candidate better or worse on the primary metric (a guardrail's breach is its abort's event)."""
    e = experiment
    where = f"{e.rule_set}: experiment {e.id}"
    base: dict[str, object] = {
        "rule_set": e.rule_set,
        "experiment_id": e.id,
        "versions": {"baseline": e.baseline_version, "candidate": e.candidate_version},
        "actor": "",
        "verdict": str(results.verdict),
        "reason": results.reason,
    }
    events = []
    ratios = results.epoch_ratios or (results.sample_ratio,)
    mismatched = [r for r in ratios if r.mismatch]
    if mismatched:
        srm = min(mismatched, key=lambda r: r.p_value)
        kind = EventKind.SAMPLE_RATIO_MISMATCH
        said = (
            f"{srm.observed_share:.2%} of units in the candidate, {srm.expected_share:.2%} configured "
            f"(p={srm.p_value:.2g}, epoch {srm.epoch})"
        )
        data = {
            **base,
            "epoch": srm.epoch,
            "observed_share": srm.observed_share,
            "expected_share": srm.expected_share,
            "p_value": srm.p_value,
        }
        text = f"{where} has a sample ratio mismatch: {said}; its results cannot be trusted"
        events.append(Event(event_id(kind, e.id), kind, text, results.computed_at, data))
    breached = any(g.breached for g in results.guardrails)
    if results.verdict in (Verdict.BETTER, Verdict.WORSE) and not breached and not mismatched:
        kind = EventKind.VERDICT_REACHED
        primary = next((m for m in results.metrics if m.metric == e.primary_metric), None)
        data = {**base, "metric": e.primary_metric}
        if primary is not None:
            data.update(difference=primary.difference, low=primary.low, high=primary.high, p_value=primary.adjusted_p)
        text = f"{where} reached a verdict: {results.verdict}: {results.reason}"
        events.append(Event(event_id(kind, e.id), kind, text, results.computed_at, data))
    return tuple(events)


def _breaches(experiment: Experiment, results: Mapping[str, object]) -> list[tuple[str, float | None, float, str]]:
    """(metric, how much worse, limit, unit) of each breached guardrail in a results snapshot."""
    guardrails = results.get("guardrails")
    metrics = results.get("metrics")
    if not isinstance(guardrails, Mapping) or not isinstance(metrics, Mapping):
        return []
    limits = {g.metric: g.limit for g in experiment.guardrails}
    found = []
    for metric, state in guardrails.items():
        if not (isinstance(state, Mapping) and state.get("breached")) or metric not in limits:
            continue
        spec = experiment.metrics.get(metric)
        shown = metrics.get(metric)
        difference = shown.get("difference") if isinstance(shown, Mapping) else None
        worse = None
        if isinstance(difference, int | float) and spec is not None:
            worse = -float(difference) if spec.higher_is_better else float(difference)
        unit = "percent" if spec is not None and spec.relative else "points"
        found.append((str(metric), worse, limits[metric], unit))
    return found


def _breach_text(metric: str, worse: float | None, limit: float, unit: str) -> str:
    def figure(value: float) -> str:
        return f"{value * 100:.1f}%" if unit == "percent" else f"{value * 100:.1f} points"

    def limit_figure(value: float) -> str:
        return f"{value * 100:g}%" if unit == "percent" else f"{value * 100:g} point{'' if value == 0.01 else 's'}"

    how = f"worse by {figure(worse)}" if worse is not None else "worse"
    return f"{metric} {how} (limit {limit_figure(limit)})"
