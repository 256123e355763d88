"""The application layer put together over any three stores (Redis in the server, memory in tests)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import rules
from experiments.history import CADENCE
from rules.memo import MEMO_SIZE
from service.app.catalog import Checker, RuleSetCatalog
from service.app.clock import Clock, utc_now
from service.app.decision_log import DecisionLog
from service.app.explaining import Explainer
from service.app.gray import GrayReleases
from service.app.health import OrderHealth
from service.app.input_log import InputLog, InputLogSettings
from service.app.insights import RuleInsights
from service.app.logged_orders import LoggedOrders
from service.app.outcomes import OutcomeRecorder
from service.app.replay import Replayer
from service.app.routing import Router
from service.app.shadow import CADENCE as SHADOW_CADENCE
from service.app.shadow import ORDERS as SHADOW_ORDERS
from service.app.shadow import Shadows
from service.app.supervisor import Supervisor
from service.app.webhook_delivery import Webhooks
from service.app.webhooks import WebhookConfig
from service.storage import HEALTH_RETENTION, DecisionRecord, DecisionStore, ExperimentStore, RuleSetStore
from service.storage.memory import MemoryInputLogStore, MemoryWebhookQueue
from service.storage.ports import InputLogStore, WebhookQueue
from service.telemetry import Gauges, Telemetry


@dataclass
class Services:
    """The running pieces of the application layer. Nothing runs in the background until `start`."""

    catalog: RuleSetCatalog
    gray: GrayReleases
    decisions: DecisionLog
    outcomes: OutcomeRecorder
    router: Router
    supervisor: Supervisor
    telemetry: Telemetry
    webhooks: Webhooks
    """Notifications: events to the configured webhooks, and the log of the last deliveries."""
    health: OrderHealth
    """Order health over time (GetOrderHealth)."""
    inputs: InputLog
    """The decision log with inputs (explain, replay)."""
    explainer: Explainer
    logged_orders: LoggedOrders
    """The decision log with inputs read back in pages, decided again (replay, rule insights)."""
    replayer: Replayer
    insights: RuleInsights
    shadows: Shadows
    """Running candidates replayed over their baseline's orders (the results page's shadow)."""

    def start(self) -> None:
        self.supervisor.start()
        self.webhooks.start()
        self.shadows.start()

    def close(self) -> None:
        self.shadows.close()
        self.supervisor.close()
        self.webhooks.close()
        self.decisions.close()
        self.telemetry.close()


def assemble(
    rule_sets: RuleSetStore,
    experiments: ExperimentStore,
    decision_store: DecisionStore,
    *,
    default_rule_set: str = "fulfilment",
    supervise_seconds: float = 1.0,
    results_cadence: timedelta = CADENCE,
    metrics_port: int | None = None,
    metrics_host: str = "127.0.0.1",
    clock: Clock = utc_now,
    check: Checker = rules.check,
    required_approvals: int = 0,
    health_retention: timedelta = HEALTH_RETENTION,
    webhook_queue: WebhookQueue | None = None,
    webhook_config: WebhookConfig | None = None,
    input_store: InputLogStore | None = None,
    input_settings: InputLogSettings | None = None,
    shadow_cadence: timedelta = SHADOW_CADENCE,
    shadow_orders: int = SHADOW_ORDERS,
    memo_size: int = MEMO_SIZE,
    read_order: Callable[[bytes], Mapping[str, Any]] | None = None,
) -> Services:
    webhooks = Webhooks(webhook_queue or MemoryWebhookQueue(), webhook_config, clock)
    catalog = RuleSetCatalog(rule_sets, clock, check, required_approvals, webhooks, memo_size)
    gray = GrayReleases(experiments, catalog, clock, results_cadence)
    supervisor = Supervisor(gray, supervise_seconds)
    # The gauges are read only at collection time, so they may name the decision log made below.
    gauges = Gauges(
        lambda: [(e.id, e.rule_set, e.share_bp / 10_000) for e in gray.running()],
        lambda: [(e, m, b) for e, states in supervisor.guardrail_states.items() for m, b in states],
        lambda: decisions.depth,
        lambda: decisions.dropped,
        catalog.memos,
    )
    telemetry = Telemetry(metrics_port, metrics_host, gauges)
    inputs = InputLog(input_store or MemoryInputLogStore(), input_settings or InputLogSettings(), clock, read_order)

    def write(records: Sequence[DecisionRecord]) -> None:
        decision_store.write(records)
        inputs.write(records)  # once the records are stored; it never holds them back (it drops instead)

    decisions = DecisionLog(write, on_error=lambda: telemetry.redis_error("write_decisions"))
    router = Router(catalog, gray, decisions, default_rule_set, telemetry)
    outcomes = OutcomeRecorder(decision_store, decisions, telemetry, clock, experiments.get)
    known = lambda name: name in catalog.active_names or name in rule_sets.list_names()  # noqa: E731
    health = OrderHealth(decision_store, known, clock, health_retention)
    logged_orders = LoggedOrders(inputs, catalog, decision_store)
    replayer = Replayer(logged_orders, catalog)
    return Services(
        catalog,
        gray,
        decisions,
        outcomes,
        router,
        supervisor,
        telemetry,
        webhooks=webhooks,
        health=health,
        inputs=inputs,
        explainer=Explainer(decision_store, inputs, catalog),
        logged_orders=logged_orders,
        replayer=replayer,
        insights=RuleInsights(logged_orders, catalog),
        shadows=Shadows(gray, replayer, experiments, clock, shadow_cadence, shadow_orders),
    )
