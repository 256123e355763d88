"""Human-readable tables for experiments and their results (CLI and simulator)."""

from __future__ import annotations

from collections.abc import Sequence

from orderroute.v1 import orderroute_pb2 as pb


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


def _value(metric: str, x: float) -> str:
    return f"{x:.2%}" if metric not in ("fulfilment_hours", "logistics_cost_minor") else f"{x:,.2f}"


def _change(relative: bool, x: float) -> str:
    """A rate's change in points; an amount's as a share of the baseline."""
    return f"{x:+.2%}" if relative else f"{x * 100:+.2f}pt"


def results_text(r: pb.GetResultsResponse) -> str:
    e = r.experiment
    head = [
        f"{r.experiment_id}: {e.rule_set} v{e.candidate_version} (candidate) vs v{e.baseline_version} (baseline), "
        f"{percent_bp(e.traffic_bp)} of traffic, {state_name(e.state)}",
        f"VERDICT: {verdict_name(r.verdict).upper()}: {r.reason}"
        + (f" (about {r.samples_needed:,} more candidate orders needed for 80% power)" if r.samples_needed else ""),
        "",
    ]
    arms = table(
        ["ARM", "DECISIONS", f"UNITS IN EPOCH {e.epoch}" if e.epoch else "UNITS", "WITH OUTCOMES"],
        [
            [pb.Arm.Name(a.arm).removeprefix("ARM_").lower(), f"{a.decisions:,}", f"{a.units:,}", f"{a.outcomes:,}"]
            for a in r.arms
        ],
    )
    rows = []
    for m in r.metrics:
        base = _value(m.metric, m.baseline.mean) if m.HasField("baseline") else "-"
        cand = _value(m.metric, m.candidate.mean) if m.HasField("candidate") else "-"
        if m.HasField("difference"):
            diff = f"{_change(m.relative, m.difference)} [{_change(m.relative, m.low)}, {_change(m.relative, m.high)}]"
        else:
            diff = "-"
        units = f"{m.baseline_units:,}/{m.candidate_units:,}"
        rows.append([m.metric, m.role, base, cand, diff, f"{m.adjusted_p:.3g}", verdict_name(m.verdict), units])
    metrics = table(
        ["METRIC", "ROLE", "BASELINE", "CANDIDATE", "CHANGE [ALWAYS-VALID]", "P (ADJ)", "VERDICT", "UNITS B/C"], rows
    )
    guard_rows = []
    for g in r.guardrails:
        limit = f"+{g.limit:.0%} rel" if g.relative else f"+{g.limit * 100:g}pt"
        excess = f"{g.excess:+.4g}" if g.HasField("excess") else "-"
        guard_rows.append([g.metric, limit, excess, f"{g.adjusted_p:.3g}", "BREACHED" if g.breached else "ok"])
    guards = table(["GUARDRAIL", "LIMIT", "EXCESS", "P (ADJ)", "STATE"], guard_rows)
    ratios = list(r.epoch_sample_ratios) or [r.sample_ratio]
    srm = "\n".join(
        f"sample ratio{f' in epoch {s.epoch}' if len(ratios) > 1 else ''}: {s.candidate_units:,} of "
        f"{s.baseline_units + s.candidate_units:,} units in the candidate "
        f"({s.observed_share:.2%}, expected {s.expected_share:.2%}), p={s.p_value:.3g}: "
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
    return "\n".join([*head, arms, *guests, "", metrics, "", guards, "", srm, "", coverage])


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
