"""OTLP export, configured only by the standard OTEL_* variables, reaches a real OTLP/gRPC receiver:
the latency histogram, the decision counters, and a span per RPC with what was decided."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from service.api.server import create_server
from service.api.settings import Settings
from service.api.wiring import build_app


class Receiver(metrics_service_pb2_grpc.MetricsServiceServicer, trace_service_pb2_grpc.TraceServiceServicer):
    """Keeps every export request it is sent."""

    def __init__(self) -> None:
        self.metrics: list[Any] = []
        self.spans: list[Any] = []
        self._lock = threading.Lock()

    def Export(self, request: Any, context: grpc.ServicerContext) -> Any:
        with self._lock:
            if isinstance(request, metrics_service_pb2.ExportMetricsServiceRequest):
                self.metrics += [
                    metric
                    for resource in request.resource_metrics
                    for scope in resource.scope_metrics
                    for metric in scope.metrics
                ]
                return metrics_service_pb2.ExportMetricsServiceResponse()
            self.spans += [
                span for resource in request.resource_spans for scope in resource.scope_spans for span in scope.spans
            ]
            return trace_service_pb2.ExportTraceServiceResponse()


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    received = Receiver()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(received, server)
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(received, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_INSECURE", "true")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "orderroute-test")
    yield received
    server.stop(0).wait()


TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


def test_metrics_and_spans_are_exported_over_otlp(
    receiver: Receiver, redis_client, redis_url: str, tmp_path: Path
) -> None:
    settings = Settings(redis_url=redis_url, data_dir=tmp_path, port=0)
    app = build_app(settings)
    server, port, _ = create_server(settings, app)
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            routing = pb_grpc.RoutingServiceStub(channel)
            for i in range(5):
                routing.Route(pb.RouteRequest(order=pb.Order(order_id=f"otlp-{i}")))
            caller = (("traceparent", f"00-{TRACE_ID}-{PARENT_ID}-01"), ("baggage", "tenant=acme"))
            routing.Route(pb.RouteRequest(order=pb.Order(order_id="otlp-traced")), metadata=caller)
            with pytest.raises(grpc.RpcError):
                routing.Route(pb.RouteRequest(order=pb.Order(order_id="")), metadata=caller)
    finally:
        server.stop(0).wait()
        app.close()  # shuts the providers down: the last collection and the queued spans are exported

    by_name = {metric.name: metric for metric in receiver.metrics}
    route = [
        point
        for point in by_name["orderroute.rpc.duration"].histogram.data_points
        if {a.key: a.value.string_value for a in point.attributes}["rpc"] == "Route"
    ]
    assert [point.count for point in route] == [7]
    assert sum(route[0].bucket_counts) == 7 and len(route[0].bucket_counts) == len(route[0].explicit_bounds) + 1
    decisions = by_name["orderroute.decisions"].sum.data_points
    assert sum(point.as_int for point in decisions) == 6
    routed = [span for span in receiver.spans if span.name == "orderroute.v1.RoutingService/Route"]
    assert len(routed) == 7
    attributes = {a.key for a in routed[0].attributes}
    assert {"orderroute.rule_set", "orderroute.version", "orderroute.path", "orderroute.matched_rules"} <= attributes
    # OpenTelemetry's RPC conventions, and the caller's trace continued (its span the parent).
    traced = [span for span in routed if span.trace_id.hex() == TRACE_ID]
    assert len(traced) == 2 and all(span.parent_span_id.hex() == PARENT_ID for span in traced)
    assert all(span.kind == span.SPAN_KIND_SERVER for span in routed)
    values = [{a.key: a.value for a in span.attributes} for span in traced]
    assert [v["rpc.grpc.status_code"].int_value for v in values] == [0, 3]
    assert {
        (v["rpc.system"].string_value, v["rpc.service"].string_value, v["rpc.method"].string_value) for v in values
    } == {("grpc", "orderroute.v1.RoutingService", "Route")}
    assert len({span.trace_id for span in routed}) == 6  # each untraced call starts a trace of its own
