"""The RPC latency histogram: OpenTelemetry's bucket convention, exact counts across threads."""

from __future__ import annotations

import threading

from opentelemetry.sdk.metrics.export import AggregationTemporality, HistogramDataPoint

from service.telemetry.histogram import RpcHistogram


def points(histogram: RpcHistogram) -> dict[tuple[str, str], HistogramDataPoint]:
    metric = histogram.metric()
    assert metric is not None
    assert metric.data.aggregation_temporality is AggregationTemporality.CUMULATIVE
    return {(p.attributes["rpc"], p.attributes["rule_set"]): p for p in metric.data.data_points}


def test_nothing_recorded_is_no_metric() -> None:
    assert RpcHistogram("h", "", "s", (0.1,)).metric() is None


def test_a_bound_belongs_to_its_own_bucket() -> None:
    histogram = RpcHistogram("h", "", "s", (0.001, 0.01))
    for seconds in (0.0005, 0.001, 0.002, 0.01, 0.5):
        histogram.record(seconds, "Route", "fulfilment")
    histogram.record(0.003, "RouteBatch", "")
    route = points(histogram)[("Route", "fulfilment")]
    assert list(route.bucket_counts) == [2, 2, 1]  # (..0.001], (0.001..0.01], (0.01..)
    assert route.count == 5 and route.min == 0.0005 and route.max == 0.5
    assert abs(route.sum - 0.5135) < 1e-12
    assert list(points(histogram)[("RouteBatch", "")].bucket_counts) == [0, 1, 0]


def test_counts_from_many_threads_add_up_exactly() -> None:
    histogram = RpcHistogram("h", "", "s", (0.001,))
    collected: list[int] = []

    def record() -> None:
        for i in range(20_000):
            histogram.record(0.002 if i % 2 else 0.0001, "Route", "")

    def collect() -> None:  # collections racing the records must not lose or double any
        for _ in range(50):
            metric = histogram.metric()
            if metric is not None:
                collected.append(metric.data.data_points[0].count)

    threads = [threading.Thread(target=record) for _ in range(4)] + [threading.Thread(target=collect)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    point = points(histogram)[("Route", "")]
    assert list(point.bucket_counts) == [40_000, 40_000]
    assert collected == sorted(collected)  # cumulative: never goes back
