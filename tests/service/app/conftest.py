"""Replicas of the application layer (no gRPC) over shared stores, Redis or in memory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from experiments import Arm
from service.app import Services, assemble
from service.app.clock import utc_now
from service.storage import DecisionRecord
from tests.conftest import EXAMPLES
from tests.service.conftest import Stores

BASELINE = (EXAMPLES / "fulfilment.yaml").read_text()
CANDIDATE = (EXAMPLES / "fulfilment-candidate.yaml").read_text()


def replica(stores: Stores) -> Services:
    """One replica; its supervisor does not run by itself (tests call tick())."""
    return assemble(stores.rule_sets, stores.experiments, stores.decisions, supervise_seconds=3600)


@pytest.fixture
def replicas(stores: Stores) -> Iterator[tuple[Services, Services]]:
    a, b = replica(stores), replica(stores)
    yield a, b
    a.close()
    b.close()


def prepare(app: Services, name: str = "fulfilment") -> None:
    """Rule set `name`: the example active as version 1, the example candidate published as version 2."""
    app.catalog.publish(BASELINE.replace("name: fulfilment", f"name: {name}", 1), "base.yaml", "ana", "")
    app.catalog.activate(name, 1, "ana", "first")
    app.catalog.publish(CANDIDATE.replace("name: fulfilment", f"name: {name}", 1), "candidate.yaml", "ana", "")


def breach_exception_guardrail(stores: Stores, experiment_id: str, candidate_units: int = 150) -> None:
    """Outcomes that breach the exception guardrail: every candidate order an exception, no baseline one;
    units split 5 : 95 as the default share, so nothing but the guardrail is wrong."""
    items = []
    for arm, units in ((Arm.CANDIDATE, candidate_units), (Arm.BASELINE, candidate_units * 19)):
        for i in range(units):
            record = DecisionRecord(f"{experiment_id}-{arm}-{i}", "x", 1, 0, experiment_id, arm, f"u-{arm}-{i}")
            items.append((record, {"exception": 1.0 if arm is Arm.CANDIDATE else 0.0}))
    stores.decisions.write([record for record, _ in items])
    stores.decisions.apply_outcomes(items, utc_now())
