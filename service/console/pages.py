"""The console's pages: each handler asks the API (service.console.api) for what it shows, builds plain
view models and hands them to one template. No business logic in templates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from orderroute.v1 import orderroute_pb2 as pb

from rules.diff import ChangeKind, column_name, rule_changes
from rules.parse import parse_rule_set
from service.console.api import Caller
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
    review: str
    reviews: tuple[ReviewLine, ...]
    may_review: bool
    """The caller's roles allow a review, and the caller is not the version's author."""
    may_activate: bool
    may_bypass: bool
    active_version: int
    """The version active now (0: none), for "changes from the active version"."""


@dataclass(frozen=True, slots=True)
class ReviewLine:
    reviewer: str
    verdict: str
    comment: str
    at: str


@dataclass(frozen=True, slots=True)
class ChangeLine:
    rule_id: str
    kind: str
    cells: tuple[tuple[str, str, str], ...]
    """(column, before, after) in plain words."""


@dataclass(frozen=True, slots=True)
class HistoryLine:
    at: str
    action: str
    version: int
    actor: str
    reason: str
    bypass: str
    rollback_to: int
    """A version this line lets the caller go back to (0: none)."""
    snapshot: str = ""
    """For an experiment's transition: where the results of that moment are shown."""


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
        action = lang.gettext(ACTION_WORDS.get(audit.action, audit.action))
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


def version_page(v: pb.RuleSetVersion, caller: Caller, active_version: int, lang: Language) -> VersionPage:
    rule_set, diagnostics = parse_rule_set(v.source, f"{v.name} v{v.version}")
    problems = tuple(f"{d.line}: {d.message}" for d in diagnostics if d.is_error)
    table = decision_table(rule_set, lang) if rule_set is not None and not problems else None
    reviews = tuple(
        ReviewLine(
            r.reviewer,
            lang.gettext("approved") if r.approved else lang.gettext("rejected"),
            r.comment,
            when(r.at, lang),
        )
        for r in v.reviews
    )
    is_author = caller.auth_enabled and caller.name == v.author
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
        review(v, lang),
        reviews,
        caller.may("reviewer") and not is_author,
        caller.may("reviewer") and not v.active,
        caller.may("admin") and v.review_state in (pb.REVIEW_STATE_PENDING, pb.REVIEW_STATE_REJECTED),
        active_version,
    )


def change_lines(old: pb.RuleSetVersion, new: pb.RuleSetVersion, lang: Language) -> tuple[ChangeLine, ...]:
    """The rules that changed from `old` to `new`, in plain words (rules.diff)."""
    before, _ = parse_rule_set(old.source, f"v{old.version}")
    after, _ = parse_rule_set(new.source, f"v{new.version}")
    if before is None or after is None:
        return ()
    return tuple(
        ChangeLine(
            c.rule_id,
            lang.gettext(KIND_WORDS[c.kind]),
            tuple((column_name(x.column), x.before, x.after) for x in c.cells),
        )
        for c in rule_changes(before, after, lang)
    )


KIND_WORDS = {
    ChangeKind.ADDED: "added",
    ChangeKind.REMOVED: "removed",
    ChangeKind.MODIFIED: "modified",
    ChangeKind.MOVED: "moved",
}
ACTION_WORDS = {
    "publish": "published",
    "activate": "activated",
    "approve": "approved",
    "reject": "rejected",
    "experiment-start": "experiment started",
    "experiment-ramp": "experiment ramped",
    "experiment-pause": "experiment paused",
    "experiment-resume": "experiment resumed",
    "experiment-promote": "experiment promoted",
    "experiment-rollback": "experiment rolled back",
    "experiment-abort": "experiment aborted",
}


def history_lines(
    entries: list[tuple[pb.AuditEntry, str]], active_version: int, caller: Caller, lang: Language
) -> tuple[HistoryLine, ...]:
    """The timeline's lines: (entry, the link to its results snapshot, for an experiment's transition)."""
    return tuple(
        HistoryLine(
            when(e.at, lang),
            lang.gettext(ACTION_WORDS.get(e.action, e.action)),
            e.version,
            e.actor,
            e.reason,
            e.bypass_reason,
            e.version if e.action == "activate" and e.version != active_version and caller.may("reviewer") else 0,
            snapshot,
        )
        for e, snapshot in entries
    )
