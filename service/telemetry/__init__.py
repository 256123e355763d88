"""Traces and metrics: OpenTelemetry with a Prometheus endpoint and OTLP export (see metrics).

    metrics    Telemetry (what the request path records, at in-memory cost), Gauges, OutcomeChange
    histogram  the per-thread RPC latency histogram that joins each collection

May import: experiments, service.errors, opentelemetry, prometheus_client.
"""

from service.telemetry.metrics import Gauges, OutcomeChange, Telemetry

__all__ = ["Gauges", "OutcomeChange", "Telemetry"]
