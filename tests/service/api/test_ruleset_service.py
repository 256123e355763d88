"""RuleSetService over a real gRPC server and a real Redis: the author's and reviewer's loop."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from orderroute.v1 import orderroute_pb2 as pb
from redis.crc import key_slot

from service.api.reflection import v1_file
from tests.conftest import EXAMPLES

BASE = (EXAMPLES / "fulfilment.yaml").read_text()
CANDIDATE = (EXAMPLES / "fulfilment-candidate.yaml").read_text()
TWO_REPEATS = pb.Order(order_id="o-2", customer=pb.Customer(customer_id="c", repeat_purchases=2))


def publish(rulesets, source: str, comment: str = "") -> pb.PublishRuleSetResponse:
    return rulesets.PublishRuleSet(pb.PublishRuleSetRequest(source=source, author="ana", comment=comment))


def activate(rulesets, version: int, reason: str = "test") -> pb.Activation:
    request = pb.ActivateRuleSetRequest(name="fulfilment", version=version, reason=reason, actor="rev")
    return rulesets.ActivateRuleSet(request).activation


def test_validate_reports_diagnostics_without_storing(rulesets) -> None:
    reply = rulesets.ValidateRuleSet(pb.ValidateRuleSetRequest(source=BASE.replace("at_least: 3", "at_least: x")))
    assert not reply.valid
    assert any(
        d.code == "type-mismatch" and d.rule_id == "repeat-customer-express" and d.line > 0 for d in reply.diagnostics
    )
    listed = rulesets.ListRuleSets(pb.ListRuleSetsRequest()).rule_sets
    assert [v.version for v in listed[0].versions] == [1]


def test_validate_runs_the_embedded_tests(rulesets) -> None:
    reply = rulesets.ValidateRuleSet(pb.ValidateRuleSetRequest(source=CANDIDATE, file_name="cand.yaml"))
    assert reply.valid
    assert reply.name == "fulfilment"
    assert len(reply.tests) == 15 and all(t.passed for t in reply.tests)


def test_publish_activate_rollback(routing, rulesets) -> None:
    assert routing.Route(pb.RouteRequest(order=TWO_REPEATS)).decision.path == "STANDARD"
    published = publish(rulesets, CANDIDATE, "express from 2 repeats")
    assert published.created and published.version.version == 2
    # Publishing does not change what orders get.
    assert routing.Route(pb.RouteRequest(order=TWO_REPEATS)).decision.version == 1

    done = activate(rulesets, 2, "pilot")
    assert (done.version, done.previous_version, done.actor, done.reason) == (2, 1, "rev", "pilot")
    decision = routing.Route(pb.RouteRequest(order=TWO_REPEATS)).decision
    assert (decision.path, decision.version) == ("EXPRESS", 2)

    back = activate(rulesets, 1, "rollback: on-time rate dropped")
    assert back.previous_version == 2
    decision = routing.Route(pb.RouteRequest(order=TWO_REPEATS)).decision
    assert (decision.path, decision.version) == ("STANDARD", 1)

    entries = rulesets.GetAuditLog(pb.GetAuditLogRequest(name="fulfilment")).entries
    assert [(e.action, e.version, e.previous_version, e.actor) for e in entries[:3]] == [
        ("activate", 1, 2, "rev"),
        ("activate", 2, 1, "rev"),
        ("publish", 2, 0, "ana"),
    ]
    assert entries[0].reason == "rollback: on-time rate dropped"
    assert entries[0].at.seconds > 0


def test_versions_are_immutable_and_republishing_same_content_creates_nothing(rulesets) -> None:
    first = publish(rulesets, CANDIDATE)
    again = publish(rulesets, CANDIDATE)
    assert not again.created and again.version.version == first.version.version
    shown = rulesets.GetRuleSet(pb.GetRuleSetRequest(name="fulfilment", version=1)).version
    assert shown.source == BASE and shown.active
    assert rulesets.GetRuleSet(pb.GetRuleSetRequest(name="fulfilment")).version.version == 1


def test_concurrent_publishes_get_distinct_versions(rulesets) -> None:
    sources = [CANDIDATE.replace("(changed from 3)", f"(variant {i})") for i in range(12)]
    with ThreadPoolExecutor(6) as pool:
        versions = list(pool.map(lambda s: publish(rulesets, s).version.version, sources))
    assert sorted(versions) == list(range(2, 14))
    for source, version in zip(sources, versions, strict=True):
        stored = rulesets.GetRuleSet(pb.GetRuleSetRequest(name="fulfilment", version=version)).version
        assert stored.source == source


def test_publish_refuses_an_invalid_rule_set(rulesets) -> None:
    with pytest.raises(grpc.RpcError) as info:
        publish(rulesets, BASE.replace("default:", "fallback:"))
    assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "no-default" in info.value.details() and "fallback" in info.value.details()


def test_publish_refuses_a_rule_set_whose_tests_fail(rulesets) -> None:
    with pytest.raises(grpc.RpcError) as info:
        publish(rulesets, BASE.replace("at_least: 3}", "at_least: 4}"))
    assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "test-failed" in info.value.details()


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        (pb.ActivateRuleSetRequest(name="fulfilment", version=9, reason="r", actor="a"), grpc.StatusCode.NOT_FOUND),
        (pb.ActivateRuleSetRequest(name="nope", version=1, reason="r", actor="a"), grpc.StatusCode.NOT_FOUND),
        (
            pb.ActivateRuleSetRequest(name="fulfilment", version=1, reason="", actor="a"),
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
        (
            pb.ActivateRuleSetRequest(name="fulfilment", version=0, reason="r", actor="a"),
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
    ],
    ids=["unknown version", "unknown rule set", "no reason", "version 0"],
)
def test_activate_errors(rulesets, request_, code) -> None:
    with pytest.raises(grpc.RpcError) as info:
        rulesets.ActivateRuleSet(request_)
    assert info.value.code() is code


def test_diff_names_changed_rules(rulesets) -> None:
    publish(rulesets, CANDIDATE)
    diff = rulesets.DiffRuleSets(pb.DiffRuleSetsRequest(name="fulfilment", from_version=1, to_version=2))
    assert list(diff.changed_rules) == ["repeat-customer-express"]
    assert not diff.added_rules and not diff.removed_rules
    assert "-      customer.repeat_purchases: {at_least: 3}" in diff.source_diff
    assert "+      customer.repeat_purchases: {at_least: 2}" in diff.source_diff
    (change,) = diff.changes
    assert (change.rule_id, change.kind) == ("repeat-customer-express", "modified")
    cell = change.cells[0]
    assert (cell.column, cell.before, cell.after) == ("customer.repeat_purchases", "at least 3", "at least 2")


def test_get_unknown_rule_set_is_not_found(rulesets) -> None:
    with pytest.raises(grpc.RpcError) as info:
        rulesets.GetRuleSet(pb.GetRuleSetRequest(name="nope"))
    assert info.value.code() is grpc.StatusCode.NOT_FOUND


def test_health_and_reflection(channel) -> None:
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", "orderroute.v1.RoutingService", "orderroute.v1.RuleSetService"):
        status = health.Check(health_pb2.HealthCheckRequest(service=service)).status
        assert status == health_pb2.HealthCheckResponse.SERVING
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    replies = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
    names = {s.name for reply in replies for s in reply.list_services_response.service}
    assert {"orderroute.v1.RoutingService", "orderroute.v1.RuleSetService", "grpc.health.v1.Health"} <= names


def test_reflection_answers_on_v1_and_describes_the_services(channel) -> None:
    """grpc.reflection.v1, in its own message types (as a client generated from the v1 proto sends them)."""
    pool = descriptor_pool.Default()
    v1_file()
    request_type = message_factory.GetMessageClass(
        pool.FindMessageTypeByName("grpc.reflection.v1.ServerReflectionRequest")
    )
    reply_type = message_factory.GetMessageClass(
        pool.FindMessageTypeByName("grpc.reflection.v1.ServerReflectionResponse")
    )
    call = channel.stream_stream(
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        request_serializer=request_type.SerializeToString,
        response_deserializer=reply_type.FromString,
    )
    asked = [
        request_type(list_services=""),
        request_type(file_containing_symbol="orderroute.v1.RoutingService"),
        request_type(file_containing_symbol="grpc.reflection.v1.ServerReflection"),
    ]
    listed, routing, itself = list(call(iter(asked)))
    names = {s.name for s in listed.list_services_response.service}
    assert {"orderroute.v1.RoutingService", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"} <= names
    assert "grpc.reflection.v1alpha.ServerReflection" in names
    files = [
        descriptor_pb2.FileDescriptorProto.FromString(b) for b in routing.file_descriptor_response.file_descriptor_proto
    ]
    assert any(f.package == "orderroute.v1" and any(s.name == "RoutingService" for s in f.service) for f in files)
    own = [
        descriptor_pb2.FileDescriptorProto.FromString(b) for b in itself.file_descriptor_response.file_descriptor_proto
    ]
    assert [f.package for f in own] == ["grpc.reflection.v1"]


def test_storage_keys_share_one_cluster_slot_per_rule_set(redis_client, rulesets) -> None:
    publish(rulesets, CANDIDATE)
    keys = [k.decode() for k in redis_client.keys("orderroute:*")]
    per_set = [k for k in keys if k != "orderroute:rule-sets"]
    assert per_set and all("{rs:fulfilment}" in k for k in per_set)
    slots = {key_slot(k.encode()) for k in per_set}
    assert len(slots) == 1


def _versions(rulesets) -> list[int]:
    return [v.version for s in rulesets.ListRuleSets(pb.ListRuleSetsRequest()).rule_sets for v in s.versions]


def test_a_publish_with_many_conflicts_answers_ok_with_a_capped_list(rulesets) -> None:
    conflicting = "".join(
        f"  - id: r{i}\n    priority: 5\n    when: {{customer.ltv_minor: {{at_least: {10**12 + i}}}}}\n"
        f"    then: {{path: P{i}}}\n"
        for i in range(250)
    )
    source = BASE.replace("rules:\n", "rules:\n" + conflicting, 1)
    reply = publish(rulesets, source)  # 31,125 pairwise warnings used to make a 5 MB answer
    assert reply.created and reply.version.version == 2 and _versions(rulesets) == [2, 1]
    assert reply.ByteSize() < 200_000
    assert reply.diagnostics[-1].code == "more-warnings"


def test_text_that_cannot_be_stored_is_refused_before_anything_is_stored(rulesets) -> None:
    source = BASE.replace("  - name: PLUS member", '  - name: "PLUS \\ud800 member', 1).replace(
        "skips risk review and ships from a forward warehouse\n", 'skips risk review"\n', 1
    )
    assert source != BASE
    with pytest.raises(grpc.RpcError) as refused:
        publish(rulesets, source)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _versions(rulesets) == [1]


def test_the_contract_names_its_packages_for_other_languages() -> None:
    options = pb.DESCRIPTOR.GetOptions()
    assert options.go_package.endswith("/orderroute/v1;orderroutev1")
    assert (options.java_package, options.java_multiple_files) == ("dev.orderroute.v1", True)
    assert options.csharp_namespace == "OrderRoute.V1"


def test_an_order_is_tried_on_a_draft_and_on_a_published_version_storing_nothing(rulesets) -> None:
    order = pb.Order(
        order_id="try-1", customer=pb.Customer(customer_id="c-1", repeat_purchases=2, tier=pb.CUSTOMER_TIER_PLUS)
    )
    draft = rulesets.TryRuleSet(pb.TryRuleSetRequest(source=CANDIDATE, file_name="draft.yaml", order=order))
    assert (draft.decision.path, draft.decision.version) == ("EXPRESS", 0)
    traces = {t.rule_id: t for t in draft.rules}
    assert traces["repeat-customer-express"].matched and "path" in traces["repeat-customer-express"].decided
    assert traces["fraud-manual-review"].unknown and not traces["fraud-manual-review"].matched
    assert draft.rules[-1].rule_id == "standard" and draft.rules[-1].is_default
    assert all(t.passed for t in draft.tests)
    active = rulesets.TryRuleSet(pb.TryRuleSetRequest(name="fulfilment", order=order))
    assert (active.decision.path, active.decision.version) == ("STANDARD", 1)
    assert [
        v.version for v in rulesets.ListRuleSetVersions(pb.ListRuleSetVersionsRequest(name="fulfilment")).versions
    ] == [1]
    broken = rulesets.TryRuleSet(pb.TryRuleSetRequest(source="name: x\nrules: []\n", order=order))
    assert not broken.HasField("decision") and broken.diagnostics
    with pytest.raises(grpc.RpcError) as info:
        rulesets.TryRuleSet(pb.TryRuleSetRequest(source=CANDIDATE))
    assert info.value.details().startswith("order:")


def test_a_draft_whose_embedded_test_fails_is_still_tried_and_its_mistakes_name_their_cells(rulesets) -> None:
    order = pb.Order(order_id="try-2", customer=pb.Customer(customer_id="c-2", repeat_purchases=2))
    failing = CANDIDATE.replace("{at_least: 2}", "{at_least: 1}", 1)
    assert failing != CANDIDATE
    tried = rulesets.TryRuleSet(pb.TryRuleSetRequest(source=failing, order=order))
    assert not all(t.passed for t in tried.tests) and tried.decision.path == "EXPRESS"
    wrong = rulesets.TryRuleSet(
        pb.TryRuleSetRequest(source=CANDIDATE.replace("{at_least: 2}", "{at_least: x}"), order=order)
    )
    assert not wrong.HasField("decision")
    (mistake,) = wrong.diagnostics
    assert (mistake.rule_id, mistake.field) == ("repeat-customer-express", "customer.repeat_purchases")
