"""The Prometheus endpoint, scraped after real traffic, has the series operations watch."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc
from prometheus_client.parser import text_string_to_metric_families

from service.api.server import create_server
from service.api.settings import Settings
from service.api.wiring import App, build_app
from tests.conftest import EXAMPLES

CANDIDATE = (EXAMPLES / "fulfilment-candidate.yaml").read_text()


@pytest.fixture
def metered(redis_client, redis_url: str, tmp_path: Path) -> Iterator[tuple[App, grpc.Channel]]:
    settings = Settings(redis_url=redis_url, data_dir=tmp_path, port=0, metrics_port=0, supervise_seconds=0.2)
    app = build_app(settings)
    server, port, _ = create_server(settings, app)
    server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield app, channel
    server.stop(0).wait()
    app.close()


def scrape(port: int) -> dict[str, list[tuple[dict[str, str], float]]]:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    series: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = {k: v for k, v in sample.labels.items() if not k.startswith("otel_scope")}
            series.setdefault(sample.name, []).append((labels, sample.value))
    return series


def labels_of(series, name: str) -> list[dict[str, str]]:
    assert name in series, " ".join(sorted(series))
    return [labels for labels, _ in series[name]]


def test_metrics_after_real_traffic(metered) -> None:
    app, channel = metered
    pb_grpc.RuleSetServiceStub(channel).PublishRuleSet(pb.PublishRuleSetRequest(source=CANDIDATE, author="ana"))
    experiment = (
        pb_grpc.ExperimentServiceStub(channel)
        .StartExperiment(
            pb.StartExperimentRequest(
                rule_set="fulfilment", candidate_version=2, traffic_bp=5000, actor="rev", reason="metrics"
            )
        )
        .experiment
    )
    routing = pb_grpc.RoutingServiceStub(channel)
    orders = [
        pb.Order(order_id=f"m{i}", customer=pb.Customer(customer_id=f"mc{i}", repeat_purchases=2)) for i in range(200)
    ]
    results = routing.RouteBatch(pb.RouteBatchRequest(orders=orders)).results
    for order in orders[:10]:
        routing.Route(pb.RouteRequest(order=order))
    outcomes = [
        pb.Outcome(decision_id=r.decision.decision_id, on_time=i % 3 > 0, exception=i % 10 == 0, fulfilment_hours=30.0)
        for i, r in enumerate(results)
    ]
    pb_grpc.OutcomeServiceStub(channel).RecordOutcomes(pb.RecordOutcomesRequest(outcomes=outcomes))
    assert app.supervisor.wait_for_ticks(2, timeout=10), "the supervisor checked the guardrails"

    series = scrape(app.telemetry.metrics_port)
    rpcs = {labels["rpc"] for labels in labels_of(series, "orderroute_rpc_duration_seconds_count")}
    assert {"Route", "RouteBatch", "RecordOutcomes", "StartExperiment"} <= rpcs
    route = {
        name: value
        for name in ("orderroute_rpc_duration_seconds_count", "orderroute_rpc_duration_seconds_bucket")
        for labels, value in series[name]
        if labels["rpc"] == "Route" and labels.get("le", "+Inf") == "+Inf"
    }
    assert route == {"orderroute_rpc_duration_seconds_count": 10, "orderroute_rpc_duration_seconds_bucket": 10}
    decisions = series["orderroute_decisions_total"]
    by_arm = {}
    for labels, value in decisions:
        assert labels["rule_set"] == "fulfilment" and labels["default_rule"] in ("true", "false")
        by_arm[(labels["arm"], labels["version"], labels["path"])] = (
            by_arm.get((labels["arm"], labels["version"], labels["path"]), 0) + value
        )
    assert by_arm[("candidate", "2", "EXPRESS")] + by_arm[("baseline", "1", "STANDARD")] == 210
    assert by_arm[("candidate", "2", "EXPRESS")] > 50
    outcome_labels = labels_of(series, "orderroute_outcomes_total")
    assert {"metric": "on_time", "arm": "candidate", "version": "2", "value": "true"} in outcome_labels
    assert {"metric": "exception", "arm": "baseline", "version": "1", "value": "true"} in outcome_labels
    assert any(
        labels["metric"] == "fulfilment_hours" for labels in labels_of(series, "orderroute_outcome_amount_total")
    )
    shares = [v for labels, v in series["orderroute_experiment_share"] if labels["experiment"] == experiment.id]
    assert shares == [0.5]
    guardrails = {labels["metric"] for labels in labels_of(series, "orderroute_experiment_guardrail_breached")}
    assert {"exception", "complaint", "cancelled", "logistics_cost_minor"} <= guardrails
    assert "orderroute_decision_buffer_depth" in series
    # The 210 orders are two cases (one per version): the engine saw each once, the memo served the rest.
    memo = {
        name: {labels["version"]: value for labels, value in series[f"orderroute_memo_{name}"]}
        for name in ("hits_total", "misses_total", "size", "evictions_total")
    }
    assert memo["misses_total"] == memo["size"] == {"1": 1, "2": 1} and memo["evictions_total"] == {"1": 0, "2": 0}
    assert sum(memo["hits_total"].values()) == 210 - 2


def standing(series, name: str, **match: str) -> float:
    """Reported minus withdrawn: the values standing after corrections (the README's formula)."""

    def total(family: str) -> float:
        return sum(v for labels, v in series.get(family, []) if all(labels.get(k) == x for k, x in match.items()))

    return total(name) - total(name.replace("_total", "_withdrawn_total"))


def test_outcome_counters_count_changes_so_a_corrected_report_counts_once(metered) -> None:
    app, channel = metered
    decision = (
        pb_grpc.RoutingServiceStub(channel)
        .Route(pb.RouteRequest(order=pb.Order(order_id="c1", customer=pb.Customer(customer_id="c"))))
        .decision
    )
    outcomes = pb_grpc.OutcomeServiceStub(channel)
    for on_time, hours in ((True, 30.0), (True, 30.0), (False, 40.0)):  # a report, its retry, a correction
        outcomes.RecordOutcome(
            pb.RecordOutcomeRequest(
                outcome=pb.Outcome(decision_id=decision.decision_id, on_time=on_time, fulfilment_hours=hours)
            )
        )
    series = scrape(app.telemetry.metrics_port)
    on_time = {"metric": "on_time", "arm": "none"}
    assert standing(series, "orderroute_outcomes_total", **on_time, value="true") == 0
    assert standing(series, "orderroute_outcomes_total", **on_time, value="false") == 1
    hours = {"metric": "fulfilment_hours", "arm": "none"}
    assert standing(series, "orderroute_outcomes_total", **hours, value="amount") == 1
    assert standing(series, "orderroute_outcome_amount_total", **hours) == 40.0
    reported = sum(v for labels, v in series["orderroute_outcomes_total"] if labels["metric"] == "on_time")
    assert reported == 2, "the retry repeating a value is not counted again"
