"""The decision log's pages in a real headless Chromium, found by role and name as a screen reader would:
orders routed, one looked up (and one the log does not have), the example candidate replayed on them from
its version page, and the rule insights. Screenshots in tests/.screenshots/."""

from __future__ import annotations

import re

import grpc
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc
from playwright.sync_api import expect

from rules._yaml import load_yaml
from service.api.wiring import App
from service.client.documents import order_from_document
from tests.conftest import EXAMPLES
from tests.service.console.conftest import shot

CANDIDATE = (EXAMPLES / "fulfilment-candidate.yaml").read_text()
CHANNELS = (pb.CHANNEL_WEB, pb.CHANNEL_APP, pb.CHANNEL_LIVE_STREAM)


def route_and_report(target: str, app: App) -> None:
    """The example orders and 300 more (a quarter each with 0 to 3 repeat purchases, over three channels),
    routed; every order's outcome reported, the express lane's with more exceptions."""
    samples = [order_from_document(load_yaml(p.read_text())) for p in sorted((EXAMPLES / "orders").glob("*.yaml"))]
    more = [
        pb.Order(
            order_id=f"SO-B{i}",
            channel=CHANNELS[i % 3],
            customer=pb.Customer(customer_id=f"c-{i}", repeat_purchases=i % 4, tier=pb.CUSTOMER_TIER_REGULAR),
            lines=[pb.OrderLine(sku=f"SKU-{i % 7}", qty=1 + i % 3, category=("apparel", "shoes")[i % 2])],
        )
        for i in range(300)
    ]
    with grpc.insecure_channel(target) as channel:
        routed = pb_grpc.RoutingServiceStub(channel).RouteBatch(pb.RouteBatchRequest(orders=samples + more)).results
        assert app.decisions.flush()
        outcomes = [
            pb.Outcome(
                decision_id=r.decision.decision_id,
                exception=r.decision.path == "EXPRESS" and i % 3 == 0,
                complaint=i % 11 == 0,
                on_time=i % 5 != 0,
                logistics_cost_minor=800 + 10 * (i % 9),
                fulfilment_hours=20.0 + i % 30,
            )
            for i, r in enumerate(routed)
        ]
        pb_grpc.OutcomeServiceStub(channel).RecordOutcomes(pb.RecordOutcomesRequest(outcomes=outcomes))
        pb_grpc.RuleSetServiceStub(channel).PublishRuleSet(pb.PublishRuleSetRequest(source=CANDIDATE, author="ana"))


def test_an_author_looks_an_order_up_replays_the_candidate_and_reads_the_rule_insights(
    chromium, open_console, target, app
) -> None:
    route_and_report(target, app)
    context = chromium.new_context(locale="en-US", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    base = f"http://127.0.0.1:{open_console.port}"

    # Why did the repeat customer's order go where it did?
    page.goto(f"{base}/rule-sets/fulfilment")
    page.get_by_role("link", name="Look up a decision").click()
    search = page.get_by_role("search", name="Look up a decision")
    search.get_by_label("Order id or decision id").fill("SO-1003")
    search.get_by_role("button", name="Look up").click()
    page.get_by_role("heading", name="Order SO-1003 under fulfilment").wait_for()
    trace = page.get_by_role("table").filter(has_text="Every rule in priority order")
    express = trace.get_by_role("rowgroup").filter(has_text="repeat-customer-express")
    assert "yes: matched" in express.inner_text() and "✓ held" in express.inner_text()
    decided = page.get_by_role("table").filter(has_text="What was decided")
    assert "EXPRESS" in decided.get_by_role("row", name=re.compile("^Path")).inner_text()
    shot(page, "decision-lookup")
    search.get_by_label("Order id or decision id").fill("SO-NOT-LOGGED")
    search.get_by_role("button", name="Look up").click()
    expect(page.get_by_role("status")).to_contain_text("No logged decision for SO-NOT-LOGGED.")
    shot(page, "decision-not-found")

    # What would the example candidate (v2) change on these orders?
    page.goto(f"{base}/rule-sets/fulfilment/versions/2")
    page.get_by_role("link", name="Replay on logged orders").click()
    form = page.get_by_role("form", name="Replay")
    expect(form.get_by_label("Candidate")).to_have_value("2")
    form.get_by_role("checkbox", name=re.compile(r"^channel\b")).check()
    form.get_by_role("checkbox", name=re.compile(r"^customer\.tier\b")).check()
    form.get_by_role("button", name="Run the replay").click()
    page.get_by_role("heading", name="What v2 would change").wait_for()
    assert re.search(r"Would change 75 of 310 orders", page.get_by_role("status").first.inner_text())
    transitions = page.get_by_role("table").filter(has_text="what the candidate would make")
    path = transitions.get_by_role("row", name=re.compile("^Path")).inner_text().split()
    assert path[-4:] == ["STANDARD", "EXPRESS", "75", "24.19%"], path
    pickup = transitions.get_by_role("row", name=re.compile("^Priority pickup")).inner_text().split()
    assert pickup[-4:] == ["no", "yes", "75", "24.19%"], pickup
    assert page.get_by_text("observational, not causal").first.is_visible()
    assert "candidate=2" in page.url and "by=channel" in page.url, "the report can be linked"
    shot(page, "replay-report")

    # Per rule, how did the orders it decided fare?
    page.goto(f"{base}/rule-sets/fulfilment")
    page.get_by_role("link", name="Rule insights").click()
    page.get_by_role("heading", name="Rule insights of fulfilment").wait_for()
    first = page.get_by_role("heading", level=2).first
    assert "repeat-customer-express" in first.inner_text() and "worse than the rest" in first.inner_text()
    assert page.locator("svg.chart.bar").count() >= 5
    shot(page, "rule-insights")
    context.close()


def test_the_decision_pages_in_chinese(chromium, open_console, target, app) -> None:
    route_and_report(target, app)
    context = chromium.new_context(
        locale="zh-CN", viewport={"width": 1400, "height": 900}, extra_http_headers={"Accept-Language": "zh-CN"}
    )
    page = context.new_page()
    base = f"http://127.0.0.1:{open_console.port}"
    page.goto(f"{base}/decisions?q=SO-1001")
    page.get_by_role("heading", name="订单 SO-1001（规则集 fulfilment）").wait_for()
    shot(page, "decision-lookup-zh")
    page.goto(f"{base}/rule-sets/fulfilment/replay?candidate=2&by=channel&run=1")
    page.get_by_role("heading", name="v2 会改变什么").wait_for()
    shot(page, "replay-report-zh")
    page.goto(f"{base}/rule-sets/fulfilment/insights")
    page.get_by_role("heading", name="fulfilment 的规则洞察").wait_for()
    shot(page, "rule-insights-zh")
    context.close()
