"""Gray-release journeys in a real headless Chromium: a simulated improvement read from "not enough data"
to "promote recommended" and promoted by a second person; a harmful candidate aborted by its guardrail;
a broken traffic split that disables Promote. Screenshots in tests/.screenshots/."""

from __future__ import annotations

import json
import time

import grpc
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from experiments import METRICS, Arm
from experiments.simulation import OutcomeModel
from service.api.wiring import App
from service.client.simulate import Simulation, simulate
from service.storage import DecisionRecord
from tests.conftest import EXAMPLES
from tests.service.console.conftest import shot

CANDIDATE = (EXAMPLES / "fulfilment-candidate.yaml").read_text()


def start(channel: grpc.Channel, traffic_bp: int, salt: str) -> pb.Experiment:
    """As `orderroute simulate --scenario` starts one: every report compared as it comes, no minimum time."""
    pb_grpc.RuleSetServiceStub(channel).PublishRuleSet(pb.PublishRuleSetRequest(source=CANDIDATE, author="ana"))
    request = pb.StartExperimentRequest(
        rule_set="fulfilment",
        candidate_version=2,
        traffic_bp=traffic_bp,
        actor="orderroute-simulate",
        reason="simulated",
        salt=salt,
        maturity_seconds=dict.fromkeys(METRICS, 0),
    )
    return pb_grpc.ExperimentServiceStub(channel).StartExperiment(request).experiment


def test_an_improvement_goes_from_not_enough_data_to_promote_and_a_second_person_promotes(
    chromium, open_console, target
) -> None:
    with grpc.insecure_channel(target) as channel:
        experiment = start(channel, 1000, "console-gain")
        simulate(channel, Simulation(experiment.id, orders=1_500, customers=1_200, effects={"on_time": 0.08}), say=str)
        context = chromium.new_context(locale="en-US", viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{open_console.port}/experiments")
        page.get_by_role("link", name=experiment.id).click()
        assert page.get_by_role("status").inner_text().startswith("Not enough data")
        assert "hidden until the minimums are met" in page.get_by_role("table").nth(1).inner_text()
        shot(page, "experiment-not-enough-data")
        simulate(
            channel,
            Simulation(experiment.id, orders=20_000, customers=8_000, effects={"on_time": 0.08}, seed=2),
            say=str,
        )
    page.reload()
    assert page.get_by_role("status").inner_text().startswith("Promote recommended")
    chart = page.locator("svg.chart.line").first
    assert chart.locator("polyline.estimate").count() >= 1, "the interval over time has points"
    shot(page, "experiment-promote-recommended")
    page.get_by_label("Your name").fill("lead")
    page.get_by_label("Why").fill("on time is better")
    page.get_by_role("button", name="Promote").click()
    assert page.get_by_role("status").inner_text().startswith("Concluded: promoted")
    page.get_by_role("row", name="promoted").get_by_role("link", name="snapshot").click()
    assert "the results when it was promoted" in page.get_by_role("heading", level=1).inner_text()
    assert "on_time" in page.get_by_role("table").inner_text()
    shot(page, "experiment-snapshot")
    context.close()


def test_a_harmful_candidate_is_shown_aborted_by_its_guardrail_and_the_webhook_gets_it_once(chromium, hooked) -> None:
    with grpc.insecure_channel(hooked.target) as channel:
        experiment = start(channel, 1000, "console-harm")
        simulate(
            channel,
            Simulation(
                experiment.id,
                orders=10_000,
                customers=5_000,
                baseline=OutcomeModel(exception=0.01),
                effects={"*exception": 15},
            ),
            say=str,
        )
    receiver = hooked.receiver

    def aborts() -> list[dict[str, object]]:
        return [json.loads(body) for _, body in receiver.accepted() if json.loads(body)["event"] == "guardrail_abort"]

    assert receiver.wait_for(lambda: bool(aborts()))
    time.sleep(1.5)  # another round of the delivery thread: nothing more comes
    (event,) = aborts()
    assert event["data"]["experiment_id"] == experiment.id  # type: ignore[index]
    context = chromium.new_context(locale="en-US", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    base = f"http://127.0.0.1:{hooked.console.port}"
    page.goto(f"{base}/experiments/{experiment.id}")
    status = page.get_by_role("status").inner_text()
    assert status.startswith("Aborted by guardrail") and "exception changed by +" in status
    assert "breached" in page.get_by_role("row", name="exception").first.inner_text()
    shot(page, "experiment-aborted")
    page.get_by_role("link", name="Notifications").click()
    delivered = page.get_by_role("row").filter(has_text="guardrail_abort")
    assert delivered.count() == 1 and "delivered" in delivered.inner_text()
    shot(page, "notifications")
    context.close()


def test_a_broken_split_shows_the_banner_and_promote_is_disabled(chromium, open_console, target, app: App) -> None:
    with grpc.insecure_channel(target) as channel:
        experiment = start(channel, 500, "console-srm")
    now_ms = int(time.time() * 1000)
    arms = (Arm.BASELINE, Arm.CANDIDATE)
    app.decisions.extend(
        [
            DecisionRecord(f"s-{i}", "fulfilment", 1 + i % 2, now_ms, experiment.id, arms[i % 2], f"u-{i}")
            for i in range(2_000)
        ]
    )
    assert app.decisions.flush()
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"http://127.0.0.1:{open_console.port}/experiments/{experiment.id}")
    assert page.get_by_role("alert").filter(has_text="样本比例").count() == 1
    assert page.locator("button[formaction$='/promote']").is_disabled()
    shot(page, "experiment-sample-ratio-mismatch-zh")
    context.close()


def test_order_health_shows_the_decisions_just_routed_per_version(chromium, open_console, target) -> None:
    with grpc.insecure_channel(target) as channel:
        experiment = start(channel, 3_000, "console-health")
        orders = [pb.Order(order_id=f"o-{i}", customer=pb.Customer(customer_id=f"c-{i}")) for i in range(300)]
        pb_grpc.RoutingServiceStub(channel).RouteBatch(pb.RouteBatchRequest(orders=orders))
    context = chromium.new_context(locale="en-US", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    base = f"http://127.0.0.1:{open_console.port}"
    page.goto(f"{base}/rule-sets/fulfilment")
    page.get_by_role("link", name="Order health").click()
    table = page.get_by_role("table")
    for _ in range(50):  # the decision log writes off the Route path, within a moment
        if table.get_by_role("row", name="v2 candidate").count():
            break
        page.wait_for_timeout(200)
        page.reload()
    baseline = int(table.get_by_role("row", name="v1 baseline").get_by_role("cell").first.inner_text().replace(",", ""))
    candidate = int(
        table.get_by_role("row", name="v2 candidate").get_by_role("cell").first.inner_text().replace(",", "")
    )
    assert baseline + candidate == 300 and candidate > 0, experiment.id
    assert page.locator("svg.chart polyline.series, svg.chart circle").count() >= 2
    shot(page, "order-health")
    context.close()
