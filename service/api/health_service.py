"""OrderHealthService: the operations dashboard's data (service.app.health), per rule set over time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from service.api.boundary import Edge, handled
from service.api.messages import timestamp
from service.app import BucketHealth, HealthReport, OrderHealth, SeriesHealth
from service.errors import InvalidArgument

ARMS = {"baseline": pb.ARM_BASELINE, "candidate": pb.ARM_CANDIDATE}


class OrderHealthServicer(pb_grpc.OrderHealthServiceServicer):
    SERVICE = "orderroute.v1.OrderHealthService"

    def __init__(self, health: OrderHealth, edge: Edge) -> None:
        self._health = health
        self.edge = edge

    @handled
    def GetOrderHealth(self, request: pb.GetOrderHealthRequest, context: grpc.ServicerContext) -> Any:
        if request.bucket_seconds < 0:
            raise InvalidArgument("bucket_seconds", f"must be 0 (300) or more, got {request.bucket_seconds}")
        report = self._health.report(
            request.rule_set,
            _time(request, "since"),
            _time(request, "until"),
            timedelta(seconds=request.bucket_seconds) if request.bucket_seconds else None,
        )
        return report_to_proto(report)


def _time(request: pb.GetOrderHealthRequest, field: str) -> datetime | None:
    if not request.HasField(field):  # "since" / "until"
        return None
    value: Timestamp = getattr(request, field)
    try:
        return value.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError) as exc:
        raise InvalidArgument(field, f"not a valid time: {exc}") from None


def report_to_proto(r: HealthReport) -> pb.GetOrderHealthResponse:
    return pb.GetOrderHealthResponse(
        rule_set=r.rule_set,
        since=timestamp(r.since),
        until=timestamp(r.until),
        bucket_seconds=int(r.bucket.total_seconds()),
        buckets=[_bucket(b) for b in r.buckets],
        overall=[_series(s) for s in r.overall],
        retention_seconds=int(r.retention.total_seconds()),
    )


def _bucket(b: BucketHealth) -> pb.HealthBucket:
    return pb.HealthBucket(
        start=timestamp(b.start),
        decisions=b.decisions,
        decisions_per_minute=b.decisions_per_minute,
        default_rule_decisions=b.default_rule,
        latency_p50_micros=b.latency_p50_micros,
        latency_p99_micros=b.latency_p99_micros,
        series=[_series(s) for s in b.series],
    )


def _series(s: SeriesHealth) -> pb.HealthSeries:
    return pb.HealthSeries(
        version=s.version,
        arm=ARMS.get(s.arm, pb.ARM_UNSPECIFIED),
        decisions=s.decisions,
        decisions_per_minute=s.decisions_per_minute,
        paths=[pb.PathCount(path=p, decisions=n) for p, n in s.paths],
        default_rule_decisions=s.default_rule,
        default_rule_bp=s.default_rule_bp,
        latency_p50_micros=s.latency_p50_micros,
        latency_p99_micros=s.latency_p99_micros,
        outcomes=[pb.OutcomeKpi(metric=o.metric, reports=o.reports, mean=o.mean) for o in s.outcomes],
    )
