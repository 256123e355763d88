"""The console's pages: each handler asks the API (service.console.api) for what it shows, builds plain
view models and hands them to one template. No business logic in templates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from orderroute.v1 import orderroute_pb2 as pb

from rules.parse import parse_rule_set
from service.console.i18n import Language
from service.console.tables import DecisionTable, decision_table


@dataclass(frozen=True, slots=True)
class RuleSetRow:
    name: str
    active_version: int
    latest_version: int
    experiment: str
    """The running or paused experiment's id and share ("" when none)."""
    last_change: str
    """What happened last, when and by whom."""


@dataclass(frozen=True, slots=True)
class VersionRow:
    version: int
    content_hash: str
    author: str
    comment: str
    published: str
    rules: int
    active: bool
    review: str
    """Where it stands with its reviewers, in words."""


@dataclass(frozen=True, slots=True)
class VersionPage:
    name: str
    version: int
    active: bool
    author: str
    published: str
    comment: str
    description: str
    table: DecisionTable | None
    problems: tuple[str, ...]
    """Why the table cannot be shown (a stored source that no longer parses)."""


def when(ts: Timestamp, lang: Language) -> str:
    return lang.datetime(datetime.fromtimestamp(ts.seconds + ts.nanos / 1e9, UTC))


def rule_set_row(
    summary: pb.RuleSetSummary, audit: pb.AuditEntry | None, experiment: pb.Experiment | None, lang: Language
) -> RuleSetRow:
    running = ""
    if experiment is not None:
        running = lang.gettext(
            "%(id)s: v%(candidate)s on %(share)s%%",
            id=experiment.id,
            candidate=experiment.candidate_version,
            share=lang.number(experiment.traffic_bp / 100),
        )
    change = ""
    if audit is not None:
        action = lang.gettext("published") if audit.action == "publish" else lang.gettext("activated")
        change = lang.gettext(
            "%(action)s v%(version)s, %(at)s, by %(actor)s",
            action=action,
            version=audit.version,
            at=when(audit.at, lang),
            actor=audit.actor or "-",
        )
    return RuleSetRow(summary.name, summary.active_version, summary.latest_version, running, change)


def version_row(v: pb.RuleSetVersion, active: int, lang: Language) -> VersionRow:
    return VersionRow(
        v.version,
        v.content_hash[:19],
        v.author,
        v.comment,
        when(v.published_at, lang),
        v.rule_count,
        v.version == active,
        review(v, lang),
    )


def review(v: pb.RuleSetVersion, lang: Language) -> str:
    """ "approved by rita", "1 of 2 approvals", "rejected by rita: threshold too low"."""
    latest = {r.reviewer: r for r in v.reviews}
    if v.review_state == pb.REVIEW_STATE_REJECTED:
        who = ", ".join(f"{r.reviewer}: {r.comment}" for r in latest.values() if not r.approved)
        return lang.gettext("rejected by %(who)s", who=who)
    approvers = ", ".join(r.reviewer for r in latest.values() if r.approved)
    if v.review_state == pb.REVIEW_STATE_PENDING:
        have = sum(r.approved for r in latest.values())
        return lang.gettext("%(have)s of %(need)s approvals", have=have, need=v.approvals_required)
    if approvers:
        return lang.gettext("approved by %(who)s", who=approvers)
    return lang.gettext("no review required")


def version_page(v: pb.RuleSetVersion, lang: Language) -> VersionPage:
    rule_set, diagnostics = parse_rule_set(v.source, f"{v.name} v{v.version}")
    problems = tuple(f"{d.line}: {d.message}" for d in diagnostics if d.is_error)
    table = decision_table(rule_set, lang) if rule_set is not None and not problems else None
    return VersionPage(
        v.name,
        v.version,
        v.active,
        v.author,
        when(v.published_at, lang),
        v.comment,
        rule_set.description if rule_set is not None else "",
        table,
        problems,
    )
