"""The gray-release pages over HTTP, against a real service on a real Redis: start, results, actions,
snapshots; the status words and units are the terminal's (service.client.reading)."""

from __future__ import annotations

import html
import re
import time

import grpc
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from experiments import Arm
from service.api.wiring import App
from service.storage import DecisionRecord
from tests.conftest import EXAMPLES
from tests.service.console.conftest import Browser

START = {
    "rule_set": "fulfilment",
    "candidate": "2",
    "share": "7.5",
    "unit": "customer",
    "primary": "on_time",
    "guardrail:exception": "1",
    "guardrail:complaint": "0.5",
    "min_outcomes": "200",
    "min_hours": "24",
    "actor": "ana",
    "reason": "pilot of the express lane",
}


def publish_candidate(target: str) -> None:
    with grpc.insecure_channel(target) as channel:
        source = (EXAMPLES / "fulfilment-candidate.yaml").read_text()
        pb_grpc.RuleSetServiceStub(channel).PublishRuleSet(pb.PublishRuleSetRequest(source=source, author="ana"))


def started(browser: Browser, target: str) -> str:
    publish_candidate(target)
    reply = browser.post("/experiments", {**START, "csrf": browser.csrf("/experiments/new?rule_set=fulfilment")})
    assert reply.status == 303, reply.body
    return reply.headers["location"]


def text_of(body: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def test_an_experiment_starts_from_the_console_and_states_its_rule_before_any_data(open_console, target) -> None:
    browser = Browser(open_console.port)
    publish_candidate(target)
    form = browser.get("/experiments/new?rule_set=fulfilment").body
    assert '<option value="2"' in form and 'name="guardrail:exception"' in form
    wrong = browser.post(
        "/experiments", {**START, "share": "lots", "csrf": browser.csrf("/experiments/new?rule_set=fulfilment")}
    )
    assert wrong.status == 409 and "share: a share in percent" in html.unescape(wrong.body)
    page_path = started(browser, target)
    page = text_of(browser.get(page_path).body)
    assert (
        "Not enough data" in page
        and "waiting for 200 more outcomes in the baseline and 200 more outcomes in the candidate" in page
    )
    assert (
        "Promote is recommended when on_time is better with 95% always-valid confidence, after at least 200 "
        "outcomes per arm and 24 hours; the candidate is aborted as soon as it is worse than a guardrail allows "
        "(exception worse by at most 1 point; complaint worse by at most 0.5 points)." in page
    )
    assert "7.5% of traffic by customer" in page
    listing = text_of(browser.get("/experiments").body)
    assert "fulfilment" in listing and "v1 → v2" in listing and "Not enough data" in listing


def test_promoting_without_a_verdict_is_refused_to_who_started_it_and_done_by_another(open_console, target) -> None:
    browser = Browser(open_console.port)
    page_path = started(browser, target)
    experiment_id = page_path.rsplit("/", 1)[1]
    page = browser.get(page_path).body
    etag = re.search(r'name="etag" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    promote = {"etag": etag, "reason": "ship it", "csrf": browser.csrf(page_path)}
    refused = browser.post(f"{page_path}/promote", {**promote, "actor": "ana"})
    assert refused.status == 409 and "other than ana, who started it" in html.unescape(refused.body)
    ramped = browser.post(f"{page_path}/ramp", {**promote, "actor": "ana", "share": "10", "reason": "more"})
    assert ramped.status == 303
    page = browser.get(page_path).body
    etag = re.search(r'name="etag" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    done = browser.post(f"{page_path}/promote", {**promote, "etag": etag, "actor": "lead"})
    assert done.status == 303
    timeline = text_of(browser.get(page_path).body)
    assert "Concluded: promoted" in timeline
    assert re.search(r"ramped 10% ana more", timeline) and "promoted 10% lead ship it" in timeline
    history = browser.get("/rule-sets/fulfilment/history?action=experiment-promote").body
    assert "experiment promoted" in history and f'href="/experiments/{experiment_id}/transitions/2"' in history
    csv_rows = browser.get("/rule-sets/fulfilment/history.csv").body.splitlines()
    assert any(
        row.endswith(f"/experiments/{experiment_id}/transitions/1") and "experiment-ramp" in row for row in csv_rows
    )
    snapshot = text_of(browser.get(f"/experiments/{experiment_id}/transitions/2").body)
    assert "the results when it was promoted" in snapshot and "on_time" in snapshot


def test_a_sample_ratio_mismatch_shows_the_banner_and_disables_promote(open_console, target, app: App) -> None:
    browser = Browser(open_console.port)
    page_path = started(browser, target)
    experiment_id = page_path.rsplit("/", 1)[1]
    now_ms = int(time.time() * 1000)
    # Half of the units in the candidate at a 7.5% share: a broken split, written through the store.
    records = [
        DecisionRecord(
            f"d-{i}",
            "fulfilment",
            2 if i % 2 else 1,
            now_ms,
            experiment_id,
            Arm.CANDIDATE if i % 2 else Arm.BASELINE,
            f"u-{i}",
        )
        for i in range(2_000)
    ]
    app.decisions.extend(records)
    assert app.decisions.flush()
    page = browser.get(page_path).body
    assert "Sample ratio mismatch" in page and 'class="badge status unhealthy"' in page
    promote_button = re.search(r'<button type="submit" formaction="[^"]+/promote"( disabled)?>Promote</button>', page)
    assert promote_button is not None and promote_button.group(1) == " disabled"


def test_the_terminal_and_the_page_show_the_same_status_and_numbers(open_console, target) -> None:
    from service.client.report import results_text
    from service.client.simulate import Simulation, simulate
    from tests.service.console.test_experiment_browser import start

    with grpc.insecure_channel(target) as channel:
        experiment = start(channel, 1000, "same-numbers")
        simulate(channel, Simulation(experiment.id, orders=6_000, customers=3_000, effects={"on_time": 0.08}), say=str)
        stub = pb_grpc.ExperimentServiceStub(channel)
        results = stub.GetResults(pb.GetResultsRequest(id=experiment.id))
        transitions = stub.GetExperiment(pb.GetExperimentRequest(id=experiment.id)).transitions
    terminal = results_text(results, transitions).splitlines()
    page = Browser(open_console.port).get(f"/experiments/{experiment.id}").body
    status = re.search(r'<span class="badge status [^"]+">([^<]+)</span> ([^<]+)</p>', page)
    assert status is not None
    assert f"STATUS: {html.unescape(status.group(1))}: {html.unescape(status.group(2).strip())}" in terminal
    rows = re.findall(r'<tr class="[^"]*">\s*<th scope="row"><code>([a-z_]+)</code>(.*?)</tr>', page, re.S)
    assert len(rows) == len(results.metrics)
    for metric, row in rows:
        baseline, candidate, change, interval = (
            text_of(c).strip() for c in re.findall(r"<td>(.*?)</td>", row, re.S)[:4]
        )
        line = next(x for x in terminal if x.startswith(metric + " "))
        estimate = change.split(" ")[0]  # "+8.52" of "+8.52 points", or "-0.6%" of "-0.6% relative"
        for shown in (baseline.split(" ")[0], candidate.split(" ")[0], estimate, interval):
            assert shown in line, (metric, shown, line)


def test_order_health_shows_the_orders_just_routed_per_version(open_console, target) -> None:
    with grpc.insecure_channel(target) as channel:
        orders = [pb.Order(order_id=f"h-{i}", customer=pb.Customer(customer_id=f"c-{i}")) for i in range(40)]
        pb_grpc.RoutingServiceStub(channel).RouteBatch(pb.RouteBatchRequest(orders=orders))
    browser = Browser(open_console.port)
    deadline = time.monotonic() + 10
    while True:  # the decision log writes off the Route path, within a moment
        page = text_of(browser.get("/rule-sets/fulfilment/health").body)
        if "v1 40" in page or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert "Order health of fulfilment" in page and "v1 40" in page and "STANDARD 40" in page
    assert "Decisions per minute, by version and arm" in page
    raw = browser.get("/rule-sets/fulfilment/health").body
    assert '<text class="tick" x="2" y="' in raw and ">100%</text>" in raw and ">200%</text>" not in raw, (
        "a share tops out at 100%"
    )
    week = text_of(browser.get("/rule-sets/fulfilment/health?span=7d").body)
    assert "v1 40" in week and "last 7 days" in week


def etag_of(browser: Browser, path: str) -> str:
    found = re.search(r'name="etag" value="([^"]+)"', browser.get(path).body)
    assert found is not None, "the page offers no action"
    return found.group(1)


def test_pause_resume_and_abort_each_with_a_reason_and_a_wrong_share_is_explained(open_console, target) -> None:
    browser = Browser(open_console.port)
    page_path = started(browser, target)
    csrf = browser.csrf(page_path)
    for action in ("pause", "resume", "abort"):
        form = {"etag": etag_of(browser, page_path), "reason": f"{action} for a test", "actor": "ana", "csrf": csrf}
        assert browser.post(f"{page_path}/{action}", form).status == 303, action
    page = text_of(browser.get(page_path).body)
    assert "Aborted abort for a test" in page.replace(":", "")
    assert all(f"{word} " in page for word in ("paused", "resumed", "aborted"))
    assert 'name="etag"' not in browser.get(page_path).body, "an ended experiment offers no action"
    second = started(browser, target)
    wrong = {"etag": etag_of(browser, second), "reason": "more", "actor": "ana", "share": "lots", "csrf": csrf}
    refused = browser.post(f"{second}/ramp", wrong)
    assert refused.status == 409 and "share: a number in percent" in refused.body
    rolled = {"etag": etag_of(browser, second), "reason": "not now", "actor": "ana", "csrf": csrf}
    assert browser.post(f"{second}/rollback", rolled).status == 303
    assert "Concluded: rolled back" in text_of(browser.get(second).body)
    stale = browser.post(f"{second}/pause", rolled)
    assert stale.status == 409, "acting on an experiment as it was read before is refused"


def test_the_notifications_page_says_when_no_webhook_is_configured(open_console) -> None:
    page = text_of(Browser(open_console.port).get("/notifications").body)
    assert "No webhook is configured" in page


def test_the_results_page_shows_the_candidate_replayed_over_the_baseline_orders(open_console, target, app: App) -> None:
    app.shadows.close()  # replayed below, once the orders are routed
    browser = Browser(open_console.port)
    page_path = started(browser, target)
    assert "Not replayed yet" in text_of(browser.get(page_path).body)
    orders = [
        pb.Order(order_id=f"SO-SH{i}", customer=pb.Customer(customer_id=f"c-sh{i}", repeat_purchases=i % 4))
        for i in range(400)
    ]
    with grpc.insecure_channel(target) as channel:
        routed = pb_grpc.RoutingServiceStub(channel).RouteBatch(pb.RouteBatchRequest(orders=orders)).results
    assert app.decisions.flush()
    served = [o for o, r in zip(orders, routed, strict=True) if r.decision.arm == pb.ARM_BASELINE]
    changes = sum(o.customer.repeat_purchases == 2 for o in served)
    experiment_id = page_path.rsplit("/", 1)[1]
    assert app.shadows.refresh() == [experiment_id]
    page = text_of(browser.get(page_path).body)
    assert "Shadow: the candidate on the orders the baseline served" in page
    assert f"Would change {changes:,} of {len(served):,} orders" in page
    assert "path: STANDARD -> EXPRESS for" in page
    browser.language = "zh-CN"
    assert f"会改变 {len(served):,} 个订单中的 {changes:,} 个" in text_of(browser.get(page_path).body)
