"""List methods page as Google's AIP-158 says: page_size, page_token, next_page_token."""

from __future__ import annotations

import grpc
import pytest
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from service.api.statuses import field_of
from tests.service.api.test_rich_errors import rich
from tests.service.api.test_ruleset_service import CANDIDATE, publish


def pages(call, request, field: str) -> list[list]:
    """Every page of a list, following next_page_token to the end."""
    out = []
    while True:
        reply = call(request)
        out.append(list(getattr(reply, field)))
        if not reply.next_page_token:
            return out
        request.page_token = reply.next_page_token


def test_an_audit_log_of_250_entries_reads_to_its_first_entry_each_once(rulesets) -> None:
    publish(rulesets, CANDIDATE)
    everything = rulesets.GetAuditLog(pb.GetAuditLogRequest(name="fulfilment", page_size=10_000)).entries
    for i in range(250 - len(everything)):  # activations back and forth, one entry each
        request = pb.ActivateRuleSetRequest(name="fulfilment", version=2 - i % 2, actor="rev", reason=f"flip {i}")
        rulesets.ActivateRuleSet(request)
    full = list(rulesets.GetAuditLog(pb.GetAuditLogRequest(name="fulfilment", page_size=10_000)).entries)
    assert len(full) == 250 and full[-1].action == "publish" and full[-1].version == 1
    paged = pages(rulesets.GetAuditLog, pb.GetAuditLogRequest(name="fulfilment", page_size=100), "entries")
    assert [len(p) for p in paged] == [100, 100, 50]
    assert [entry for p in paged for entry in p] == full


def test_experiments_rule_sets_and_versions_page(rulesets) -> None:
    for name in ("alpha", "beta", "gamma"):
        publish(rulesets, CANDIDATE.replace("name: fulfilment", f"name: {name}", 1))
    publish(rulesets, CANDIDATE)
    publish(rulesets, CANDIDATE.replace("Candidate", "Candidate again", 1))
    names = pages(rulesets.ListRuleSets, pb.ListRuleSetsRequest(page_size=2), "rule_sets")
    assert [[s.name for s in p] for p in names] == [["alpha", "beta"], ["fulfilment", "gamma"]]
    versions = pages(
        rulesets.ListRuleSetVersions, pb.ListRuleSetVersionsRequest(name="fulfilment", page_size=2), "versions"
    )
    assert [[v.version for v in p] for p in versions] == [[3, 2], [1]]
    assert [v.active for p in versions for v in p] == [False, False, True] and not versions[0][0].source


def test_experiments_page_newest_first(rulesets, channel) -> None:
    experiments = pb_grpc.ExperimentServiceStub(channel)
    publish(rulesets, CANDIDATE)
    started = []
    for i in range(3):
        start = pb.StartExperimentRequest(rule_set="fulfilment", candidate_version=2, actor="rev", reason=f"try {i}")
        started.append(experiments.StartExperiment(start).experiment.id)
        experiments.AbortExperiment(pb.AbortExperimentRequest(id=started[-1], actor="rev", reason="next"))
    listed = pages(experiments.ListExperiments, pb.ListExperimentsRequest(page_size=2), "experiments")
    assert [[e.id for e in p] for p in listed] == [started[::-1][:2], started[::-1][2:]]


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (pb.GetAuditLogRequest(name="fulfilment", page_size=-1), "page_size"),
        (pb.GetAuditLogRequest(name="fulfilment", page_token="not a token"), "page_token"),
        (
            pb.GetAuditLogRequest(name="fulfilment", page_token="eyJsaXN0IjoicnVsZS1zZXRzIiwiYWZ0ZXIiOiJ4In0"),
            "page_token",
        ),
        (
            pb.GetAuditLogRequest(name="fulfilment", page_token="eyJsaXN0IjoiYXVkaXQ6ZnVsZmlsbWVudCIsImFmdGVyIjoieCJ9"),
            "page_token",
        ),
    ],
    ids=["negative size", "garbage", "another list's token", "a forged place"],
)
def test_a_bad_page_request_names_its_field(rulesets, request_, field) -> None:
    error, status, _ = rich(rulesets.GetAuditLog, request_)
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT and field_of(status) == field
