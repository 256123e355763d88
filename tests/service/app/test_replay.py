"""Replay on logged orders: the candidate's changes per field are exactly what activating it and routing
the same orders again changes; every logged decision is reproduced by the version that made it."""

from __future__ import annotations

import random

from experiments.simulation import customer_pool, pick_customer, synthetic_order
from rules.replay import FIELDS, field_values
from service.api.orders import order_to_facts
from service.app import Services
from service.app.replay import ReplayRequest
from service.client.documents import order_from_document
from tests.service.app.conftest import prepare
from tests.service.conftest import Stores

ORDERS = 20_000


def generated(n: int) -> list[dict[str, object]]:
    """The Locust generator's mix of orders (tiers, channels, categories, repeat customers, returns)."""
    rng, pool = random.Random(7), customer_pool(1_500)
    return [
        order_to_facts(order_from_document(synthetic_order(f"r-{i}", pick_customer(pool, rng), rng)), "order")
        for i in range(n)
    ]


def routed(app: Services, orders: list[dict[str, object]]) -> list[dict[str, object]]:
    target = app.router.target("fulfilment")
    out = []
    for start in range(0, len(orders), 500):
        out += [field_values(r.decision) for r in app.router.decide(target, orders[start : start + 500]).orders]
    assert app.decisions.flush()
    return out


def test_replaying_the_candidate_changes_exactly_what_activating_it_changes(
    stores: Stores, replicas: tuple[Services, Services]
) -> None:
    app, _ = replicas
    prepare(app)  # the example active as v1, the example candidate published as v2
    orders = generated(ORDERS)
    before = routed(app, orders)
    progress: list[tuple[int, int]] = []
    report = app.replayer.replay(
        ReplayRequest("fulfilment", candidate_version=2, by=("channel", "customer.tier")),
        lambda done, total: progress.append((done, total)),
    )
    assert report.replayed == ORDERS and report.not_reproduced == 0 and report.trusted
    assert progress[-1] == (ORDERS, ORDERS) and len(progress) >= 2
    app.catalog.activate("fulfilment", 2, "ana", "as the replay said")
    after = routed(app, orders)
    truly = {name: sum(b[name] != a[name] for b, a in zip(before, after, strict=True)) for name in FIELDS}
    assert report.changed_per_field() == {name: n for name, n in truly.items() if n}
    assert report.changed == sum(b != a for b, a in zip(before, after, strict=True)) > 0
    low, high = report.changed_interval
    assert low < report.changed / ORDERS < high
    channels = [s for s in report.segments if s.fact == "channel"]
    assert sum(s.replayed for s in channels) == ORDERS and sum(s.changed for s in channels) == report.changed
    assert report.causes and report.causes[0][1] <= report.changed
    (kind, examples), *_ = report.examples.items()
    assert 0 < len(examples) <= 20 and examples[0].before[kind[0]] != examples[0].after[kind[0]]
