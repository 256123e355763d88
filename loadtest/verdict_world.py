"""Simulated gray releases for the verdict calibration (loadtest.bench_verdicts).

A scenario is a world an experiment can meet: which customers order and how
often, the share given to the candidate (and a ramp of it), a trend in
on-time for everyone, guest orders without a customer, and when each outcome
is reported. One run draws its orders and outcomes (numpy, seeded), assigns
each order as the service does (experiments.bucketing.assign on the unit; a
guest is served by the baseline in no arm), and at every look builds what the service's
store holds at that moment (ArmData: the decisions, the units of each epoch,
the outcome sums per unit and epoch with those across epochs, the heaviest
units' own sums) and asks experiments.compute_results, the code the service
runs, for the verdict. StoreState builds them with numpy;
tests/loadtest/test_bench_verdicts.py holds it equal to the service's
in-memory store fed the same decisions and reports one by one.

Time is in hours; orders arrive at ORDERS_PER_HOUR.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from experiments.bucketing import assign
from experiments.lifecycle import new_experiment
from experiments.model import METRICS, Arm, Experiment
from experiments.results import ArmData, Results, compute_results
from experiments.running import Running
from experiments.simulation import OutcomeModel
from experiments.statistics import HEAVY_UNITS, ArmMoments, Cross, Moments, cross_change

ORDERS_PER_HOUR = 1_000
START = datetime(2026, 1, 1, tzinfo=UTC)
RATES = ("on_time", "exception", "complaint", "cancelled", "manual_intervention", "returned")
GOOD = {name: METRICS[name].higher_is_better for name in RATES}


@dataclass(frozen=True, slots=True)
class Delays:
    """Hours after the decision at which outcomes are reported."""

    exception: float = 0.0
    """An exception is reported when it happens, in a report of its own."""
    on_time: float = 0.0
    """The delivery report (every metric) of an order delivered on time..."""
    late: float = 0.0
    """...and of one delivered late."""


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    orders: int = 20_000
    share_bp: int = 1_000
    ramp_to_bp: int | None = None
    ramp_at: float = 0.5
    """Fraction of the orders after which the share becomes ramp_to_bp (a new epoch)."""
    customers: str = "project"
    """project: the simulator's skewed mix (a few customers order very often); clustered: about
    four orders per customer; single: every order a new customer; heavy: the project mix with one
    customer placing 17% of the orders, and that customer in the candidate."""
    trend: float = 0.0
    """Change of everyone's on-time rate from the first order to the last (a sale week, weather)."""
    guests: float = 0.0
    """Share of orders without a customer id (routed to the baseline)."""
    guest_on_time: float | None = None
    delays: Delays = field(default_factory=Delays)
    candidate_delays: Delays | None = None
    """When the candidate's outcomes are reported, if not as the baseline's (a carrier that reports later)."""
    maturity: dict[str, float] = field(default_factory=dict)
    """Maturity windows in hours by metric (experiments.maturity); a metric not named has none."""
    look_every: int = 500
    effects: dict[str, float] = field(default_factory=dict)
    """The candidate's true effects (OutcomeModel.with_effects)."""
    base: OutcomeModel = field(default_factory=OutcomeModel)


@dataclass(slots=True)
class World:
    """One run's orders and outcomes, drawn once; looks read it up to a time."""

    scenario: Scenario
    experiment: Experiment
    at: np.ndarray[Any, Any]
    """Decision time of each order (hours)."""
    arm: np.ndarray[Any, Any]
    """1 for the candidate, 0 for the baseline, -1 for a guest (served by the baseline, in no arm)."""
    epoch: np.ndarray[Any, Any]
    unit: np.ndarray[Any, Any]
    """Customer index; -1 for a guest."""
    cluster: np.ndarray[Any, Any]
    """What the outcome sums group by: the customer, or the order itself for a guest."""
    values: dict[str, np.ndarray[Any, Any]]
    reported_at: dict[str, np.ndarray[Any, Any]]
    """Per metric, when its value is reported (hours)."""
    report_at: np.ndarray[Any, Any]
    """When the order's first report arrives."""
    customer_ids: list[str]


def make_experiment(seed: int, share_bp: int, maturity: dict[str, float] | None = None) -> Experiment:
    windows = {name: timedelta(hours=(maturity or {}).get(name, 0.0)) for name in METRICS}
    return new_experiment(
        id=f"calibration-{seed}",
        rule_set="fulfilment",
        baseline_version=1,
        candidate_version=2,
        salt=f"calibration-salt-{seed}",
        created_by="calibration",
        now=START,
        share_bp=share_bp,
        maturity=windows,
    )


def draw(scenario: Scenario, seed: int) -> World:
    rng = np.random.default_rng(seed)
    n = scenario.orders
    experiment = make_experiment(seed, scenario.share_bp, scenario.maturity)
    at = np.arange(n) / ORDERS_PER_HOUR
    customers, pool = _customers(scenario, n, rng)
    guest = rng.random(n) < scenario.guests
    unit = np.where(guest, -1, customers)
    customer_ids = [f"c{seed}-{i}" for i in range(pool)]
    if scenario.customers == "heavy":  # customer 0 is the heavy one: give it an id the candidate gets
        customer_ids[0] = next(
            f"c{seed}-heavy-{k}"
            for k in range(10_000)
            if assign(experiment.salt, f"c{seed}-heavy-{k}", scenario.share_bp) is Arm.CANDIDATE
        )
    ramp_order = int(n * scenario.ramp_at) if scenario.ramp_to_bp is not None else n
    epoch = (np.arange(n) >= ramp_order).astype(np.int64)
    arm = np.zeros(n, dtype=np.int64)
    for e, share in ((0, scenario.share_bp), (1, scenario.ramp_to_bp or scenario.share_bp)):
        salt, members = experiment.salt, np.flatnonzero((epoch == e) & (unit >= 0))
        in_candidate = {u: assign(salt, customer_ids[u], share) is Arm.CANDIDATE for u in np.unique(unit[members])}
        arm[members] = [in_candidate[u] for u in unit[members]]
    arm[guest] = -1
    lean = np.array([_lean(seed, i) for i in range(pool)])[np.maximum(unit, 0)] * (unit >= 0)
    candidate = scenario.base.with_effects(scenario.effects)
    values = _outcomes(scenario, candidate, arm, lean, guest, at, rng)
    cluster = np.where(guest, pool + np.arange(n), unit)
    theirs = scenario.candidate_delays or scenario.delays
    mine = scenario.delays

    def per_arm(pick: str) -> np.ndarray[Any, Any]:
        delays: np.ndarray[Any, Any] = np.where(arm == 1, getattr(theirs, pick), getattr(mine, pick))
        return delays

    delivered = np.where(values["on_time"] > 0, per_arm("on_time"), per_arm("late"))
    reported_at = {name: at + delivered for name in values}
    early = values["exception"] > 0
    reported_at["exception"] = np.where(early, at + per_arm("exception"), reported_at["exception"])
    report_at = np.minimum(at + delivered, np.where(early, at + per_arm("exception"), np.inf))
    return World(scenario, experiment, at, arm, epoch, unit, cluster, values, reported_at, report_at, customer_ids)


def _customers(scenario: Scenario, n: int, rng: np.random.Generator) -> tuple[np.ndarray[Any, Any], int]:
    if scenario.customers == "single":
        return np.arange(n), n
    if scenario.customers == "clustered":
        pool = max(n // 4, 1)
        return rng.integers(0, pool, n), pool
    pool = max(n // 2, 1)
    if scenario.customers == "heavy":
        return np.where(rng.random(n) < 0.17, 0, rng.integers(1, pool, n)), pool
    # experiments.simulation.pick_customer, vectorised: 30% of orders from a Pareto-skewed few.
    skewed = np.minimum(np.floor(rng.pareto(1.2, n) + 1).astype(np.int64) - 1, pool - 1)
    return np.where(rng.random(n) < 0.3, skewed, rng.integers(0, pool, n)), pool


def _lean(seed: int, customer: int, spread: float = 0.08) -> float:
    """A customer's fixed tilt towards good or bad outcomes (experiments.simulation.customer_lean)."""
    digest = hashlib.blake2s(f"lean:{seed}:{customer}".encode(), digest_size=8).digest()
    return (int.from_bytes(digest) / 2**64 * 2 - 1) * spread


def _outcomes(
    scenario: Scenario,
    candidate: OutcomeModel,
    arm: np.ndarray[Any, Any],
    lean: np.ndarray[Any, Any],
    guest: np.ndarray[Any, Any],
    at: np.ndarray[Any, Any],
    rng: np.random.Generator,
) -> dict[str, np.ndarray[Any, Any]]:
    n = len(arm)
    base = scenario.base
    values: dict[str, np.ndarray[Any, Any]] = {}
    for name in RATES:
        rate = np.where(arm == 1, getattr(candidate, name), getattr(base, name)).astype(float)  # guests: baseline
        if name == "on_time":
            if scenario.guest_on_time is not None:
                rate = np.where(guest, scenario.guest_on_time, rate)
            rate = rate + scenario.trend * at / max(at[-1], 1e-9)
        tilted = rate + (lean if GOOD[name] else -lean) * np.minimum(rate, 1 - rate) * 2
        values[name] = (rng.random(n) < np.clip(tilted, 0.0, 1.0)).astype(float)
    hours = np.where(arm == 1, candidate.fulfilment_hours, base.fulfilment_hours)
    values["fulfilment_hours"] = np.round(rng.gamma(4.0, hours / 4.0) * (1 - lean), 2)
    cost = np.where(arm == 1, candidate.logistics_cost_minor, base.logistics_cost_minor)
    values["logistics_cost_minor"] = np.maximum(0, np.round(rng.normal(cost, cost * 0.2)))
    return values


class StoreState:
    """What the service's store holds as time goes on, kept up to date one look at a time: decisions
    made, the units of the current epoch, and per metric the sums over units (experiments.statistics
    .Moments) of the values reported so far. Each step costs only the reports that came since the last."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._clusters = int(world.cluster.max()) + 1
        self._now = -np.inf
        analysed_at, late_at = _matured(world)
        self._order = {name: np.argsort(at, kind="stable") for name, at in analysed_at.items()}
        self._sorted_at = {name: analysed_at[name][order] for name, order in self._order.items()}
        self._late_at = {
            (code, name): np.sort(late[world.arm == code]) for code in (0, 1) for name, late in late_at.items()
        }
        self._hour = np.floor(world.at).astype(np.int64) + int(START.timestamp()) // 3600
        self._sums = {(arm, name): _Sums(self._clusters) for arm in (0, 1) for name in world.values}
        self._first_reports = np.sort(world.report_at[world.arm == 1]), np.sort(world.report_at[world.arm == 0])
        # Orders with an outcome per unit and arm, and the units' names ranked as Redis ranks ties.
        self._reported = {code: np.zeros(self._clusters, dtype=np.int64) for code in (0, 1)}
        self._report_order = {
            code: np.flatnonzero(world.arm == code)[np.argsort(world.report_at[world.arm == code], kind="stable")]
            for code in (0, 1)
        }
        names = [world.customer_ids[c].encode() if c < len(world.customer_ids) else b"" for c in range(self._clusters)]
        self._name_rank = np.argsort(np.argsort(np.array(names, dtype=object), kind="stable"), kind="stable")
        self._decided = np.cumsum(world.arm == 1), np.cumsum(world.arm == 0)
        self._guests = np.cumsum(world.arm == -1)
        # Per (arm, epoch): the order index at which each of its units was first seen, ascending.
        self._first_seen: dict[tuple[int, int], np.ndarray[Any, Any]] = {}
        known = world.unit >= 0
        for code in (0, 1):
            for epoch in np.unique(world.epoch):
                where = np.flatnonzero(known & (world.arm == code) & (world.epoch == epoch))
                _, first = np.unique(world.unit[where], return_index=True)
                self._first_seen[(code, int(epoch))] = np.sort(where[first])

    def at(self, now: float) -> dict[Arm, ArmData]:
        """The store's content `now` hours after the start (now never goes back)."""
        world = self.world
        for name, order in self._order.items():
            sorted_at = self._sorted_at[name]
            new = order[np.searchsorted(sorted_at, self._now, "right") : np.searchsorted(sorted_at, now, "right")]
            for code in (0, 1):
                for epoch in np.unique(world.epoch[new]):
                    mine = new[(world.arm[new] == code) & (world.epoch[new] == epoch)]
                    self._sums[(code, name)].add(int(epoch), world.cluster[mine], world.values[name][mine])
        for code in (0, 1):
            order = self._report_order[code]
            times = world.report_at[order]
            new = order[np.searchsorted(times, self._now, "right") : np.searchsorted(times, now, "right")]
            np.add.at(self._reported[code], world.cluster[new], 1)
        self._now = now
        made = int(np.searchsorted(world.at, now, "right"))
        current = int(world.epoch[made - 1]) if made else 0
        out = {}
        for arm in Arm:
            code = int(arm is Arm.CANDIDATE)
            decided = int(self._decided[0 if code else 1][made - 1]) if made else 0
            first_seen = self._first_seen.get((code, current), np.empty(0))
            units = int(np.searchsorted(first_seen, made, "left"))
            outcomes = int(np.searchsorted(self._first_reports[0 if code else 1], now, "right"))
            heavy = self._heaviest(code)
            # As a store keeps them: a metric without a unit has no sums at all.
            sums = {name: self._sums[(code, name)] for name in world.values}
            moments = {name: mine.moments(heavy) for name, mine in sums.items() if mine.seen.any()}
            guests = int(self._guests[made - 1]) if made and arm is Arm.BASELINE else 0
            epoch_units = {
                e: int(np.searchsorted(self._first_seen.get((code, e), np.empty(0)), made, "left"))
                for e in range(current + 1)
            }
            hours, counts = np.unique(self._hour[:made][world.arm[:made] == code], return_counts=True)
            late = {name: int(np.searchsorted(self._late_at[(code, name)], now, "right")) for name in world.values}
            late = {name: count for name, count in late.items() if count}
            decided_hours = {int(h): int(c) for h, c in zip(hours, counts, strict=True)}
            out[arm] = ArmData(decided, units, outcomes, moments, guests, epoch_units, decided_hours, late)
        return out

    def _heaviest(self, code: int) -> list[int]:
        """experiments.statistics.heaviest over the units with an outcome in the arm."""
        counts = self._reported[code]
        ranked = np.lexsort((self._name_rank, counts))[::-1][:HEAVY_UNITS]
        return [int(c) for c in ranked if counts[c] > 0]


def _matured(world: World) -> tuple[dict[str, np.ndarray[Any, Any]], dict[str, np.ndarray[Any, Any]]]:
    """Per metric, when each value is analysed and when a late one came (inf: never), as
    experiments.maturity says: with a window, a value reported before its decision matures is analysed
    at maturity (the hour after the decision's, plus the window), one reported later never."""
    analysed, late = {}, {}
    for name, reported in world.reported_at.items():
        window = world.experiment.window(name).total_seconds() / 3600
        if not window:
            analysed[name], late[name] = reported, np.full(len(reported), np.inf)
            continue
        due = np.floor(world.at) + 1 + window
        in_time = reported < due
        analysed[name] = np.where(in_time, due, np.inf)
        late[name] = np.where(in_time, np.inf, reported)
    return analysed, late


class _Sums:
    """Per-unit sums Y, N per epoch and the ArmMoments over them, updated by batches (as Accumulator, by one)."""

    def __init__(self, clusters: int) -> None:
        self._clusters = clusters
        self.y: dict[int, np.ndarray[Any, Any]] = {}
        self.count: dict[int, np.ndarray[Any, Any]] = {}
        self.cells: dict[int, list[float]] = {}
        self.g: dict[int, int] = {}
        self.cross: dict[tuple[int, int], list[float]] = {}
        self.seen = np.zeros(clusters, dtype=bool)

    def add(self, epoch: int, clusters: np.ndarray[Any, Any], values: np.ndarray[Any, Any]) -> None:
        if len(clusters) == 0:
            return
        touched, index = np.unique(clusters, return_inverse=True)
        dy, dn = np.bincount(index, weights=values), np.bincount(index).astype(float)
        y = self.y.setdefault(epoch, np.zeros(self._clusters))
        count = self.count.setdefault(epoch, np.zeros(self._clusters))
        y0, n0 = y[touched], count[touched]
        y1, n1 = y0 + dy, n0 + dn
        cell = self.cells.setdefault(epoch, [0.0] * 5)
        for i, delta in enumerate((dn, dy, y1 * y1 - y0 * y0, y1 * n1 - y0 * n0, n1 * n1 - n0 * n0)):
            cell[i] += float(delta.sum())
        self.g[epoch] = self.g.get(epoch, 0) + int(np.count_nonzero(n0 == 0))
        for other in self.y:
            if other == epoch:
                continue
            yo, no = self.y[other][touched], self.count[other][touched]
            if not no.any():  # no unit here ordered in the other epoch too
                continue
            key, deltas = cross_change(epoch, dy, dn, other, yo, no)
            cross = self.cross.setdefault(key, [0.0] * 4)
            for i, delta in enumerate(deltas):
                cross[i] += float(delta.sum())
        y[touched], count[touched] = y1, n1
        self.seen[touched] = True

    def moments(self, heavy: list[int]) -> ArmMoments:
        cells = [
            {e: (float(self.y[e][c]), float(self.count[e][c])) for e in self.y if self.count[e][c] > 0} for c in heavy
        ]
        return ArmMoments(
            {e: Moments(n, y, yy, yn, nn, self.g[e]) for e, (n, y, yy, yn, nn) in self.cells.items()},
            {key: Cross(*sums) for key, sums in self.cross.items()},
            int(np.count_nonzero(self.seen)),
            tuple(c for c in cells if c),
        )


def looks(world: World) -> list[tuple[int, Results]]:
    """(orders so far, results) at every look, the share and epoch as the experiment had them then, each
    look narrowed by the ones before (experiments.running), as the service does."""
    scenario, store, out = world.scenario, StoreState(world), []
    running: Running = {}
    for orders in range(scenario.look_every, scenario.orders + 1, scenario.look_every):
        now = world.at[orders - 1]
        epoch = int(world.epoch[orders - 1])
        share = scenario.ramp_to_bp if epoch and scenario.ramp_to_bp is not None else scenario.share_bp
        experiment = replace(world.experiment, share_bp=share, epoch=epoch)
        results = compute_results(experiment, store.at(float(now)), START + timedelta(hours=float(now)), running)
        running = results.running  # as the store keeps them between looks
        out.append((orders, results))
    return out
