"""Synthetic orders and outcomes with a chosen true effect.

Used by `orderroute simulate` (against a running service) and by the tests
that measure the false-positive rate and power of the verdict (in memory).
Randomness is passed in; customers differ from each other (some are simply
more reliable), so several orders of one customer are correlated, as in life.
"""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import timedelta

from experiments.bucketing import assign
from experiments.model import METRICS, Arm, Experiment, MetricKind
from experiments.results import ArmData, Results, Verdict, compute_results
from experiments.statistics import Accumulator, heaviest

Outcome = dict[str, float | bool]


@dataclass(frozen=True, slots=True)
class OutcomeModel:
    """True outcome rates and amounts of one arm."""

    on_time: float = 0.80
    exception: float = 0.02
    complaint: float = 0.01
    cancelled: float = 0.02
    manual_intervention: float = 0.05
    returned: float = 0.05
    fulfilment_hours: float = 40.0
    logistics_cost_minor: float = 1_200.0

    def with_effects(self, effects: Mapping[str, float]) -> OutcomeModel:
        """Rates shift by the absolute effect; amounts by the relative one; `exception*15` style
        multipliers are given as effects on the metric name with a `*` prefix in the key."""
        changes: dict[str, float] = {}
        for key, value in effects.items():
            name = key.lstrip("*")
            if name not in METRICS:
                raise ValueError(f"unknown metric {name!r}; one of {', '.join(METRICS)}")
            base = getattr(self, name)
            if key.startswith("*"):
                changes[name] = base * value
            elif METRICS[name].kind is MetricKind.RATE:
                changes[name] = base + value
            else:
                changes[name] = base * (1 + value)
        for name, value in changes.items():
            if METRICS[name].kind is MetricKind.RATE and not 0 <= value <= 1:
                raise ValueError(f"{name} would be {value:.3f}, outside 0..1")
        return dataclasses.replace(self, **changes)


def customer_lean(customer: str, spread: float = 0.08) -> float:
    """A customer's fixed tilt towards good or bad outcomes, the same in every run."""
    return random.Random(f"lean:{customer}").uniform(-spread, spread)


def draw_outcome(model: OutcomeModel, lean: float, rng: random.Random) -> Outcome:
    def chance(rate: float, good: bool) -> bool:
        tilted = rate + (lean if good else -lean) * min(rate, 1 - rate) * 2
        return rng.random() < min(max(tilted, 0.0), 1.0)

    return {
        "on_time": chance(model.on_time, True),
        "exception": chance(model.exception, False),
        "complaint": chance(model.complaint, False),
        "cancelled": chance(model.cancelled, False),
        "manual_intervention": chance(model.manual_intervention, False),
        "returned": chance(model.returned, False),
        "fulfilment_hours": round(rng.gammavariate(4.0, model.fulfilment_hours / 4.0) * (1 - lean), 2),
        "logistics_cost_minor": max(0, round(rng.gauss(model.logistics_cost_minor, model.logistics_cost_minor * 0.2))),
    }


def customer_pool(size: int, prefix: str = "sim-customer") -> list[str]:
    return [f"{prefix}-{i}" for i in range(size)]


def pick_customer(pool: list[str], rng: random.Random) -> str:
    """Repeat customers: a few buy often, most buy once or twice (a skewed pick)."""
    return pool[min(int(rng.paretovariate(1.2)) - 1, len(pool) - 1) if rng.random() < 0.3 else rng.randrange(len(pool))]


_CATEGORIES = ("books", "beauty", "apparel", "shoes", "grocery", "phones", "consumer_electronics", "home", "toys")
_CHANNELS = (
    ("APP", 0.38),
    ("WEB", 0.22),
    ("MINI_PROGRAM", 0.15),
    ("LIVE_STREAM", 0.12),
    ("MARKETPLACE", 0.1),
    ("POS", 0.03),
)
_TIERS = (("REGULAR", 0.75), ("PLUS", 0.2), ("VIP", 0.05))


def _weighted(options: tuple[tuple[str, float], ...], rng: random.Random) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def synthetic_order(order_id: str, customer: str, rng: random.Random) -> dict[str, object]:
    """A plausible order fact document: channels, tiers, categories, returns and cross-border in
    realistic shares; the customer's tier and history are stable across their orders."""
    profile = random.Random(f"profile:{customer}")
    tier = _weighted(_TIERS, profile)
    lines = []
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
        price = rng.choice((1_990, 4_990, 9_900, 19_900, 59_900, 129_900))
        lines.append(
            {
                "sku": f"SKU-{rng.randrange(5000)}",
                "qty": rng.choice((1, 1, 1, 2, 3)),
                "category": rng.choice(_CATEGORIES),
                "price_minor": price,
                "cost_minor": int(price * 0.6),
                "hazmat": rng.random() < 0.03,
                "oversize": rng.random() < 0.05,
                "inventory_type": "VIRTUAL" if rng.random() < 0.1 else "PRESALE" if rng.random() < 0.04 else "PHYSICAL",
            }
        )
    total = sum(int(line["price_minor"]) * int(line["qty"]) for line in lines)
    channel = _weighted(_CHANNELS, rng)
    return {
        "order_id": order_id,
        "order_type": "RETURN" if rng.random() < 0.06 else "PRESALE" if rng.random() < 0.04 else "NORMAL",
        "channel": channel,
        "total_minor": total,
        "currency": "CNY",
        "item_count": sum(int(line["qty"]) for line in lines),
        "is_cross_border": rng.random() < 0.08,
        "promised_hours": rng.choice((24, 48, 72)),
        "tags": ["flash_sale"] if channel == "LIVE_STREAM" and rng.random() < 0.5 else [],
        "customer": {
            "customer_id": customer,
            "tier": tier,
            "repeat_purchases": profile.randrange(0, 12),
            "ltv_minor": profile.randrange(0, 8_000_000),
            "return_rate": round(profile.random() * 0.3, 3),
        },
        "lines": lines,
        "risk": {"fraud_score": round(rng.betavariate(1.2, 20), 4)},
        "logistics": {
            "warehouses": [
                {"id": "DC-SH", "type": "DC", "in_stock": True, "distance_km": 40},
                {"id": "FWD-PD", "type": "FORWARD", "in_stock": rng.random() < 0.8, "distance_km": 8},
                {"id": "STORE-XH", "type": "STORE", "in_stock": rng.random() < 0.5, "distance_km": 2},
            ]
        },
    }


def simulate_in_memory(
    experiment: Experiment,
    baseline: OutcomeModel,
    candidate: OutcomeModel,
    orders: int,
    look_every: int,
    seed: int,
    stop_on: Collection[Verdict] = (),
) -> tuple[list[Results], int]:
    """Routes `orders` orders by the experiment's assignment, reports every outcome at once, and
    computes results every `look_every` orders, as a reviewer looking often would. Returns the
    looks and the number of orders when it stopped (at a verdict in `stop_on`, or at the end)."""
    rng = random.Random(seed)
    pool = customer_pool(max(orders // 2, 1), f"s{seed}")
    sums = {arm: {m: Accumulator() for m in METRICS} for arm in Arm}
    units: dict[Arm, set[str]] = {arm: set() for arm in Arm}
    per_unit: dict[Arm, Counter[str]] = {arm: Counter() for arm in Arm}
    decisions = dict.fromkeys(Arm, 0)
    looks: list[Results] = []
    for i in range(1, orders + 1):
        customer = pick_customer(pool, rng)
        arm = assign(experiment.salt, customer, experiment.share_bp)
        units[arm].add(customer)
        per_unit[arm][customer] += 1
        decisions[arm] += 1
        outcome = draw_outcome(candidate if arm is Arm.CANDIDATE else baseline, customer_lean(customer), rng)
        for metric, value in outcome.items():
            sums[arm][metric].add(customer, float(value))
        if i % look_every == 0:
            arms = {
                arm: ArmData(
                    decisions[arm],
                    len(units[arm]),
                    decisions[arm],
                    {m: a.moments(heaviest(per_unit[arm])) for m, a in sums[arm].items()},
                )
                for arm in Arm
            }
            now = experiment.created_at + timedelta(hours=i / 1000)
            looks.append(compute_results(experiment, arms, now, looks[-1].running if looks else None))
            if looks[-1].verdict in stop_on:
                return looks, i
    return looks, orders
