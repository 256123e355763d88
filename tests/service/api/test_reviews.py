"""Four eyes on what goes live, enforced by the API: with tokens a version needs a reviewer's approval
(never its author's) before it is activated or put in an experiment; an admin may bypass, audited."""

from __future__ import annotations

import grpc
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from tests.service.api.test_auth import (
    ADMIN,
    AUTHOR,
    REVIEWER,
    Connect,
    activate,
    connect,  # noqa: F401 - a fixture
    publish,
)
from tests.service.api.test_rich_errors import rich


def review(channel: grpc.Channel, version: int, approve: bool, comment: str = "") -> pb.RuleSetVersion:
    request = pb.ReviewRuleSetRequest(name="fulfilment", version=version, approve=approve, comment=comment)
    return pb_grpc.RuleSetServiceStub(channel).ReviewRuleSet(request).version


def test_an_unapproved_version_cannot_be_activated_until_a_reviewer_approves_it(connect: Connect) -> None:  # noqa: F811
    published = publish(connect(AUTHOR)).version
    assert (published.review_state, published.approvals_required) == (pb.REVIEW_STATE_PENDING, 1)
    reviewer = connect(REVIEWER)
    error, _, details = rich(pb_grpc.RuleSetServiceStub(reviewer).ActivateRuleSet, activation(2))
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert details["ErrorInfo"][0].reason == "VERSION_NOT_APPROVED" and "0 of the 1 approvals" in error.details()
    approved = review(reviewer, 2, approve=True, comment="looks right")
    assert approved.review_state == pb.REVIEW_STATE_APPROVED
    assert [(r.reviewer, r.approved) for r in approved.reviews] == [("rita", True)]
    assert activate(reviewer, 2).activation.version == 2
    audit = pb_grpc.RuleSetServiceStub(reviewer).GetAuditLog(pb.GetAuditLogRequest(name="fulfilment")).entries
    assert [(e.action, e.actor) for e in audit[:3]] == [("activate", "rita"), ("approve", "rita"), ("publish", "alice")]


def test_a_rejection_holds_the_version_back_and_needs_a_comment(connect: Connect) -> None:  # noqa: F811
    publish(connect(AUTHOR))
    reviewer = connect(REVIEWER)
    error, _, _ = rich(
        pb_grpc.RuleSetServiceStub(reviewer).ReviewRuleSet, pb.ReviewRuleSetRequest(name="fulfilment", version=2)
    )
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT and error.details().startswith("comment:")
    assert review(reviewer, 2, approve=False, comment="threshold too low").review_state == pb.REVIEW_STATE_REJECTED
    error, _, _ = rich(pb_grpc.RuleSetServiceStub(reviewer).ActivateRuleSet, activation(2))
    assert (
        error.code() is grpc.StatusCode.FAILED_PRECONDITION
        and "rejected by rita (threshold too low)" in error.details()
    )
    start = pb.StartExperimentRequest(rule_set="fulfilment", candidate_version=2, reason="pilot")
    error, _, _ = rich(pb_grpc.ExperimentServiceStub(reviewer).StartExperiment, start)
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION


def test_the_author_never_reviews_their_own_version(connect: Connect) -> None:  # noqa: F811
    admin = connect(ADMIN)  # an admin may publish and review, but not both for one version
    publish(admin)
    error, _, details = rich(
        pb_grpc.RuleSetServiceStub(admin).ReviewRuleSet,
        pb.ReviewRuleSetRequest(name="fulfilment", version=2, approve=True),
    )
    assert (
        error.code() is grpc.StatusCode.FAILED_PRECONDITION and details["ErrorInfo"][0].reason == "AUTHOR_CANNOT_REVIEW"
    )
    assert code(lambda: review(connect(AUTHOR), 2, approve=True)) is grpc.StatusCode.PERMISSION_DENIED


def test_only_an_admin_may_bypass_the_approvals_and_the_audit_says_why(connect: Connect) -> None:  # noqa: F811
    publish(connect(AUTHOR))
    urgent = activation(2, bypass="carrier outage, approved by phone")
    assert (
        code(lambda: pb_grpc.RuleSetServiceStub(connect(REVIEWER)).ActivateRuleSet(urgent))
        is grpc.StatusCode.PERMISSION_DENIED
    )
    admin = pb_grpc.RuleSetServiceStub(connect(ADMIN))
    assert admin.ActivateRuleSet(urgent).activation.version == 2
    entry = admin.GetAuditLog(pb.GetAuditLogRequest(name="fulfilment")).entries[0]
    assert (entry.action, entry.bypass_reason) == ("activate", "carrier outage, approved by phone")


def test_a_rollback_to_a_version_that_was_active_needs_no_new_review(connect: Connect) -> None:  # noqa: F811
    publish(connect(AUTHOR))
    reviewer = connect(REVIEWER)
    review(reviewer, 2, approve=True)
    activate(reviewer, 2)
    assert activate(reviewer, 1).activation.version == 1  # the seeded example was active before


def activation(version: int, bypass: str = "") -> pb.ActivateRuleSetRequest:
    return pb.ActivateRuleSetRequest(name="fulfilment", version=version, reason="go", bypass_reason=bypass)


def code(call) -> grpc.StatusCode:
    try:
        call()
    except grpc.RpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK
