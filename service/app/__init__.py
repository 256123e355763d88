"""The application layer: what the service does, over store ports, in core types (no gRPC, no Redis).

    catalog       RuleSetCatalog: publish (validated, tested), activate, the compiled active versions
                  (a version damaged in storage is refused: VersionRefused)
    gray          GrayReleases: start, change (Action.RAMP, PAUSE, ... PROMOTE), results, the live view
    supervisor    Supervisor: each tick reloads, finishes promotions, enforces guardrails
    routing       Router: facts -> decision by the active version or an experiment's candidate
    outcomes      OutcomeRecorder: what happened to decisions, counted once
    decision_log  DecisionLog: decision records buffered off the Route path
    health        OrderHealth: decisions, latency and outcome KPIs per time bucket, version and arm
    services      assemble(): all of it over three stores
    clock         utc_now

May import: rules, experiments, service.errors, service.storage (ports and records), service.telemetry.
"""

from service.app.catalog import Activated, Published, RuleSetCatalog, Summary, VersionRefused
from service.app.clock import Clock, utc_now
from service.app.decision_log import DecisionLog
from service.app.gray import Changed, GrayReleases, LiveExperiment
from service.app.health import BucketHealth, HealthReport, OrderHealth, OutcomeKpi, SeriesHealth
from service.app.outcomes import OutcomeRecorder, OutcomeReport, Recorded
from service.app.routing import Routed, RoutedBatch, Router, Target
from service.app.services import Services, assemble
from service.app.supervisor import GUARDRAIL_ACTOR, Supervisor, Tick

__all__ = [
    "GUARDRAIL_ACTOR",
    "Activated",
    "BucketHealth",
    "HealthReport",
    "OrderHealth",
    "OutcomeKpi",
    "SeriesHealth",
    "Changed",
    "Clock",
    "DecisionLog",
    "GrayReleases",
    "LiveExperiment",
    "OutcomeRecorder",
    "OutcomeReport",
    "Published",
    "Recorded",
    "Routed",
    "RoutedBatch",
    "Router",
    "RuleSetCatalog",
    "Services",
    "Summary",
    "Supervisor",
    "Target",
    "Tick",
    "VersionRefused",
    "assemble",
    "utc_now",
]
