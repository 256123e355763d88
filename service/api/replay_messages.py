"""A replay's report as the API sends it (ReplayRuleSet, and the shadow replay in GetResults)."""

from __future__ import annotations

import json

from orderroute.v1 import orderroute_pb2 as pb

from rules.replay import ReplayReport
from service.api.messages import timestamp
from service.storage.records import ShadowRecord


def report_to_proto(r: ReplayReport) -> pb.ReplayReport:
    low, high = r.changed_interval
    return pb.ReplayReport(
        replayed=r.replayed,
        changed=r.changed,
        changed_low=low,
        changed_high=high,
        not_reproduced=r.not_reproduced,
        not_reproduced_examples=[f"{d}: {why}" for d, why in r.not_reproduced_examples],
        trusted=r.trusted,
        fields=[
            pb.FieldChanges(
                field=name,
                changed=sum(counts.values()),
                transitions=[
                    pb.FieldTransition(from_value=a, to_value=b, orders=n)
                    for (a, b), n in sorted(counts.items(), key=lambda item: -item[1])
                ],
            )
            for name, counts in r.transitions.items()
        ],
        segments=[
            pb.ReplaySegment(fact=s.fact, value=s.value, replayed=s.replayed, changed=s.changed) for s in r.segments
        ],
        causes=[pb.RuleCause(rule_id=rule, orders=n) for rule, n in r.causes],
        examples=[
            pb.ReplayExample(
                field=kind[0],
                from_value=kind[1],
                to_value=kind[2],
                order_id=e.order_id,
                decision_id=e.decision_id,
                before_json=json_text(e.before),
                after_json=json_text(e.after),
            )
            for kind, examples in r.examples.items()
            for e in examples
        ],
        outcomes=[
            pb.ReplayOutcomes(
                group=g.group,
                field=g.field,
                value=g.value,
                kpis=[pb.OutcomeKpi(metric=f.metric, reports=f.reports, mean=f.mean) for f in g.figures],
            )
            for g in r.outcomes
        ],
    )


def shadow_to_proto(s: ShadowRecord) -> pb.ShadowReplay:
    return pb.ShadowReplay(
        report=report_to_proto(s.report),
        computed_at=timestamp(s.computed_at),
        since=timestamp(s.since),
        limit=s.limit,
    )


def json_text(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
