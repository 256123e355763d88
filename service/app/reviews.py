"""Four eyes on what goes live: a version's review state from its reviews.

Each reviewer's latest review counts: a rejection holds the version back until that reviewer approves;
otherwise it is approved once as many reviewers as required approve. The author of a version never
reviews it (service.app.catalog checks).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from service.errors import FailedPrecondition, shown
from service.storage import ReviewRecord


class ReviewState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    NOT_REQUIRED = "not required"


class NotApproved(FailedPrecondition):
    """A version without the approvals required was to be activated or put in an experiment."""

    REASON = "VERSION_NOT_APPROVED"


def latest_by_reviewer(reviews: Sequence[ReviewRecord]) -> dict[str, ReviewRecord]:
    latest: dict[str, ReviewRecord] = {}
    for review in reviews:  # oldest first: a later review of the same reviewer replaces the earlier
        latest[review.reviewer] = review
    return latest


def review_state(reviews: Sequence[ReviewRecord], required: int) -> ReviewState:
    latest = latest_by_reviewer(reviews).values()
    if any(not r.approved for r in latest):
        return ReviewState.REJECTED
    if required <= 0:
        return ReviewState.NOT_REQUIRED
    return ReviewState.APPROVED if sum(r.approved for r in latest) >= required else ReviewState.PENDING


def require_approved(name: str, version: int, reviews: Sequence[ReviewRecord], required: int) -> None:
    """Raises NotApproved unless the version may go live."""
    state = review_state(reviews, required)
    if state in (ReviewState.APPROVED, ReviewState.NOT_REQUIRED):
        return
    latest = latest_by_reviewer(reviews)
    if state is ReviewState.REJECTED:
        who = ", ".join(
            f"{r.reviewer} ({r.comment})" if r.comment else r.reviewer for r in latest.values() if not r.approved
        )
        raise NotApproved(f"rule set {shown(name)} version {version} was rejected by {who}; publish a fixed version")
    approvals = sum(r.approved for r in latest.values())
    raise NotApproved(
        f"rule set {shown(name)} version {version} has {approvals} of the {required} approvals required; "
        f"ask a reviewer: orderroute rules review {name} v{version} --approve"
    )
