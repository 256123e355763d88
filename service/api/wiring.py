"""The composition root: the application layer over the Redis stores, and what keeps it current."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from orderroute.v1 import orderroute_pb2 as pb

from service.api.orders import order_to_facts
from service.api.settings import ConfigError, Settings
from service.app import Services, assemble
from service.app.isolated_check import shared_checker
from service.errors import StorageUnavailable
from service.storage.changes import ChangeListener
from service.storage.connection import RedisClient, connect, ping
from service.storage.embedded import EmbeddedRedisError
from service.storage.redis_decisions import RedisDecisionStore
from service.storage.redis_experiments import RedisExperimentStore
from service.storage.redis_inputs import RedisInputLogStore
from service.storage.redis_rulesets import RedisRuleSetStore
from service.storage.redis_webhooks import RedisWebhookQueue

log = logging.getLogger(__name__)


@dataclass
class App(Services):
    """The running pieces of one service process."""

    redis: RedisClient
    changes: ChangeListener
    seed_examples: bool = False

    def load(self) -> None:
        """Reads the current state from Redis (seeding the examples into an empty store).

        Raises StorageUnavailable while Redis cannot be reached.
        """
        ping(self.redis)
        if self.seed_examples:
            self.catalog.seed_examples()
        self.gray.refresh()

    def load_when_possible(self, stop: threading.Event) -> bool:
        """Retries `load` until it succeeds (True) or `stop` is set (False)."""
        wait = 0.1
        while not stop.is_set():
            try:
                self.load()
                return True
            except StorageUnavailable as exc:
                log.warning("cannot load state yet, retrying in %.1f s: %s", wait, exc.message)
                stop.wait(wait)
                wait = min(wait * 2, 2.0)
        return False

    def follow_changes(self) -> None:
        """Starts picking up other replicas' changes (pub/sub and periodic reconciliation)."""
        self.changes.start()
        self.start()

    def close(self) -> None:
        self.changes.close()
        super().close()
        self.redis.close()


def connect_redis(settings: Settings) -> RedisClient:
    """The configured Redis, or the embedded one started under the data dir.

    Raises ConfigError (one line: why, and what to do) when the embedded Redis cannot run: the data
    dir is unusable or held by another process, or its append-only file is damaged.
    """
    try:
        return connect(settings.redis_url, settings.data_dir, settings.redis_cluster, settings.redis_timeout)
    except EmbeddedRedisError as exc:
        raise ConfigError(str(exc)) from None


def build_app(settings: Settings, load: bool = True) -> App:
    """The service's pieces; with `load`, also reads the state and starts following changes."""
    webhooks = settings.webhook_config()  # ConfigError before anything starts
    inputs = settings.input_log()
    client = connect_redis(settings)
    services = assemble(
        RedisRuleSetStore(client),
        RedisExperimentStore(client),
        RedisDecisionStore(
            client, timedelta(days=settings.decision_ttl_days), timedelta(days=settings.health_retention_days)
        ),
        default_rule_set=settings.default_rule_set,
        supervise_seconds=settings.supervise_seconds,
        results_cadence=settings.results_cadence,
        shadow_cadence=settings.shadow_cadence,
        shadow_orders=settings.shadow_orders,
        memo_size=settings.memo_entries,
        read_order=logged_order_facts,
        metrics_port=settings.metrics_port,
        metrics_host=settings.host,
        check=shared_checker(),  # a rule set that hangs or crashes the engine costs a refused publish
        required_approvals=settings.approvals,
        health_retention=timedelta(days=settings.health_retention_days),
        webhook_queue=RedisWebhookQueue(client),
        webhook_config=webhooks,
        input_store=RedisInputLogStore(client),
        input_settings=inputs,
    )
    app = App(
        **{name: getattr(services, name) for name in Services.__dataclass_fields__},
        redis=client,
        changes=ChangeListener(client, services.gray.refresh),
        seed_examples=settings.seed_examples,
    )
    if load:
        app.load()
        app.follow_changes()
    return app


def logged_order_facts(raw: bytes) -> Mapping[str, Any]:
    """The facts of an order the input log kept as its protobuf serialization."""
    return order_to_facts(pb.Order.FromString(raw), "order")
