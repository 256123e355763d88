"""The decision log's pages over HTTP, against a real service on a real Redis: an order looked up with its
inputs and every rule's trace, a candidate replayed on the logged orders, and rule insights; each in both
languages, and what the log does not have said so."""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
import redis
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from service.api.server import create_server, set_serving
from service.api.settings import Settings
from service.api.wiring import App, build_app
from service.console import ConsoleSettings, RunningConsole, start_console
from service.storage.redis_inputs import RedisInputLogStore
from tests.conftest import EXAMPLES
from tests.service.api.test_auth import AUTHOR, REVIEWER, ROUTER
from tests.service.console.conftest import Browser

CANDIDATE = (EXAMPLES / "fulfilment-candidate.yaml").read_text()
SECRET_CUSTOMER, SECRET_CITY = "C-SECRET-4411", "Hiddenville"


def text_of(body: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def route(target: str, app: App, orders: list[pb.Order]) -> list[pb.Decision]:
    """Routes the orders as the OMS would and waits for the decision log to have them."""
    with grpc.insecure_channel(target) as channel:
        routed = pb_grpc.RoutingServiceStub(channel).RouteBatch(pb.RouteBatchRequest(orders=orders)).results
    assert app.decisions.flush()
    return [r.decision for r in routed]


def repeat_orders(n: int, prefix: str = "SO-R") -> list[pb.Order]:
    """A quarter each with 0, 1, 2 and 3 repeat purchases: the candidate moves the twos to the express lane."""
    return [
        pb.Order(order_id=f"{prefix}{i}", customer=pb.Customer(customer_id=f"c-{i}", repeat_purchases=i % 4))
        for i in range(n)
    ]


def record(target: str, outcomes: list[pb.Outcome]) -> None:
    with grpc.insecure_channel(target) as channel:
        pb_grpc.OutcomeServiceStub(channel).RecordOutcomes(pb.RecordOutcomesRequest(outcomes=outcomes))


def publish_candidate(target: str) -> None:
    with grpc.insecure_channel(target) as channel:
        pb_grpc.RuleSetServiceStub(channel).PublishRuleSet(pb.PublishRuleSetRequest(source=CANDIDATE, author="ana"))


# ---------------------------------------------------------------- looking a decision up


def test_an_order_is_looked_up_with_its_decision_inputs_and_every_rules_trace(open_console, target, app) -> None:
    (decision,) = route(target, app, [pb.Order(order_id="SO-1003", customer=pb.Customer(repeat_purchases=2))])
    browser = Browser(open_console.port)
    reply = browser.get("/decisions?q=SO-1003")
    assert reply.status == 200
    page = text_of(reply.body)
    assert "Order SO-1003 under fulfilment" in page and decision.decision_id in page
    assert '<a href="/rule-sets/fulfilment/versions/1">v1</a>' in reply.body
    decided = re.search(r'<table class="list decided">(.*?)</table>', reply.body, re.S)
    assert decided is not None and "Path path STANDARD standard" in text_of(decided.group(1))
    inputs = text_of(re.search(r'<table class="list inputs">(.*?)</table>', reply.body, re.S).group(1))  # type: ignore[union-attr]
    assert "customer.repeat_purchases completed orders before this one 2" in inputs
    express = re.search(
        r'<tbody class="rule matched-no">\s*<tr>\s*<th scope="rowgroup" rowspan="1"><code>'
        r"repeat-customer-express</code>(.*?)</tbody>",
        reply.body,
        re.S,
    )
    assert express is not None, "the express rule did not match this order"
    trace = " ".join(text_of(express.group(1)).split())
    assert trace == (
        "priority 30 no: did not match – customer.repeat_purchases completed orders before this one "
        "at least 3 the order 2 ✗ did not hold"
    )
    default = re.search(r'<th scope="rowgroup" rowspan="1"><code>standard</code>(.*?)</tbody>', reply.body, re.S)
    assert default is not None and "The default tests nothing" in text_of(default.group(1))
    assert "yes: matched" in text_of(default.group(1))
    assert "Facts the order lacked" in page and "is_cross_border" in page
    assert "no longer reproduces" not in page
    by_id = text_of(browser.get(f"/decisions?q={decision.decision_id}").body)
    assert "Order SO-1003 under fulfilment" in by_id
    only = browser.get("/decisions?q=SO-1003&rule_set=fulfilment")
    assert only.status == 200 and 'value="fulfilment" selected' in only.body


def test_a_missing_fact_is_named_on_its_test_and_unknown_is_said_in_words(open_console, target, app) -> None:
    route(target, app, [pb.Order(order_id="SO-LINES", lines=[pb.OrderLine(sku="A", qty=1, category="shoes")])])
    body = Browser(open_console.port).get("/decisions?q=SO-LINES").body
    lines = re.search(r'<table class="list records">(.*?)</table>', body, re.S)
    assert lines is not None and "The order’s lines, as logged" in html.unescape(lines.group(1))
    assert re.search(r"<td>A</td>\s*<td>1</td>\s*<td>shoes</td>", lines.group(1))
    assert '<code>qty</code> <span class="label">quantity</span>' in lines.group(1), "a line's facts are labelled"
    tags = re.search(
        r"<code>tags</code>.*?contains flash_sale</td>\s*<td class=\"scope\">the order</td>\s*<td([^>]*)>(.*?)</td>",
        body,
        re.S,
    )
    assert tags is not None and (tags.group(1), tags.group(2)) == (' class=""', "–"), "no tags given: not unknown"
    unknown = re.findall(r'<td class="lacking">(.*?)</td>\s*<td class="held ([a-z]+)">(.*?)</td>', body, re.S)
    assert unknown, "a test on a fact the order lacks is marked"
    for value, held, words in unknown:
        assert "missing" in value
        if held == "unknown":
            assert text_of(words).split() == ["?", "unknown"]


def test_no_logged_decision_is_a_friendly_page_that_says_the_log_samples_and_forgets(open_console) -> None:
    reply = Browser(open_console.port).get("/decisions?q=SO-NEVER")
    assert reply.status == 404 and "NOT_FOUND" not in reply.body
    page = text_of(reply.body)
    assert "No logged decision for SO-NEVER." in page and "only the decisions it samples" in page
    assert 'value="SO-NEVER"' in reply.body, "the search box keeps what was asked"
    empty = Browser(open_console.port).get("/decisions")
    assert empty.status == 200 and "No logged decision" not in empty.body and 'role="search"' in empty.body


def test_the_lookup_in_chinese_words_the_tests_and_the_not_found_message(open_console, target, app) -> None:
    route(target, app, [pb.Order(order_id="SO-ZH", customer=pb.Customer(repeat_purchases=2))])
    browser = Browser(open_console.port, language="zh-CN,zh;q=0.9")
    page = text_of(browser.get("/decisions?q=SO-ZH").body)
    assert "至少 3" in page and "at least 3" not in page, "the test is worded by the version, in Chinese"
    assert "否：未命中" in page and "✗ 不成立" in page
    missing = text_of(browser.get("/decisions?q=SO-NOPE").body)
    assert "没有 SO-NOPE 的已记录决策。" in missing


def test_a_decision_the_version_no_longer_reproduces_carries_a_warning(
    open_console, target, app, redis_client: redis.Redis
) -> None:
    (decision,) = route(target, app, [pb.Order(order_id="SO-2001", customer=pb.Customer(repeat_purchases=5))])
    (logged,) = app.inputs.get("fulfilment", [decision.decision_id])
    assert logged is not None
    tampered = dataclasses.replace(logged, decided={**logged.decided, "path": "HOLD"})
    RedisInputLogStore(redis_client).append([tampered], 0, 1_000)
    body = Browser(open_console.port).get("/decisions?q=SO-2001").body
    warning = re.search(r'<div class="banner bad warning-block" role="alert">(.*?)</div>', body, re.S)
    assert warning is not None
    assert "no longer reproduces it" in text_of(warning.group(1))
    assert "path: logged 'HOLD', now 'EXPRESS'" in text_of(warning.group(1))


@pytest.fixture
def masked_console(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path
) -> Iterator[tuple[App, str, RunningConsole]]:
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
    target = f"127.0.0.1:{port}"
    with grpc.insecure_channel(target) as channel:
        console = start_console(channel, "127.0.0.1", 0, ConsoleSettings(auth_enabled=False))
        yield app, target, console
        console.stop()
    server.stop(0).wait()
    app.close()


def test_masked_facts_are_listed_and_marked_and_their_values_never_shown(masked_console) -> None:
    app, target, console = masked_console
    order = pb.Order(
        order_id="SO-MASK",
        customer=pb.Customer(customer_id=SECRET_CUSTOMER, repeat_purchases=1),
        ship_to=pb.Address(country="CN", city=SECRET_CITY),
    )
    route(target, app, [order])
    body = Browser(console.port).get("/decisions?q=SO-MASK").body
    assert SECRET_CUSTOMER not in body and SECRET_CITY not in body
    rows = {
        text_of(m.group(1)).split()[0]: text_of(m.group(2))
        for m in re.finditer(r'<tr class="masked"><th scope="row">(.*?)</th><td>(.*?)</td></tr>', body, re.S)
    }
    assert set(rows) == {"customer.customer_id", "ship_to.city"}
    assert "masked: hashed" in rows["customer.customer_id"] and "hmac:" in rows["customer.customer_id"]
    assert "masked: not logged" in rows["ship_to.city"]
    assert "ship_to.country" in text_of(body) and "Masked facts are marked" in text_of(body)


# ---------------------------------------------------------------- replay


def logged_with_outcomes(target: str, app: App, n: int = 200) -> list[pb.Decision]:
    """n logged orders; those the candidate changes (two repeat purchases) all had an exception."""
    decisions = route(target, app, repeat_orders(n))
    record(
        target,
        [pb.Outcome(decision_id=d.decision_id, exception=i % 4 == 2, on_time=True) for i, d in enumerate(decisions)],
    )
    return decisions


def test_the_replay_form_preselects_the_newest_unactivated_version_and_offers_the_schemas_facts(
    open_console, target
) -> None:
    publish_candidate(target)
    body = Browser(open_console.port).get("/rule-sets/fulfilment/replay").body
    assert re.search(r'<option value="2" selected>v2</option>\s*<option value="1">v1 \(active\)</option>', body)
    assert 'name="limit" type="number" min="1" max="1000000" step="1" value="20000"' in body
    for fact in ("channel", "customer.tier", "order_type", "lines.category"):
        assert f'name="by" value="{fact}">' in body
    assert "What v2 would change" not in body, "nothing runs until asked"
    chosen = Browser(open_console.port).get("/rule-sets/fulfilment/replay?candidate=1").body
    assert '<option value="1" selected>v1 (active)</option>' in chosen
    assert (
        'href="/rule-sets/fulfilment/replay?candidate=2"'
        in Browser(open_console.port).get("/rule-sets/fulfilment/versions/2").body
    )
    links = Browser(open_console.port).get("/rule-sets/fulfilment").body
    assert 'href="/rule-sets/fulfilment/replay"' in links and 'href="/rule-sets/fulfilment/insights"' in links


def test_a_replay_says_what_would_change_for_whom_because_of_which_rules_and_how_those_orders_fared(
    open_console, target, app
) -> None:
    logged_with_outcomes(target, app)
    publish_candidate(target)
    reply = Browser(open_console.port).get(
        "/rule-sets/fulfilment/replay?candidate=2&limit=20000&by=channel&by=customer.tier&run=1"
    )
    assert reply.status == 200, reply.body
    body, page = reply.body, text_of(reply.body)
    assert "What v2 would change" in page
    assert "Would change 50 of 200 orders (25%; 95% interval 19.5" in page
    assert "Fidelity: Every logged decision was reproduced by the version that made it." in page
    assert "cannot be trusted" not in page
    transitions = text_of(re.search(r'<table class="list transitions">(.*?)</table>', body, re.S).group(1))  # type: ignore[union-attr]
    assert "Path path STANDARD EXPRESS 50 25%" in transitions
    causes = text_of(re.search(r'<table class="list causes">(.*?)</table>', body, re.S).group(1))  # type: ignore[union-attr]
    assert "repeat-customer-express 50 100%" in causes
    segments = text_of(re.search(r'<table class="list segments">(.*?)</table>', body, re.S).group(1))  # type: ignore[union-attr]
    assert "channel unknown 200 50 25%" in segments and "customer.tier unknown 200 50 25%" in segments
    examples = re.search(r'<details class="examples" open>(.*?)</details>', body, re.S)
    assert examples is not None and "Path STANDARD → EXPRESS (20 examples)" in text_of(examples.group(1))
    assert re.search(r'href="/decisions\?q=[^"]+">SO-R\d+</a>', examples.group(1))
    outcomes = re.search(r'<section class="outcomes"(.*?)</section>', body, re.S)
    assert outcomes is not None and "observational, not causal" in outcomes.group(1)
    rows = {
        text_of(m.group(1)): text_of(m.group(2))
        for m in re.finditer(r'<tr class="[a-z]+"><th scope="row">(.*?)</th>(.*?)</tr>', outcomes.group(1), re.S)
    }
    assert rows["Orders the candidate would change"].split()[:5] == ["100%", "reports:", "50", "100%", "reports:"]
    assert rows["Orders it would leave as they are"].split()[:3] == ["100%", "reports:", "150"]
    assert rows["Orders already decided with Path EXPRESS"].split()[3:6] == ["0%", "reports:", "50"]


def test_a_replay_in_chinese(open_console, target, app) -> None:
    logged_with_outcomes(target, app, 40)
    publish_candidate(target)
    page = text_of(
        Browser(open_console.port, language="zh-CN").get("/rule-sets/fulfilment/replay?candidate=2&run=1").body
    )
    assert "会改变 40 个订单中的 10 个" in page and "观察性的，不是因果" in page
    assert "Would change" not in page


def test_no_logged_orders_in_the_range_is_said_so(open_console, target, app) -> None:
    publish_candidate(target)
    browser = Browser(open_console.port)
    reply = browser.get("/rule-sets/fulfilment/replay?candidate=2&run=1")
    assert reply.status == 200 and "The log has no orders of fulfilment in that range" in text_of(reply.body)
    route(target, app, repeat_orders(8))
    past = text_of(browser.get("/rule-sets/fulfilment/replay?candidate=2&since=2001-01-01&until=2001-01-31&run=1").body)
    assert "The log has no orders of fulfilment in that range" in past
    today = text_of(browser.get("/rule-sets/fulfilment/replay?candidate=2&since=2001-01-01&run=1").body)
    assert "Would change 2 of 8 orders" in today


def test_what_the_form_gets_wrong_is_said_on_the_form(open_console, target) -> None:
    publish_candidate(target)
    browser = Browser(open_console.port)
    for query, words in (
        ("limit=lots", "Orders: a whole number from 1 to 1,000,000."),
        ("limit=0", "Orders: a whole number from 1 to 1,000,000."),
        ("since=yesterday", "yesterday: a day as YYYY-MM-DD"),
        ("since=2026-02-02&until=2026-02-01", "The last day is before the first."),
        ("by=chanel", "'chanel' is not a fact path"),
    ):
        reply = browser.get(f"/rule-sets/fulfilment/replay?candidate=2&run=1&{query}")
        assert reply.status == 400, query
        assert words in html.unescape(reply.body), query
        assert 'role="alert"' in reply.body and 'name="candidate"' in reply.body
    draft = browser.get("/rule-sets/fulfilment/replay?candidate=draft&run=1")
    assert draft.status == 400 and "You have no draft of this rule set" in text_of(draft.body)
    nothing = browser.get("/rule-sets/fulfilment/replay?candidate=&run=1")
    assert nothing.status == 400 and "Choose the candidate" in text_of(nothing.body)


def test_a_replay_of_the_untrustworthy_log_says_it_cannot_be_trusted(
    open_console, target, app, redis_client: redis.Redis
) -> None:
    decisions = route(target, app, repeat_orders(40))
    (logged,) = app.inputs.get("fulfilment", [decisions[3].decision_id])
    assert logged is not None
    RedisInputLogStore(redis_client).append(
        [dataclasses.replace(logged, decided={**logged.decided, "path": "HOLD"})], 0, 1_000
    )
    publish_candidate(target)
    body = Browser(open_console.port).get("/rule-sets/fulfilment/replay?candidate=2&run=1").body
    banner = re.search(r'<div class="banner bad warning-block" role="alert">(.*?)</div>', body, re.S)
    assert banner is not None
    words = text_of(banner.group(1))
    assert "This replay cannot be trusted." in words and "More than 0.1% of the logged decisions" in words
    assert f"{decisions[3].decision_id}: path: logged 'HOLD'" in words
    fidelity = text_of(re.search(r'<p class="fidelity bad">(.*?)</p>', body, re.S).group(1))  # type: ignore[union-attr]
    assert fidelity == (
        "Fidelity: 1 logged decisions were not reproduced by the version that made them: this replay cannot be trusted."
    )


def test_a_draft_is_replayed_as_the_candidate_of_whoever_owns_it(open_console, target, app) -> None:
    logged_with_outcomes(target, app, 40)
    browser = Browser(open_console.port)
    draft = "/rule-sets/fulfilment/draft"
    assert 'value="draft"' not in browser.get("/rule-sets/fulfilment/replay").body, "no draft yet"
    browser.get(draft)
    browser.post(f"{draft}/name", {"actor": "ana", "csrf": browser.csrf(draft)})
    browser.get(draft)
    browser.post(f"{draft}/yaml", {"source": CANDIDATE, "csrf": browser.csrf(draft)})
    form = browser.get("/rule-sets/fulfilment/replay").body
    assert '<option value="draft">your draft</option>' in form
    page = text_of(browser.get("/rule-sets/fulfilment/replay?candidate=draft&run=1").body)
    assert "What your draft would change" in page and "Would change 10 of 40 orders" in page


# ---------------------------------------------------------------- rule insights


def insights_data(target: str, app: App) -> None:
    """The express lane's orders (three repeat purchases) had an exception half the time; no other did."""
    decisions = route(target, app, repeat_orders(200, "SO-I"))
    record(
        target,
        [
            pb.Outcome(decision_id=d.decision_id, exception=i % 8 == 3, on_time=i % 4 != 3, logistics_cost_minor=900)
            for i, d in enumerate(decisions)
        ],
    )


def test_rule_insights_put_the_worst_rule_first_and_mark_a_surely_worse_difference(open_console, target, app) -> None:
    insights_data(target, app)
    reply = Browser(open_console.port).get("/rule-sets/fulfilment/insights")
    assert reply.status == 200, reply.body
    body = reply.body
    page = text_of(body)
    assert "200 logged orders decided by v1, 200 of them with a reported outcome." in page
    assert "observational, not causal" in page
    sections = re.findall(
        r'<section class="insight[^"]*" aria-labelledby="insight-([^"]+)">(.*?)</section>', body, re.S
    )
    assert sections[0][0] == "repeat-customer-express"
    worst = sections[0][1]
    assert "worse than the rest: exception rate, on time" in text_of(worst)
    assert "Matched 50 orders and decided at least one field of 50 of them." in text_of(worst)
    exception = re.search(
        r'<tr class="worse">\s*<th scope="row">exception rate <code class="name">exception</code></th>(.*?)</tr>',
        worst,
        re.S,
    )
    assert exception is not None
    cells = text_of(exception.group(1)).strip()
    assert cells.startswith("50% ") and "reports: 50" in cells and "0% 0% to 2.5% reports: 150" in cells
    assert "+50 points" in cells and "worse" in cells
    assert '<svg class="chart bar"' in exception.group(1) and 'class="band worse"' in exception.group(1)
    cost = re.search(r'<tr class="unclear">\s*<th scope="row">logistics cost(.*?)</tr>', worst, re.S)
    assert (
        cost is not None and "900 minor units" in text_of(cost.group(1)) and "0 minor units" in text_of(cost.group(1))
    )
    default = next(s for rule, s in sections if rule == "standard")
    assert "the default" in text_of(default)
    assert "No other rule matched 150 orders; it decided at least one field of 200." in text_of(default)
    assert 'href="/rule-sets/fulfilment/versions/1#rule-repeat-customer-express"' in body


def overview_rows(body: str) -> list[tuple[str, list[str]]]:
    """The overview table's rows: (the row's class, its cells as text), in the page's order."""
    table = re.search(r'<table class="list insights-overview">.*?<tbody>(.*?)</tbody>', body, re.S)
    assert table is not None, "no overview table"
    return [
        (kind, [text_of(c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)])
        for kind, row in re.findall(r'<tr(?: class="([^"]*)")?>(.*?)</tr>', table.group(1), re.S)
    ]


def test_rule_insights_open_with_every_rule_at_a_glance_the_worst_first(open_console, target, app) -> None:
    insights_data(target, app)
    body = Browser(open_console.port).get("/rule-sets/fulfilment/insights").body
    rows = overview_rows(body)
    sections = re.findall(r'<section class="insight[^"]*" aria-labelledby="insight-([^"]+)">', body)
    assert [cells[0] for _, cells in rows] == sections, "one row per rule, in the sections' order"
    kind, cells = rows[0]
    assert kind == "has-worse"
    assert cells == [
        "repeat-customer-express",
        "30",
        "50",
        "50",
        "50% vs 0%",
        "+50 points worse",
        "0% vs 100%",
        "-100 points worse",
        "",
    ]
    worst = re.search(r"<tbody>\s*<tr[^>]*>(.*?)</tr>", body.split('class="list insights-overview"')[1], re.S)
    assert worst is not None and '<a href="#insight-repeat-customer-express">' in worst.group(1)
    assert worst.group(1).count('<td class="number worse">') == 2, "both differences marked"
    assert '<h2 id="insight-repeat-customer-express">' in body, "the link's anchor"
    default = next(cells for _, cells in rows if cells[0] == "standard")
    assert default[1:] == [
        "the default",
        "150",
        "200",
        "12.5% vs none reported",
        "no comparison",
        "75% vs none reported",
        "no comparison",
        "",
    ], "it decided every order: no rest to compare with"
    explained = "The orders this rule decided beside every other order"
    assert body.count(explained) == 1 and body.index(explained) < body.index('<section class="insight')


def test_rule_insights_in_chinese_and_without_logged_orders(open_console, target, app) -> None:
    browser = Browser(open_console.port, language="zh-CN")
    empty = text_of(browser.get("/rule-sets/fulfilment/insights").body)
    assert "日志中没有 fulfilment 在该范围内由 v1 决策的订单。" in empty
    insights_data(target, app)
    page = text_of(browser.get("/rule-sets/fulfilment/insights").body)
    assert "观察性的，不是因果" in page and "比其余订单差" in page and "+50 个百分点" in page
    assert "repeat-customer-express 30 50 50 50% 对比 0% +50 个百分点 更差 0% 对比 100% -100 个百分点 更差" in page
    wrong = browser.get("/rule-sets/fulfilment/insights?limit=x")
    assert wrong.status == 400


# ---------------------------------------------------------------- who may


def test_only_authors_reviewers_and_admins_are_offered_the_pages(guarded) -> None:
    port = guarded.console.port
    router = Browser(port)
    router.post("/sign-in", {"token": ROUTER})
    page = router.get("/rule-sets/fulfilment").body
    assert 'href="/decisions"' not in page and "/replay" not in page and "/insights" not in page
    assert router.get("/decisions?q=SO-1").status == 403
    for token in (AUTHOR, REVIEWER):
        person = Browser(port)
        person.post("/sign-in", {"token": token})
        page = person.get("/rule-sets/fulfilment").body
        assert 'href="/decisions"' in page and 'href="/rule-sets/fulfilment/replay"' in page
        assert person.get("/decisions?q=SO-1").status == 404
        assert person.get("/rule-sets/fulfilment/insights").status == 200


def test_an_amount_compared_on_a_single_report_has_no_interval_and_is_not_marked() -> None:
    from service.console.i18n import Language
    from service.console.insights_view import insights_view

    one = pb.KpiEstimate(reports=1, mean=880.0, low=880.0, high=880.0)
    many = pb.KpiEstimate(reports=300, mean=839.5, low=836.6, high=842.4)
    rule = pb.RuleInsight(
        rule_id="r",
        matched=300,
        decided=300,
        kpis=[
            pb.KpiComparison(
                metric="logistics_cost_minor",
                decided=many,
                rest=one,
                difference=-40.5,
                difference_low=-40.5,
                difference_high=-40.5,
            ),
            pb.KpiComparison(
                metric="exception",
                decided=pb.KpiEstimate(reports=300, mean=0.3, low=0.25, high=0.35),
                rest=pb.KpiEstimate(reports=1, mean=0.0, low=0.0, high=0.79),
                difference=0.3,
                difference_low=-0.5,
                difference_high=0.35,
            ),
        ],
    )
    view = insights_view(pb.GetRuleInsightsResponse(rule_set="s", version=1, orders=301, rules=[rule]), Language("en"))
    exception, cost = view.rules[0].kpis
    assert (exception.metric, cost.metric) == ("exception", "logistics_cost_minor"), "exception first"
    assert (cost.tone, cost.difference, cost.difference_interval, cost.rest_interval) == (
        "unclear",
        "-40.5 minor units",
        "",
        "",
    )
    assert 'class="band' not in cost.chart, "no interval to draw"
    assert exception.difference_interval == "-50 points to +35 points" and exception.tone == "unclear"
