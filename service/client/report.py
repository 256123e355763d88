"""Human-readable tables for experiments and their results (CLI and simulator)."""

from __future__ import annotations

from collections.abc import Sequence

from orderroute.v1 import orderroute_pb2 as pb

from rules.wording import ENGLISH
from service.client.reading import (
    ArmCell,
    decision_rule,
    limit_words,
    metric_rows,
    sample_ratio_words,
    status_of,
)


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=False)]
    return "\n".join(
        "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)).rstrip() for row in [header, *rows]
    )


def state_name(state: int) -> str:
    return pb.ExperimentState.Name(state).removeprefix("EXPERIMENT_STATE_").lower()


def verdict_name(verdict: int) -> str:
    return pb.Verdict.Name(verdict).removeprefix("VERDICT_").replace("_", " ").lower()


def percent_bp(bp: int) -> str:
    return f"{bp / 100:g}%"


def experiments_table(experiments: Sequence[pb.Experiment]) -> str:
    rows = [
        [
            e.id,
            e.rule_set,
            f"v{e.baseline_version} -> v{e.candidate_version}",
            percent_bp(e.traffic_bp),
            state_name(e.state),
            e.primary_metric,
            e.created_by,
        ]
        for e in experiments
    ]
    return table(["ID", "RULE SET", "VERSIONS", "TRAFFIC", "STATE", "PRIMARY", "BY"], rows)


def results_text(r: pb.GetResultsResponse, transitions: Sequence[pb.ExperimentTransition] = ()) -> str:
    """The results as the console's page reads them (service.client.reading): the same status, units and
    numbers, in English."""
    e = r.experiment
    status = status_of(r, transitions, ENGLISH)
    head = [
        f"{r.experiment_id}: {e.rule_set} v{e.candidate_version} (candidate) vs v{e.baseline_version} (baseline), "
        f"{percent_bp(e.traffic_bp)} of traffic, {state_name(e.state)}",
        f"STATUS: {status.label}: {status.reason}",
        decision_rule(e, ENGLISH),
        "",
    ]
    arms = table(
        ["ARM", "DECISIONS", f"UNITS IN EPOCH {e.epoch}" if e.epoch else "UNITS", "WITH OUTCOMES", "COVERAGE"],
        [
            [
                pb.Arm.Name(a.arm).removeprefix("ARM_").lower(),
                f"{a.decisions:,}",
                f"{a.units:,}",
                f"{a.outcomes:,}",
                f"{a.outcomes / a.decisions:.1%}" if a.decisions else "-",
            ]
            for a in r.arms
        ],
    )
    rows = metric_rows(r, ENGLISH, status.verdict_shown)
    limits = {g.metric: limit_words(g.limit, not g.relative, ENGLISH) for g in r.guardrails}
    sections = []
    goal, guards = [x for x in rows if x.role != "guardrail"], [x for x in rows if x.role == "guardrail"]
    for title, chosen in (("GOAL METRIC", goal), ("GUARDRAIL", guards)):
        if not chosen:
            continue
        header = [title, "BASELINE", "CANDIDATE", "CHANGE", "ALWAYS-VALID INTERVAL", "VERDICT"]
        body = [
            [
                x.metric,
                _arm_text(x.baseline),
                _arm_text(x.candidate),
                x.change or "-",
                f"{x.low} to {x.high}" if x.low else "-",
                x.verdict,
            ]
            for x in chosen
        ]
        if title == "GUARDRAIL":
            header.insert(5, "LIMIT")
            for line, x in zip(body, chosen, strict=True):
                line.insert(5, limits.get(x.metric, "") + (" BREACHED" if x.breached else ""))
        sections += [table(header, body), ""]
    ratios = list(r.epoch_sample_ratios) or [r.sample_ratio]
    srm = "\n".join(
        f"sample ratio{f' in epoch {s.epoch}' if len(ratios) > 1 else ''}: {sample_ratio_words(s, ENGLISH)}: "
        + ("MISMATCH" if s.mismatch else "ok")
        for s in ratios
    )
    coverage = _coverage_table(r.coverage)
    unassigned = sum(a.unassigned for a in r.arms)
    guests = (
        [f"{unassigned:,} orders without the unit, served by the baseline and not analysed (not randomised)"]
        if unassigned
        else []
    )
    return "\n".join([*head, arms, *guests, "", *sections, srm, "", coverage])


def _arm_text(cell: ArmCell | None) -> str:
    return f"{cell.value} ({cell.raw})" if cell is not None else "-"


def _window(seconds: int) -> str:
    if not seconds:
        return "none"
    hours = seconds / 3600
    return f"{hours / 24:g}d" if hours >= 48 and hours % 24 == 0 else f"{hours:g}h"


def _covered(analysed: int, matured: int) -> str:
    return f"{analysed / matured:.1%} of {matured:,}" if matured else "-"


def _coverage_table(coverage: Sequence[pb.OutcomeCoverage]) -> str:
    """Per metric, the matured decisions of each arm with a report analysed."""
    rows = []
    for c in coverage:
        test = "-"
        if c.HasField("test"):
            test = f"p={c.test.p_value:.3g}: " + ("MISMATCH" if c.test.mismatch else "ok")
        rows.append(
            [
                c.metric,
                _window(c.maturity_seconds),
                _covered(c.baseline_analysed, c.baseline_matured),
                _covered(c.candidate_analysed, c.candidate_matured),
                f"{c.baseline_late:,}/{c.candidate_late:,}",
                test,
            ]
        )
    return table(["REPORTED", "WINDOW", "BASELINE MATURED", "CANDIDATE MATURED", "LATE B/C", "COVERAGE TEST"], rows)
