"""Stored versions are checked against their content hash when loaded: a version whose bytes were
damaged in storage is refused on its own, named in the error its rule set's Route gets, and the
other rule sets serve on. On a real Redis, damaged by hand."""

from __future__ import annotations

import logging

import pytest
import redis

from experiments import State
from service.app import Services, VersionRefused, assemble
from service.storage import keys
from service.storage.redis_decisions import RedisDecisionStore
from service.storage.redis_experiments import RedisExperimentStore
from service.storage.redis_rulesets import RedisRuleSetStore
from tests.service.app.conftest import BASELINE, prepare


def replica(client: redis.Redis) -> Services:
    """A replica started on what is stored now (its supervisor does not run by itself)."""
    app = assemble(
        RedisRuleSetStore(client), RedisExperimentStore(client), RedisDecisionStore(client), supervise_seconds=3600
    )
    app.gray.refresh()  # what start-up does (App.load)
    return app


def damage(client: redis.Redis, name: str, version: int, change: tuple[bytes, bytes]) -> None:
    key = keys.rule_set(name, "source")
    stored = client.hget(key, str(version))
    assert isinstance(stored, bytes) and change[0] in stored
    client.hset(key, str(version), stored.replace(change[0], change[1], 1))


def publish_and_activate(app: Services, name: str, source: str = BASELINE) -> None:
    record = app.catalog.publish(source.replace("name: fulfilment", f"name: {name}", 1), f"{name}.yaml", "ana", "")
    app.catalog.activate(name, record.record.version, "ana", "first")


def test_a_damaged_version_is_refused_alone_and_route_names_the_damage(
    redis_client: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    author = replica(redis_client)
    for name in ("fulfilment", "returns", "spare"):
        publish_and_activate(author, name)
    author.close()
    damage(redis_client, "fulfilment", 1, (b"# How orders", b"# how orders"))  # still valid YAML: served before
    damage(redis_client, "returns", 1, (b"priority:", b"pr\xffority:"))  # not UTF-8 any more: start-up crashed

    with caplog.at_level(logging.ERROR, logger="service.app.catalog"):
        app = replica(redis_client)
    try:
        assert app.router.target("spare").active.version == 1, "the intact rule set serves"
        for name in ("fulfilment", "returns"):
            with pytest.raises(VersionRefused, match=f"rule set '{name}' version 1 is damaged in storage"):
                app.router.target(name)
            assert sum(f"'{name}' version 1 is damaged" in r.message for r in caplog.records) == 1, "reported once"
        app.gray.refresh()  # the next reconciliation does not report it again
        assert len(caplog.records) == 2

        with pytest.raises(VersionRefused):
            app.catalog.activate("fulfilment", 1, "ana", "again")
        publish_and_activate(app, "fulfilment", BASELINE + "\n# published again\n")  # the way out
        app.gray.refresh()
        assert app.router.target("fulfilment").active.version == 2
    finally:
        app.close()


def test_a_damaged_candidate_leaves_its_experiment_unrouted_and_the_service_up(redis_client: redis.Redis) -> None:
    author = replica(redis_client)
    prepare(author)  # fulfilment v1 active, v2 published
    running = author.gray.start("fulfilment", 2, "rev", "pilot")
    author.close()
    damage(redis_client, "fulfilment", 2, (b"repeat_purchases", b"repeat_purchasez"))

    app = replica(redis_client)
    try:
        target = app.router.target("fulfilment")
        assert (target.active.version, target.candidate, target.running) == (1, None, None), "baseline only"
        [stored] = app.gray.experiments()
        assert (stored.id, stored.state) == (running.id, State.RUNNING), "left for a person to end"
    finally:
        app.close()
