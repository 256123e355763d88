"""Experiments: a candidate rule set version against the active one, on a share of traffic."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class Arm(StrEnum):
    BASELINE = "baseline"
    CANDIDATE = "candidate"


class State(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    PROMOTED = "promoted"
    ROLLED_BACK = "rolled_back"
    ABORTED = "aborted"

    @property
    def is_final(self) -> bool:
        return self in (State.PROMOTED, State.ROLLED_BACK, State.ABORTED)


class Action(StrEnum):
    """What a reviewer (or a guardrail) does to an experiment; the audit records it by this name."""

    START = "start"
    RAMP = "ramp"
    PAUSE = "pause"
    RESUME = "resume"
    PROMOTE = "promote"
    ROLLBACK = "rollback"
    ABORT = "abort"


class Unit(StrEnum):
    """What is randomised: every order of a customer gets the same arm, or each order by itself."""

    CUSTOMER_ID = "customer_id"
    ORDER_ID = "order_id"


class MetricKind(StrEnum):
    RATE = "rate"
    """A yes/no outcome; its mean is a share of orders."""
    AMOUNT = "amount"
    """A number per order (hours, minor units)."""
    COUNT = "count"
    """A whole number per order (inquiries); analysed as an amount."""


@dataclass(frozen=True, slots=True)
class MetricSpec:
    name: str
    kind: MetricKind
    higher_is_better: bool
    description: str
    mde: float
    """The smallest change worth detecting: absolute for rates, relative (share of the baseline mean) for amounts."""
    maturity: timedelta = timedelta(0)
    """How long after the decision the outcome is normally known (the default maturity window)."""

    @property
    def relative(self) -> bool:
        """Compared as a share of the baseline mean (amounts, counts), not in points (rates)."""
        return self.kind is not MetricKind.RATE


METRICS: Mapping[str, MetricSpec] = {
    m.name: m
    for m in (
        MetricSpec("on_time", MetricKind.RATE, True, "delivered on time", 0.02, timedelta(hours=72)),
        MetricSpec(
            "fulfilment_hours", MetricKind.AMOUNT, False, "hours from order to delivery", 0.05, timedelta(hours=72)
        ),
        MetricSpec(
            "logistics_cost_minor", MetricKind.AMOUNT, False, "logistics cost per order", 0.05, timedelta(hours=72)
        ),
        MetricSpec("exception", MetricKind.RATE, False, "mis-ship, stock-out or split", 0.01, timedelta(hours=0)),
        MetricSpec("manual_intervention", MetricKind.RATE, False, "a person had to step in", 0.02, timedelta(hours=24)),
        MetricSpec("cancelled", MetricKind.RATE, False, "cancelled", 0.01, timedelta(hours=24)),
        MetricSpec("complaint", MetricKind.RATE, False, "customer complained", 0.005, timedelta(hours=168)),
        MetricSpec("returned", MetricKind.RATE, False, "returned", 0.01, timedelta(hours=336)),
    )
}
"""Outcome metrics by name: the fields of an outcome report. Maturity: deliveries (on time, hours,
cost) are known within three days; an exception is reported when it happens, so its guardrail can stop
harm before the deliveries come in; complaints and returns take one and two weeks."""


@dataclass(frozen=True, slots=True)
class Guardrail:
    """The candidate may be worse than the baseline on `metric` by at most `limit`.

    `limit` is absolute for rates (0.01 = one percentage point) and relative for
    amounts (0.05 = 5% of the baseline mean).
    """

    metric: str
    limit: float


DEFAULT_PRIMARY = "on_time"
DEFAULT_GUARDRAILS = (
    Guardrail("exception", 0.01),
    Guardrail("complaint", 0.005),
    Guardrail("cancelled", 0.01),
    Guardrail("logistics_cost_minor", 0.05),
)
"""What a fulfilment team accepts when the reviewer names none: at most one more
exception or cancellation per hundred orders, half a complaint, 5% more cost."""

DEFAULT_SHARE_BP = 500
DEFAULT_MIN_SAMPLES = 200
DEFAULT_MIN_DURATION = timedelta(0)


@dataclass(frozen=True, slots=True)
class Experiment:
    id: str
    rule_set: str
    baseline_version: int
    candidate_version: int
    share_bp: int
    """Candidate share of traffic in basis points (500 = 5%)."""
    salt: str
    unit: Unit
    primary_metric: str
    guardrails: tuple[Guardrail, ...]
    min_samples: int
    """Units (customers) per arm with an outcome on the primary metric before any verdict."""
    min_duration: timedelta
    state: State
    created_at: datetime
    created_by: str
    epoch: int = 0
    """Bumped at every ramp and resume: each allocation period is analysed on its own."""
    ended_at: datetime | None = None
    alpha: float = 0.05
    """The error budget of all verdicts together (experiments.results.alphas splits it)."""
    shares: tuple[int, ...] = ()
    """The share of each epoch so far, oldest first (empty: share_bp in every epoch)."""
    maturity: Mapping[str, timedelta] = field(default_factory=dict)
    """Per metric, the maturity window: only decisions at least this old are compared on it
    (experiments.maturity). A metric not named has none: its reports are compared as they come."""
    declared: tuple[MetricSpec, ...] = ()
    """Outcome metrics this experiment declared beside the built-in METRICS (inquiries per order, NPS)."""

    @property
    def metrics(self) -> Mapping[str, MetricSpec]:
        """Every metric it analyses: the built-in ones, then the declared ones."""
        if not self.declared:
            return METRICS
        return {**METRICS, **{m.name: m for m in self.declared}}

    @property
    def etag(self) -> str:
        """What every transition changes (state and epoch, which the store compares and sets): a client
        that passes it back acts only on the experiment as it read it."""
        return f"{self.state}-{self.epoch}"

    def share_in(self, epoch: int) -> int:
        return self.shares[epoch] if 0 <= epoch < len(self.shares) else self.share_bp

    def window(self, metric: str) -> timedelta:
        return self.maturity.get(metric, timedelta(0))


@dataclass(frozen=True, slots=True)
class Transition:
    """One audited change of an experiment: who, when, why, and the results then."""

    experiment_id: str
    action: Action
    from_state: State
    to_state: State
    actor: str
    reason: str
    at: datetime
    share_bp: int
    results: Mapping[str, object] = field(default_factory=dict)
