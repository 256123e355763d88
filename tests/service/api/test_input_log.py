"""The decision log with inputs over a real gRPC server and a real Redis: what Route decided is logged
with the order's facts, found by decision id, and a masked fact never reaches Redis."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
import redis
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

import service.cli as cli
from service.api.orders import order_to_facts
from service.api.server import create_server, set_serving
from service.api.settings import ConfigError, Settings
from service.api.wiring import App, build_app
from service.storage import keys
from service.storage.redis_inputs import RedisInputLogStore
from tests.conftest import EXAMPLES

SECRET_CUSTOMER, SECRET_CITY = "C-SECRET-7731", "Secretville"


@pytest.fixture
def masked_app(redis_client: redis.Redis, redis_url: str, tmp_path: Path) -> Iterator[tuple[App, str]]:
    (tmp_path / "mask-key").write_bytes(b"mask-key-for-tests")
    settings = Settings(
        redis_url=redis_url,
        data_dir=tmp_path,
        port=0,
        threads=4,
        grace_seconds=1,
        masks=("customer.customer_id=hash", "ship_to.city"),
        mask_key_file=tmp_path / "mask-key",
    )
    app = build_app(settings)
    server, port, health = create_server(settings, app)
    server.start()
    set_serving(health, True)
    yield app, f"127.0.0.1:{port}"
    server.stop(0).wait()
    app.close()


def every_stored_byte(client: redis.Redis) -> bytes:
    """Every key and every value Redis holds, whatever its type."""
    out = []
    for key in client.scan_iter(count=1000):
        out.append(key)
        kind = client.type(key)
        if kind == b"string":
            out.append(client.get(key) or b"")
        elif kind == b"hash":
            out += [b for pair in client.hgetall(key).items() for b in pair]
        elif kind == b"zset":
            out += [m for m, _ in client.zrange(key, 0, -1, withscores=True)]
        elif kind == b"set":
            out += list(client.smembers(key))
        elif kind == b"list":
            out += client.lrange(key, 0, -1)
        elif kind == b"stream":
            out += [b for _, fields in client.xrange(key) for pair in fields.items() for b in pair]
    return b"\n".join(out)


def test_a_routed_order_is_logged_with_its_facts_and_a_masked_fact_never_reaches_redis(
    masked_app: tuple[App, str], redis_client: redis.Redis
) -> None:
    app, target = masked_app
    order = pb.Order(
        order_id="SO-MASK-1",
        customer=pb.Customer(customer_id=SECRET_CUSTOMER, repeat_purchases=5),
        ship_to=pb.Address(country="CN", city=SECRET_CITY),
    )
    with grpc.insecure_channel(target) as channel:
        decision = pb_grpc.RoutingServiceStub(channel).Route(pb.RouteRequest(order=order)).decision
    assert app.decisions.flush()
    (entry,) = app.inputs.get("fulfilment", [decision.decision_id])
    assert entry is not None and entry.order_id == "SO-MASK-1" and entry.version == decision.version
    assert entry.decided["path"] == decision.path == "EXPRESS"
    assert entry.matched_rules == tuple(decision.matched_rules) and entry.content_hash == ""  # the version names it
    assert entry.masked == ("customer.customer_id", "ship_to.city")
    assert entry.facts["customer"]["repeat_purchases"] == 5 and entry.facts["ship_to"] == {"country": "CN"}
    stored = every_stored_byte(redis_client)
    assert b"SO-MASK-1" in stored, "the scan does see what the log wrote"
    assert SECRET_CUSTOMER.encode() not in stored and SECRET_CITY.encode() not in stored


def test_a_hashed_mask_without_a_key_and_a_wrong_path_stop_the_server_with_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--mask PATH=hash needs a key"):
        Settings(masks=("customer.customer_id=hash",)).input_log(env={})
    with pytest.raises(ConfigError, match="is not a fact path"):
        Settings(masks=("customer.nmae",)).input_log(env={})
    with pytest.raises(ConfigError, match="--input-log-sample must be from 0 to 1"):
        Settings(input_log_sample=1.5).input_log(env={})


def test_why_an_order_went_where_it_did_over_grpc_and_in_the_terminal(
    app: App, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    order = pb.Order(order_id="SO-1003", customer=pb.Customer(customer_id="c-1003", repeat_purchases=2))
    with grpc.insecure_channel(target) as channel:
        decision = pb_grpc.RoutingServiceStub(channel).Route(pb.RouteRequest(order=order)).decision
        assert app.decisions.flush()
        stub = pb_grpc.DecisionServiceStub(channel)
        (explained,) = stub.ExplainDecision(pb.ExplainDecisionRequest(order_id="SO-1003")).decisions
        assert explained.decision_id == decision.decision_id and not explained.disagreements
        express = next(r for r in explained.rules if r.rule_id == "repeat-customer-express")
        (failing,) = express.tests
        assert express.matched == pb.TRUTH_FALSE
        assert (failing.fact, failing.test, failing.value_json, failing.held) == (
            "customer.repeat_purchases",
            "at least 3",
            "2",
            pb.TRUTH_FALSE,
        )
        by_id = stub.ExplainDecision(pb.ExplainDecisionRequest(decision_id=decision.decision_id)).decisions
        assert [d.decision_id for d in by_id] == [decision.decision_id]
        with pytest.raises(grpc.RpcError) as info:
            stub.ExplainDecision(pb.ExplainDecisionRequest(order_id="SO-NEVER"))
        assert info.value.code() is grpc.StatusCode.NOT_FOUND
    assert cli.main(["decisions", "show", decision.decision_id, "--server", target]) == 0
    out = capsys.readouterr().out
    assert "repeat-customer-express (priority 30): did not match" in out
    assert "customer.repeat_purchases at least 3: the order has 2 -> no" in out and "reproduced: yes" in out


def test_a_logged_decision_the_version_no_longer_reproduces_is_said_to_differ(
    app: App, target: str, redis_client: redis.Redis
) -> None:
    order = pb.Order(order_id="SO-2001", customer=pb.Customer(customer_id="c-2001", repeat_purchases=5))
    with grpc.insecure_channel(target) as channel:
        decision = pb_grpc.RoutingServiceStub(channel).Route(pb.RouteRequest(order=order)).decision
        assert app.decisions.flush()
        (logged,) = app.inputs.get("fulfilment", [decision.decision_id])
        assert logged is not None
        tampered = dataclasses.replace(logged, decided={**logged.decided, "path": "HOLD"})
        RedisInputLogStore(redis_client).append([tampered], 0, 1_000)  # as if it had been logged so
        (explained,) = (
            pb_grpc.DecisionServiceStub(channel)
            .ExplainDecision(pb.ExplainDecisionRequest(decision_id=decision.decision_id))
            .decisions
        )
    assert list(explained.disagreements) == ["path: logged 'HOLD', now 'EXPRESS'"]


def test_a_candidate_is_replayed_on_logged_orders_over_grpc_and_in_the_terminal(
    app: App, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    orders = [
        pb.Order(order_id=f"SO-R{i}", customer=pb.Customer(customer_id=f"c-{i}", repeat_purchases=i % 4))
        for i in range(200)
    ]
    with grpc.insecure_channel(target) as channel:
        routed = pb_grpc.RoutingServiceStub(channel).RouteBatch(pb.RouteBatchRequest(orders=orders)).results
        assert app.decisions.flush()
        # The orders the candidate will change (two repeat purchases) all had an exception.
        reports = [
            pb.Outcome(decision_id=r.decision.decision_id, exception=i % 4 == 2, on_time=True)
            for i, r in enumerate(routed)
        ]
        pb_grpc.OutcomeServiceStub(channel).RecordOutcomes(pb.RecordOutcomesRequest(outcomes=reports))
        source = (EXAMPLES / "fulfilment-candidate.yaml").read_text()
        pb_grpc.RuleSetServiceStub(channel).PublishRuleSet(pb.PublishRuleSetRequest(source=source, author="ana"))
        stub = pb_grpc.DecisionServiceStub(channel)
        steps = list(
            stub.ReplayRuleSet(pb.ReplayRuleSetRequest(rule_set="fulfilment", candidate_version=2, by=["channel"]))
        )
        assert [s.replayed for s in steps[:-1]] == [0, 200] and steps[-1].HasField("report")
        report = steps[-1].report
        # The candidate sends two repeat purchases to the express lane: a quarter of these orders.
        assert (report.replayed, report.changed, report.not_reproduced, report.trusted) == (200, 50, 0, True)
        path = next(f for f in report.fields if f.field == "path")
        assert [(t.from_value, t.to_value, t.orders) for t in path.transitions] == [("STANDARD", "EXPRESS", 50)]
        assert ("repeat-customer-express", 50) in [(c.rule_id, c.orders) for c in report.causes]
        outcomes = {
            (g.group, g.field, g.value): {k.metric: (k.reports, k.mean) for k in g.kpis} for g in report.outcomes
        }
        assert outcomes[("changed", "", "")]["exception"] == (50, 1.0)
        assert outcomes[("unchanged", "", "")]["exception"] == (150, 0.0)
        assert outcomes[("took", "path", "EXPRESS")]["exception"] == (50, 0.0), "three repeats: express already"
        drafted = stub.ReplayRuleSet(pb.ReplayRuleSetRequest(rule_set="fulfilment", candidate_source=source))
        assert list(drafted)[-1].report.changed == 50, "a draft's source replays as its published version does"
        with pytest.raises(grpc.RpcError) as info:
            list(stub.ReplayRuleSet(pb.ReplayRuleSetRequest(rule_set="fulfilment", candidate_version=2, by=["chanel"])))
        assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT and "chanel" in info.value.details()
    assert cli.main(["rules", "replay", "fulfilment", "--candidate", "v2", "--by", "channel", "--server", target]) == 0
    out = capsys.readouterr()
    assert "200 orders replayed; the candidate changes 50 (25.00%" in out.out and "STANDARD -> EXPRESS: 50" in out.out
    assert "replaying [" in out.err and "200/200 orders" in out.err
    assert "(observational, not causal)" in out.out and "orders the candidate changes: on_time 100.0%" in out.out


def test_rule_insights_put_the_rule_whose_orders_fared_worst_first_over_grpc_and_in_the_terminal(
    app: App, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    orders = [
        pb.Order(order_id=f"SO-I{i}", customer=pb.Customer(customer_id=f"c-{i}", repeat_purchases=i % 4))
        for i in range(200)
    ]
    with grpc.insecure_channel(target) as channel:
        routed = pb_grpc.RoutingServiceStub(channel).RouteBatch(pb.RouteBatchRequest(orders=orders)).results
        assert app.decisions.flush()
        # The express lane's orders (three repeat purchases) had an exception half the time; no other did.
        reports = [
            pb.Outcome(decision_id=r.decision.decision_id, exception=i % 8 == 3, on_time=i % 4 != 3)
            for i, r in enumerate(routed)
        ]
        pb_grpc.OutcomeServiceStub(channel).RecordOutcomes(pb.RecordOutcomesRequest(outcomes=reports))
        stub = pb_grpc.DecisionServiceStub(channel)
        reply = stub.GetRuleInsights(pb.GetRuleInsightsRequest(rule_set="fulfilment"))
        with pytest.raises(grpc.RpcError) as info:
            stub.GetRuleInsights(pb.GetRuleInsightsRequest(rule_set="fulfilment", version=9))
        assert info.value.code() is grpc.StatusCode.NOT_FOUND
    assert (reply.version, reply.orders, reply.reported, reply.not_reproduced) == (1, 200, 200, 0)
    worst = reply.rules[0]
    assert (worst.rule_id, worst.matched, worst.decided) == ("repeat-customer-express", 50, 50)
    exception = next(k for k in worst.kpis if k.metric == "exception")
    assert (exception.decided.reports, exception.decided.mean, exception.rest.reports, exception.rest.mean) == (
        50,
        0.5,
        150,
        0.0,
    )
    assert exception.difference_low > 0.3, "half against none: the interval is well above zero"
    assert cli.main(["rules", "insights", "fulfilment", "--server", target]) == 0
    out = capsys.readouterr().out
    assert "fulfilment v1: 200 logged orders, 200 with a reported outcome" in out
    assert "repeat-customer-express (priority 30): matched 50, decided 50 (fields: " in out and " path 50" in out
    assert "standard (the default): matched 150, decided 200" in out
    assert "exception 50.0% [" in out and "vs rest 0.0% [0.0%, 2.5%] (n=150): +50.0 points [" in out


def test_publishing_says_what_the_new_version_changes_on_the_latest_logged_orders(
    app: App, target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["rules", "publish", str(EXAMPLES / "fulfilment-candidate.yaml"), "--server", target]) == 0
    assert "blast radius: No logged orders to measure the change on yet." in capsys.readouterr().out
    orders = [
        pb.Order(order_id=f"SO-B{i}", customer=pb.Customer(customer_id=f"c-{i}", repeat_purchases=i % 4))
        for i in range(300)
    ]
    with grpc.insecure_channel(target) as channel:
        pb_grpc.RoutingServiceStub(channel).RouteBatch(pb.RouteBatchRequest(orders=orders))
    assert app.decisions.flush()
    edited = tmp_path / "fulfilment.yaml"
    source = (EXAMPLES / "fulfilment-candidate.yaml").read_text()
    edited.write_text(source.replace("description:", "description: again,", 1))
    assert cli.main(["rules", "publish", str(edited), "--server", target]) == 0
    out = capsys.readouterr().out
    # v3 decides as v2 does: orders with two repeat purchases go express, a quarter of them.
    assert "blast radius: Changes path for 25% of the last 300 logged orders." in out
    assert cli.main(["rules", "publish", str(edited), "--blast-orders", "0", "--server", target]) == 0
    assert "blast radius" not in capsys.readouterr().out, "unchanged content: nothing new to measure"


def test_without_masks_an_order_is_kept_as_it_was_sent_and_read_back_as_its_facts(
    app: App, target: str, redis_client: redis.Redis
) -> None:
    order = pb.Order(
        order_id="SO-PB-1",
        customer=pb.Customer(customer_id="c-pb", repeat_purchases=4, tier=pb.CUSTOMER_TIER_VIP),
        lines=[pb.OrderLine(sku="SKU-1", qty=2, category="shoes")],
    )
    with grpc.insecure_channel(target) as channel:
        decision = pb_grpc.RoutingServiceStub(channel).Route(pb.RouteRequest(order=order)).decision
    assert app.decisions.flush()
    raw = redis_client.hget(keys.inputs("fulfilment", "records"), decision.decision_id)
    assert raw is not None and raw.endswith(b"\n" + order.SerializeToString()), "the bytes the client sent"
    (entry,) = app.inputs.get("fulfilment", [decision.decision_id])
    assert entry is not None and entry.facts == order_to_facts(order, "order")
