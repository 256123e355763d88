"""Both adapters of the store ports, as one fixture: every test here runs on Redis and in memory."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from service.storage import DecisionStore, ExperimentStore, MemoryDatabase, RuleSetStore
from service.storage.redis_decisions import RedisDecisionStore
from service.storage.redis_experiments import RedisExperimentStore
from service.storage.redis_rulesets import RedisRuleSetStore


@dataclass(frozen=True)
class Stores:
    rule_sets: RuleSetStore
    experiments: ExperimentStore
    decisions: DecisionStore


@pytest.fixture(params=["redis", "memory"])
def stores(request: pytest.FixtureRequest) -> Iterator[Stores]:
    if request.param == "memory":
        yield Stores(*MemoryDatabase().stores())
        return
    client = request.getfixturevalue("redis_client")  # a real redis-server, flushed before and after
    yield Stores(RedisRuleSetStore(client), RedisExperimentStore(client), RedisDecisionStore(client))
