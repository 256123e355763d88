"""Traces and metrics with OpenTelemetry: a Prometheus scrape endpoint, and OTLP
export when the standard OTEL_* environment variables ask for it.

Metrics (Prometheus names; `_total`, `_seconds`... are added by the exporter):
    orderroute_rpc_duration_seconds{rpc, rule_set}               histogram per RPC
    orderroute_decisions_total{rule_set, version, arm, path, default_rule}
    orderroute_rpc_in_flight{rpc}                                calls being handled now
    orderroute_outcomes_total{metric, arm, version, value}        value: true/false for rates, "amount" else
    orderroute_outcomes_withdrawn_total{metric, arm, version, value}  earlier values a correction replaced
    orderroute_outcome_amount_total{metric, arm, version}        sum of hours / cost reported
    orderroute_outcome_amount_withdrawn_total{metric, arm, version}   sum of amounts a correction replaced
    orderroute_experiment_share{experiment, rule_set}            candidate share of running experiments (0-1)
    orderroute_experiment_guardrail_breached{experiment, metric} 1 when breached at the last check
    orderroute_redis_errors_total{operation}
    orderroute_rpc_refused_total{rpc, reason}                    answered at the gate: unauthenticated, denied, busy
    orderroute_decision_buffer_depth / orderroute_decision_buffer_dropped_total

Outcome counters count changes: a first report counts its values; a report
repeating a value counts nothing; a correction counts its new value and the
earlier one as withdrawn. So the values standing are reported − withdrawn,
and order health per version and arm follows: exception rate =
(outcomes_total − outcomes_withdrawn_total){metric="exception",value="true"} /
(outcomes_total − outcomes_withdrawn_total){metric="exception"}, likewise
manual intervention and on time; decision latency is the Route histogram.

The hot path only bumps in-process tallies (a C-level Counter.update); the
OpenTelemetry counters observe them at collection time, because an SDK
counter add or histogram record costs ~20 µs per call here; the latency
histogram is per-thread buckets added to each collection (service.histogram).
Spans are only made when a trace exporter is configured. Without a metrics
port and without OTEL_* exporters, telemetry is a no-op.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter as Tally
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from opentelemetry import metrics, propagate, trace
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from experiments import METRICS
from experiments.model import MetricKind
from service.telemetry.histogram import IncludesHistogram, RpcHistogram

log = logging.getLogger(__name__)

RATES = frozenset(name for name, spec in METRICS.items() if spec.kind is MetricKind.RATE)


@dataclass(frozen=True, slots=True)
class OutcomeChange:
    """One outcome report as applied: its values, and the earlier values of the metrics it replaced."""

    arm: str
    version: int
    values: Mapping[str, float]
    earlier: Mapping[str, float]


class _OutcomeTallies:
    """Counts of outcome values by (metric, arm, version, value) and sums of amounts, kept in memory."""

    def __init__(self) -> None:
        self.counts: Tally[tuple[str, str, str, str]] = Tally()
        self.amounts: dict[tuple[str, str, str], float] = {}

    def add(self, metric: str, arm: str, version: str, number: float) -> None:
        if metric in RATES:
            self.counts[(metric, arm, version, "true" if number else "false")] += 1
        else:
            self.counts[(metric, arm, version, "amount")] += 1
            self.amounts[(metric, arm, version)] = self.amounts.get((metric, arm, version), 0.0) + number

    def count_observations(self) -> list[Observation]:
        return [
            Observation(count, {"metric": metric, "arm": arm, "version": version, "value": value})
            for (metric, arm, version, value), count in dict(self.counts).items()
        ]

    def amount_observations(self) -> list[Observation]:
        return [
            Observation(total, {"metric": metric, "arm": arm, "version": version})
            for (metric, arm, version), total in dict(self.amounts).items()
        ]


LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


class MemoFigures(Protocol):
    """A compiled version's memo as the metrics read it (rules.memo.MemoStats)."""

    @property
    def size(self) -> int: ...
    @property
    def hits(self) -> int: ...
    @property
    def misses(self) -> int: ...
    @property
    def evictions(self) -> int: ...
    @property
    def bypassed(self) -> int: ...


MEMO_INSTRUMENTS: tuple[tuple[str, Callable[[MemoFigures], int], str, str], ...] = (
    ("orderroute.memo.size", lambda m: m.size, "gauge", "Distinct cases a version's memo holds"),
    ("orderroute.memo.hits", lambda m: m.hits, "counter", "Orders decided from the memo, without the engine"),
    ("orderroute.memo.misses", lambda m: m.misses, "counter", "Orders whose case went to the engine"),
    ("orderroute.memo.evictions", lambda m: m.evictions, "counter", "Cases the full memo let go (oldest first)"),
    ("orderroute.memo.bypassed", lambda m: m.bypassed, "counter", "Orders sent to the engine while the memo rested"),
)
"""The memo's figures: its hit rate is hits / (hits + misses)."""


@dataclass(frozen=True, slots=True)
class Gauges:
    """Where the observable gauges read from (set by the server wiring)."""

    experiments: Callable[[], Iterable[tuple[str, str, float]]] = lambda: ()
    """(experiment id, rule set, share) of running experiments."""
    guardrails: Callable[[], Iterable[tuple[str, str, bool]]] = lambda: ()
    """(experiment id, metric, breached) from the last guardrail check."""
    buffer_depth: Callable[[], int] = lambda: 0
    buffer_dropped: Callable[[], int] = lambda: 0
    memos: Callable[[], Iterable[tuple[str, int, MemoFigures]]] = lambda: ()
    """(rule set, version, its memo's figures) of every compiled version (rules.memo)."""


class Telemetry:
    def __init__(self, metrics_port: int | None = None, host: str = "127.0.0.1", gauges: Gauges | None = None) -> None:
        self._server: Any = None
        self.metrics_port: int | None = None
        # Recorded outside the SDK (see service.histogram); every reader adds it to what it collects.
        self._duration = RpcHistogram("orderroute.rpc.duration", "Server time per RPC", "s", LATENCY_BUCKETS)
        readers: list[MetricReader] = []
        if metrics_port is not None:
            import prometheus_client
            from opentelemetry.exporter.prometheus import PrometheusMetricReader

            class PrometheusReader(IncludesHistogram, PrometheusMetricReader):
                histogram = self._duration

            self.registry = prometheus_client.CollectorRegistry()
            readers.append(PrometheusReader(registry=self.registry))
            self._server, _ = prometheus_client.start_http_server(metrics_port, host, registry=self.registry)
            self.metrics_port = int(self._server.server_port)
        if _otlp_configured("METRICS"):
            from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
            from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

            class OtlpReader(IncludesHistogram, PeriodicExportingMetricReader):
                histogram = self._duration

            readers.append(OtlpReader(OTLPMetricExporter()))
        resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "orderroute")})
        self.enabled = bool(readers)
        self._meter_provider = MeterProvider(resource=resource, metric_readers=readers) if readers else None
        meter = (
            self._meter_provider.get_meter("orderroute") if self._meter_provider else metrics.NoOpMeter("orderroute")
        )
        self._tracer_provider = _tracer_provider(resource)
        self.tracer = self._tracer_provider.get_tracer("orderroute") if self._tracer_provider else trace.NoOpTracer()
        self._decision_tally: Tally[tuple[str, int, str, str, bool]] = Tally()
        self._reported = _OutcomeTallies()
        self._withdrawn = _OutcomeTallies()
        self._outcome_lock = threading.Lock()
        self._rpc_started: Tally[str] = Tally()
        self._rpc_finished: Tally[str] = Tally()
        meter.create_observable_counter(
            "orderroute.decisions", callbacks=[self._observe_decisions], description="Decisions made"
        )
        meter.create_observable_counter(
            "orderroute.outcomes",
            callbacks=[lambda _: self._reported.count_observations()],
            description="Outcome values reported (a repeated value is not counted again)",
        )
        meter.create_observable_counter(
            "orderroute.outcomes.withdrawn",
            callbacks=[lambda _: self._withdrawn.count_observations()],
            description="Earlier outcome values a correction replaced",
        )
        meter.create_observable_counter(
            "orderroute.outcome.amount",
            callbacks=[lambda _: self._reported.amount_observations()],
            description="Sum of reported amounts",
        )
        meter.create_observable_counter(
            "orderroute.outcome.amount.withdrawn",
            callbacks=[lambda _: self._withdrawn.amount_observations()],
            description="Sum of earlier amounts a correction replaced",
        )
        meter.create_observable_gauge(
            "orderroute.rpc.in_flight", callbacks=[self._observe_in_flight], description="Calls being handled now"
        )
        self._redis_errors = meter.create_counter("orderroute.redis.errors", description="Failed Redis operations")
        self._refused = meter.create_counter(
            "orderroute.rpc.refused", description="Calls answered before they took a thread (service.api.admission)"
        )
        gauges = gauges or Gauges()
        self.gauges = gauges
        meter.create_observable_gauge(
            "orderroute.experiment.share", callbacks=[self._observe_share], description="Candidate share", unit="1"
        )
        meter.create_observable_gauge(
            "orderroute.experiment.guardrail_breached",
            callbacks=[self._observe_guardrails],
            description="1 when the guardrail was breached at the last check",
        )
        meter.create_observable_gauge(
            "orderroute.decision_buffer.depth",
            callbacks=[lambda _: [Observation(self.gauges.buffer_depth())]],
            description="Decision records waiting to be written",
        )
        for name, read, kind, description in MEMO_INSTRUMENTS:
            create = meter.create_observable_gauge if kind == "gauge" else meter.create_observable_counter
            create(name, callbacks=[self._memo_observer(read)], description=description)
        meter.create_observable_counter(
            "orderroute.decision_buffer.dropped",
            callbacks=[lambda _: [Observation(self.gauges.buffer_dropped())]],
            description="Decision records dropped because the buffer was full",
        )

    def _memo_observer(self, read: Callable[[MemoFigures], int]) -> Callable[[Any], list[Observation]]:
        def observe(_: Any) -> list[Observation]:
            return [
                Observation(read(figures), {"rule_set": name, "version": version})
                for name, version, figures in self.gauges.memos()
            ]

        return observe

    # ------------------------------------------------------------ recording

    @contextmanager
    def rpc(
        self,
        name: str,
        rule_set: str = "",
        service: str = "",
        metadata: Callable[[], Iterable[tuple[str, Any]]] | None = None,
    ) -> Iterator[trace.Span]:
        """Times one RPC and, when traces are exported, opens its span: a SERVER span named and
        described by OpenTelemetry's RPC conventions, continuing the caller's W3C trace context
        (`traceparent`, `baggage`) from the call's metadata, read only when tracing, so parent-based
        samplers work."""
        started = time.perf_counter()
        if self.enabled:
            self._rpc_started.update((name,))  # C-level: safe without a lock
        try:
            if self._tracer_provider is None:
                yield trace.INVALID_SPAN
            else:
                carrier = {key: value for key, value in (metadata() if metadata else ()) if isinstance(value, str)}
                caller = propagate.extract(carrier)
                with self.tracer.start_as_current_span(
                    f"{service}/{name}" if service else name,
                    context=caller,
                    kind=trace.SpanKind.SERVER,
                    attributes={"rpc.system": "grpc", "rpc.service": service, "rpc.method": name},
                ) as span:
                    yield span
        finally:
            if self.enabled:
                self._duration.record(time.perf_counter() - started, name, rule_set)
                self._rpc_finished.update((name,))

    def decisions(self, labels: Iterable[tuple[str, int, str, str, bool]]) -> None:
        """(rule set, version, arm, path, default used) per decision."""
        if self.enabled:
            # A list, so the C-level update runs without yielding the GIL to another writer.
            self._decision_tally.update(list(labels))

    def outcomes(self, changes: Iterable[OutcomeChange]) -> None:
        """Counts what each applied report changed (see the module docstring)."""
        if not self.enabled:
            return
        with self._outcome_lock:
            for change in changes:
                version = str(change.version)
                for metric, number in change.values.items():
                    earlier = change.earlier.get(metric)
                    if earlier == number or metric not in METRICS:
                        continue  # declared metrics are experiments' own names: unbounded as labels
                    self._reported.add(metric, change.arm, version, number)
                    if earlier is not None:
                        self._withdrawn.add(metric, change.arm, version, earlier)

    def redis_error(self, operation: str) -> None:
        if self.enabled:
            self._redis_errors.add(1, {"operation": operation})

    def refused(self, rpc: str, reason: str) -> None:
        if self.enabled:
            self._refused.add(1, {"rpc": rpc, "reason": reason})

    # ------------------------------------------------------------ gauges

    def _observe_decisions(self, _options: CallbackOptions) -> list[Observation]:
        return [
            Observation(
                count,
                {
                    "rule_set": rule_set,
                    "version": str(version),
                    "arm": arm,
                    "path": path,
                    "default_rule": str(default).lower(),
                },
            )
            for (rule_set, version, arm, path, default), count in dict(self._decision_tally).items()
        ]

    def _observe_in_flight(self, _options: CallbackOptions) -> list[Observation]:
        started, finished = dict(self._rpc_started), dict(self._rpc_finished)
        return [Observation(count - finished.get(rpc, 0), {"rpc": rpc}) for rpc, count in started.items()]

    def _observe_share(self, _options: CallbackOptions) -> list[Observation]:
        return [Observation(share, {"experiment": e, "rule_set": rs}) for e, rs, share in self.gauges.experiments()]

    def _observe_guardrails(self, _options: CallbackOptions) -> list[Observation]:
        return [Observation(int(b), {"experiment": e, "metric": m}) for e, m, b in self.gauges.guardrails()]

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._meter_provider is not None:
            self._meter_provider.shutdown()
        if self._tracer_provider is not None:
            self._tracer_provider.shutdown()


def _otlp_configured(signal: str) -> bool:
    env = os.environ
    exporter = env.get(f"OTEL_{signal}_EXPORTER", "")
    if exporter == "none":
        return False
    return exporter == "otlp" or bool(
        env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get(f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT")
    )


def _tracer_provider(resource: Resource) -> TracerProvider | None:
    """Spans are exported over OTLP when configured; sampling follows OTEL_TRACES_SAMPLER(_ARG)."""
    if not _otlp_configured("TRACES"):
        return None
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider
