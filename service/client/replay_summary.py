"""A replay in a few lines, the same on the console's pages and in the terminal: a publish's blast radius
("changes path for 12.5% of the last 5,000 logged orders") and a gray release's shadow (the candidate
replayed over the orders the baseline served).

Words come from a `Words` (rules.wording): English in the terminal, the page's language in the console,
whose catalog holds every message of this module.
"""

from __future__ import annotations

from orderroute.v1 import orderroute_pb2 as pb

from rules.wording import Words

BLAST_ORDERS = 5_000
"""The latest logged orders a publish's blast radius is measured on."""
RATES = ("on_time", "exception", "complaint")
AMOUNTS = ("logistics_cost_minor", "fulfilment_hours")


def percent(part: int, whole: int, words: Words) -> str:
    return words.gettext("%(value)s%%", value=words.number(100 * part / whole if whole else 0.0, 2))


def field_changes(report: pb.ReplayReport, words: Words) -> list[str]:
    """Per decision field the candidate changes, most first: "changes path for 12.5% of the last 5,000
    logged orders"; one line saying nothing changes when nothing does."""
    n = words.number(report.replayed)
    if not report.replayed:
        return [words.gettext("No logged orders to measure the change on yet.")]
    if not report.changed:
        return [words.gettext("Changes no decision of the last %(orders)s logged orders.", orders=n)]
    return [
        words.gettext(
            "Changes %(field)s for %(share)s of the last %(orders)s logged orders.",
            field=f.field,
            share=percent(f.changed, report.replayed, words),
            orders=n,
        )
        for f in sorted(report.fields, key=lambda f: -f.changed)
    ]


def changed_line(report: pb.ReplayReport, words: Words) -> str:
    """ "Would change 1,234 of 9,876 orders (12.49%; 95% interval 11.85% to 13.16%)." """
    return words.gettext(
        "Would change %(changed)s of %(orders)s orders (%(share)s; 95%% interval %(low)s to %(high)s).",
        changed=words.number(report.changed),
        orders=words.number(report.replayed),
        share=percent(report.changed, report.replayed, words),
        low=words.gettext("%(value)s%%", value=words.number(100 * report.changed_low, 2)),
        high=words.gettext("%(value)s%%", value=words.number(100 * report.changed_high, 2)),
    )


def fidelity_line(report: pb.ReplayReport, words: Words) -> str:
    """Empty when every logged decision was reproduced."""
    if not report.not_reproduced:
        return ""
    if report.trusted:
        return words.gettext(
            "%(count)s logged decisions were not reproduced by the version that made them.",
            count=words.number(report.not_reproduced),
        )
    return words.gettext(
        "%(count)s logged decisions were not reproduced by the version that made them: this replay cannot be trusted.",
        count=words.number(report.not_reproduced),
    )


def outcome_lines(report: pb.ReplayReport, words: Words) -> list[str]:
    """The recorded outcomes of the orders it would change and of the rest, as they were routed."""
    lines = []
    for group in report.outcomes:
        if group.group not in ("changed", "unchanged"):
            continue
        figures = "; ".join(kpi_words(k, words) for k in group.kpis)
        who = (
            words.gettext("Orders it would change, as they were routed: %(figures)s.", figures=figures)
            if group.group == "changed"
            else words.gettext("The other orders: %(figures)s.", figures=figures)
        )
        lines.append(who)
    return lines


def kpi_words(k: pb.OutcomeKpi, words: Words) -> str:
    """ "on_time 91.2% (n=1,020)" or "fulfilment_hours 40.5 (n=998)"."""
    value = (
        words.gettext("%(value)s%%", value=words.number(100 * k.mean, 1))
        if k.metric in RATES
        else words.number(k.mean, 1)
    )
    return words.gettext(
        "%(metric)s %(value)s (n=%(reports)s)", metric=k.metric, value=value, reports=words.number(k.reports)
    )


def shadow_lines(results: pb.GetResultsResponse, words: Words) -> list[str]:
    """The shadow replay of a running experiment's candidate, or why there is none."""
    if not results.HasField("shadow"):
        return [
            words.gettext("Not replayed yet: the candidate is replayed over the baseline's orders every few minutes.")
        ]
    s, e = results.shadow, results.experiment
    lines = [
        words.gettext(
            "v%(candidate)s replayed over the latest %(limit)s orders the baseline v%(baseline)s served since "
            "%(since)s (computed %(at)s UTC).",
            candidate=e.candidate_version,
            baseline=e.baseline_version,
            limit=words.number(s.limit),
            since=s.since.ToDatetime().strftime("%Y-%m-%d %H:%M"),
            at=s.computed_at.ToDatetime().strftime("%Y-%m-%d %H:%M"),
        )
    ]
    if not s.report.replayed:
        return [*lines, words.gettext("The baseline has no logged orders in that time yet.")]
    lines.append(changed_line(s.report, words))
    lines += [
        words.gettext(
            "%(field)s: %(from)s -> %(to)s for %(orders)s orders.",
            field=f.field,
            orders=words.number(t.orders),
            **{"from": t.from_value, "to": t.to_value},
        )
        for f in s.report.fields
        for t in f.transitions[:3]
    ]
    fidelity = fidelity_line(s.report, words)
    return [*lines, *([fidelity] if fidelity else []), *outcome_lines(s.report, words)]
