"""Every console page and action over HTTP, against a real service on a real Redis."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from service.api.wiring import App
from service.console import ConsoleError, ConsoleSettings, start_console
from tests.conftest import EXAMPLES
from tests.service.api.test_auth import AUTHOR, REVIEWER, ROUTER
from tests.service.console.conftest import Browser


def test_rule_sets_list_their_active_version_and_last_change(open_console) -> None:
    page = Browser(open_console.port).get("/rule-sets")
    assert page.status == 200
    assert '<a href="/rule-sets/fulfilment">fulfilment</a>' in page.body
    assert "activated v1" in page.body and "orderroute-seed" in page.body
    assert "anyone who can open this page can change routing" in page.body  # no tokens: the banner
    assert page.headers["content-security-policy"].startswith("default-src 'self'")


def test_a_version_is_a_decision_table_with_its_rules_in_plain_words(open_console) -> None:
    browser = Browser(open_console.port)
    versions = browser.get("/rule-sets/fulfilment")
    assert '<a href="/rule-sets/fulfilment/versions/1">v1</a>' in versions.body and "active" in versions.body
    assert "<td>no review required</td>" in versions.body  # no tokens: no approvals required
    page = browser.get("/rule-sets/fulfilment/versions/1")
    assert page.status == 200
    assert 'id="rule-repeat-customer-express"' in page.body and "at least 3" in page.body
    assert "When customer.repeat_purchases is at least 3: Path EXPRESS;" in page.body
    assert page.body.index('id="rule-standard"') > page.body.index('id="rule-fraud-manual-review"')


def test_pages_speak_the_browsers_language_and_the_switch_wins(open_console) -> None:
    browser = Browser(open_console.port, language="zh-CN,zh;q=0.9")
    assert "<h1>规则集</h1>" in browser.get("/rule-sets").body
    switched = browser.get("/language/en?next=/rule-sets/fulfilment")
    assert (switched.status, switched.headers["location"]) == (303, "/rule-sets/fulfilment")
    assert "<h1>fulfilment</h1>" in browser.get("/rule-sets/fulfilment").body
    assert "Versions, newest first" in browser.get("/rule-sets/fulfilment").body


def test_what_does_not_exist_is_a_page_that_says_so(open_console) -> None:
    browser = Browser(open_console.port)
    missing = browser.get("/rule-sets/nope/versions/3")
    assert missing.status == 404 and "NOT_FOUND" in missing.body
    assert browser.get("/rule-sets/fulfilment/versions/x").status == 404


def test_with_tokens_people_sign_in_and_see_who_they_are(guarded_console) -> None:
    browser = Browser(guarded_console.port)
    first = browser.get("/rule-sets/fulfilment")
    assert (first.status, first.headers["location"]) == (303, "/sign-in?next=/rule-sets/fulfilment")
    wrong = browser.post("/sign-in", {"token": "guess", "next": "/rule-sets/fulfilment"})
    assert wrong.status == 401 and "not one the service knows" in wrong.body
    signed = browser.post("/sign-in", {"token": AUTHOR, "next": "/rule-sets/fulfilment"})
    assert (signed.status, signed.headers["location"]) == (303, "/rule-sets/fulfilment")
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    page = browser.get("/rule-sets")
    assert "alice <small>(author)</small>" in page.body
    assert "<td>approved by" not in browser.get("/rule-sets/fulfilment").body  # the seeded example: no review
    assert "anyone who can open this page" not in page.body


def test_sign_out_needs_the_sessions_csrf_token(guarded_console) -> None:
    browser = Browser(guarded_console.port)
    browser.post("/sign-in", {"token": ROUTER})
    assert browser.post("/sign-out", {"csrf": "forged"}).status == 403
    assert browser.get("/rule-sets").status == 200  # still signed in
    out = browser.post("/sign-out", {"csrf": browser.csrf()})
    assert (out.status, out.headers["location"]) == (303, "/sign-in")
    assert browser.get("/rule-sets").status == 303


def test_sign_in_goes_back_only_to_a_page_of_this_console(guarded_console) -> None:
    browser = Browser(guarded_console.port)
    reply = browser.post("/sign-in", {"token": ROUTER, "next": "//evil.example/steal"})
    assert reply.headers["location"] == "/rule-sets"


def test_without_tokens_the_console_listens_on_loopback_only() -> None:
    with grpc.insecure_channel("127.0.0.1:1") as channel, pytest.raises(ConsoleError, match=r"127\.0\.0\.1 only"):
        start_console(channel, "0.0.0.0", 0, ConsoleSettings(auth_enabled=False))


def test_reviews_and_activation_go_through_the_api_with_the_sessions_csrf_token(guarded) -> None:
    guarded.publish_candidate(AUTHOR)
    browser = Browser(guarded.console.port)
    browser.post("/sign-in", {"token": REVIEWER})
    version = "/rule-sets/fulfilment/versions/2"
    assert browser.post(f"{version}/review", {"decision": "approve", "csrf": "forged"}).status == 403
    refused = browser.post(f"{version}/activate", {"reason": "go", "csrf": browser.csrf(version)})
    assert refused.status == 409 and "0 of the 1 approvals required" in refused.body
    approved = browser.post(f"{version}/review", {"decision": "approve", "csrf": browser.csrf(version)})
    assert (approved.status, approved.headers["location"]) == (303, f"{version}?done=approved")
    assert "You approved this version." in browser.get(approved.headers["location"]).body
    done = browser.post(f"{version}/activate", {"reason": "express from 2", "csrf": browser.csrf(version)})
    assert done.headers["location"] == f"{version}?done=activated"
    history = browser.get("/rule-sets/fulfilment/history.csv?action=activate")
    assert history.headers["content-type"].startswith("text/csv")
    rows = history.body.splitlines()
    assert rows[0] == "at_utc,action,version,actor,reason,bypass_reason,previous_version,snapshot"
    assert rows[1].split(",")[1:5] == ["activate", "2", "rita", "express from 2"] and len(rows) == 3


def test_a_rejection_without_a_comment_is_explained_on_the_page(guarded) -> None:
    guarded.publish_candidate(AUTHOR)
    browser = Browser(guarded.console.port)
    browser.post("/sign-in", {"token": REVIEWER})
    version = "/rule-sets/fulfilment/versions/2"
    page = browser.post(f"{version}/review", {"decision": "reject", "csrf": browser.csrf(version)})
    assert page.status == 409 and "comment: is required when rejecting" in page.body


def test_an_order_is_tried_on_a_version_whole_page_or_as_a_fragment(open_console) -> None:
    browser = Browser(open_console.port)
    version = "/rule-sets/fulfilment/versions/1"
    page = browser.post(f"{version}/try", {"sample": "03-repeat-customer.yaml", "csrf": browser.csrf(version)})
    assert page.status == 200 and "<h1>fulfilment v1" in page.body
    assert '<tr class="decided"><th scope="row"><code>repeat-customer-express</code>' in page.body
    fragment = browser._send(
        "POST", f"{version}/try", "order=order_id%3A+SO-1%0Acustomer%3A+%7Btier%3A+VPI%7D&csrf=" + browser.csrf(version)
    )
    assert fragment.status == 200  # without HX-Request: the whole page, with the problem on it
    assert "customer.tier: unknown value &#39;VPI&#39;" in fragment.body


def test_htmx_gets_only_the_result(open_console) -> None:
    browser = Browser(open_console.port)
    version = "/rule-sets/fulfilment/versions/1"
    connection_headers = {"HX-Request": "true"}
    reply = browser.post(
        f"{version}/try", {"order": "order_id: SO-9\n", "csrf": browser.csrf(version)}, connection_headers
    )
    assert "<html" not in reply.body and '<tr class="decided"><th scope="row"><code>standard</code>' in reply.body


def test_a_draft_is_edited_cell_by_cell_kept_on_the_server_and_refused_while_a_test_fails(open_console) -> None:
    browser = Browser(open_console.port)
    draft = "/rule-sets/fulfilment/draft"
    assert "Your name" in browser.get(draft).body  # without tokens: whose draft, first
    browser.post(f"{draft}/name", {"actor": "ana", "csrf": browser.csrf(draft)})
    page = browser.get(draft)
    assert "Started from v1" in page.body and "at least 3" in page.body
    edit = {"what": "condition", "rule": "repeat-customer-express", "fact": "customer.repeat_purchases"}
    done = browser.post(f"{draft}/edit", {**edit, "op": "at_least", "value": "2", "csrf": browser.csrf(draft)})
    assert (done.status, done.headers["location"].split("?")[0]) == (303, draft)
    page = browser.get(draft)
    assert "at least 2" in page.body and '<tr class="failed">' in page.body
    again = Browser(open_console.port, cookies=dict(browser.cookies))  # the draft is on the server
    assert "at least 2" in again.get(draft).body
    wrong = browser.post(
        f"{draft}/edit", {"what": "priority", "rule": "nope", "priority": "3", "csrf": browser.csrf(draft)}
    )
    assert wrong.status == 409 and "no rule &#39;nope&#39;" in wrong.body
    refused = browser.post(f"{draft}/publish", {"comment": "x", "csrf": browser.csrf(draft)})
    assert refused.status == 409 and "two repeat purchases stay on the standard path" in refused.body
    gone = browser.post(f"{draft}/discard", {"csrf": browser.csrf(draft)})
    assert gone.headers["location"] == "/rule-sets/fulfilment"
    assert "at least 3" in browser.get(draft).body  # a new draft starts from the active version again


def test_yaml_typed_in_the_draft_is_saved_and_checked_as_a_fragment(open_console) -> None:
    browser = Browser(open_console.port)
    draft = "/rule-sets/fulfilment/draft"
    browser.get(draft)
    browser.post(f"{draft}/name", {"actor": "ana", "csrf": browser.csrf(draft)})
    checks = browser.post(
        f"{draft}/yaml", {"source": "name: fulfilment\nrules: [\n", "csrf": browser.csrf(draft)}, {"HX-Request": "true"}
    )
    assert '<div id="draft-checks">' in checks.body and "not valid YAML" in checks.body and "<html" not in checks.body
    assert "cannot be shown as a table until its YAML parses" in browser.get(draft).body


def test_the_history_filters_by_day_too(open_console) -> None:
    browser = Browser(open_console.port)
    today = datetime.now(UTC).date()
    kept = browser.get(f"/rule-sets/fulfilment/history.csv?since={today}&until={today}")
    assert len(kept.body.splitlines()) == 3  # the header, the seeded publish and activation
    later = today + timedelta(days=1)
    assert len(browser.get(f"/rule-sets/fulfilment/history.csv?since={later}").body.splitlines()) == 1
    assert len(browser.get("/rule-sets/fulfilment/history.csv?since=yesterday").body.splitlines()) == 3


def test_a_tried_order_is_saved_as_a_test_case_of_the_draft(open_console) -> None:
    browser = Browser(open_console.port)
    draft = "/rule-sets/fulfilment/draft"
    browser.get(draft)
    browser.post(f"{draft}/name", {"actor": "ana", "csrf": browser.csrf(draft)})
    order = "order_id: SO-7\ncustomer: {customer_id: c-7, repeat_purchases: 5}\n"
    tried = browser.post(f"{draft}/try", {"order": order, "csrf": browser.csrf(draft)})
    assert 'action="/rule-sets/fulfilment/draft/save-test"' in tried.body
    assert "beside the active version (v1)" in tried.body
    saved = browser.post(
        f"{draft}/save-test", {"order": order, "test_name": "SO-7 express", "csrf": browser.csrf(draft)}
    )
    assert saved.headers["location"] == draft
    page = browser.get(draft)
    assert "SO-7 express" in page.body and "No errors, and every test passes" in page.body
    assert "      path: EXPRESS\n      risk_review: STANDARD" in html.unescape(page.body)


def test_every_page_title_is_text_only(open_console) -> None:
    browser = Browser(open_console.port)
    for path in (
        "/rule-sets",
        "/rule-sets/fulfilment",
        "/rule-sets/fulfilment/versions/1",
        "/rule-sets/fulfilment/history",
    ):
        title = re.search(r"<title>(.*?)</title>", browser.get(path).body, re.S)
        assert title and "<" not in title.group(1) and len(title.group(1)) < 80, path


def test_a_mistake_is_shown_on_its_cell_and_its_yaml_line_and_the_table_stays(open_console) -> None:
    browser = Browser(open_console.port)
    draft = "/rule-sets/fulfilment/draft"
    browser.get(draft)
    browser.post(f"{draft}/name", {"actor": "bo", "csrf": browser.csrf(draft)})
    edit = {"what": "condition", "rule": "repeat-customer-express", "fact": "customer.repeat_purchases"}
    browser.post(f"{draft}/edit", {**edit, "op": "at_least", "value": "three", "csrf": browser.csrf(draft)})
    page = browser.get(draft).body
    row = re.search(r'<tr id="rule-repeat-customer-express".*?</tr>', page, re.S)
    assert row is not None, "the table stays on screen with the rule's row"
    cells = re.findall(r"<td class=\"([^\"]*)\">(.*?)</td>", row.group(0), re.S)
    marked = [text for kind, text in cells if "has-problem" in kind]
    assert len(marked) == 1 and "customer.repeat_purchases" in marked[0] and "whole number" in marked[0]
    assert any("EXPRESS" in text for _, text in cells)  # the rest of the rule still reads
    assert '<code class="yaml-line">customer.repeat_purchases: {at_least: three}</code>' in page
    browser.post(f"{draft}/discard", {"csrf": browser.csrf(draft)})


def test_the_table_editor_adds_an_either_or_test_and_reorders_rules_of_one_priority(open_console) -> None:
    browser = Browser(open_console.port)
    draft = "/rule-sets/fulfilment/draft"
    browser.get(draft)
    browser.post(f"{draft}/name", {"actor": "cy", "csrf": browser.csrf(draft)})
    either = {"what": "condition", "rule": "plus-forward-warehouse", "fact": "channel", "group": "any"}
    browser.post(f"{draft}/edit", {**either, "op": "equals", "value": "APP", "csrf": browser.csrf(draft)})
    browser.post(
        f"{draft}/edit",
        {**either, "op": "equals", "value": "VIP", "fact": "customer.tier", "csrf": browser.csrf(draft)},
    )
    page = html.unescape(browser.get(draft).body)
    assert "either channel is APP or customer.tier is VIP" in page
    moved = browser.post(
        f"{draft}/edit",
        {"what": "move", "rule": "presale-hold-balance", "direction": "up", "csrf": browser.csrf(draft)},
    )
    assert moved.status == 303
    order = re.findall(r'<tr id="rule-([^"]+)"', browser.get(draft).body)
    assert order.index("presale-hold-balance") < order.index("cross-border-return-bonded")
    refused = browser.post(
        f"{draft}/edit",
        {"what": "move", "rule": "fraud-manual-review", "direction": "up", "csrf": browser.csrf(draft)},
    )
    assert refused.status == 409 and "no rule of priority 1 above" in html.unescape(refused.body)
    browser.post(f"{draft}/discard", {"csrf": browser.csrf(draft)})


def test_an_order_filled_in_fact_by_fact_is_tried_and_a_wrong_value_names_its_field(open_console) -> None:
    browser = Browser(open_console.port)
    version = "/rule-sets/fulfilment/versions/1"
    page = browser.get(version).body
    assert '<select id="of-fact-customer-tier" name="fact:customer.tier">' in page
    assert 'name="line1:hazmat"' in page and 'type="number" step="any"' in page
    facts = {"fact:order_id": "SO-8", "fact:customer.repeat_purchases": "4", "fact:customer.tier": "REGULAR"}
    tried = browser.post(f"{version}/try", {**facts, "csrf": browser.csrf(version)}, {"HX-Request": "true"})
    assert '<tr class="decided"><th scope="row"><code>repeat-customer-express</code>' in tried.body
    marked = re.search(r'<div class="scroll" id="decision-table" hx-swap-oob="true">.*?</div>', tried.body, re.S)
    assert marked is not None, "the decision table comes along, its rows marked"
    assert '<tr id="rule-repeat-customer-express" class=" tried-decided">' in marked.group(0)
    assert '<tr id="rule-plus-forward-warehouse" class=" tried-no">' in marked.group(0)
    hazmat = {"fact:order_id": "SO-9", "line1:sku": "X", "line1:qty": "1", "line1:hazmat": "yes"}
    tried = browser.post(f"{version}/try", {**hazmat, "csrf": browser.csrf(version)}, {"HX-Request": "true"})
    assert '<tr class="decided"><th scope="row"><code>hazmat-no-store</code>' in tried.body
    wrong = browser.post(f"{version}/try", {"fact:item_count": "two", "csrf": browser.csrf(version)})
    assert "item_count: a whole number, got &#39;two&#39;" in wrong.body
    assert 'name="fact:item_count" type="number" step="1" value="two"' in wrong.body  # kept for fixing


def test_a_draft_tries_an_order_filled_in_fact_by_fact(open_console) -> None:
    browser = Browser(open_console.port)
    draft = "/rule-sets/fulfilment/draft"
    browser.get(draft)
    browser.post(f"{draft}/name", {"actor": "eve", "csrf": browser.csrf(draft)})
    facts = {"fact:customer.repeat_purchases": "5", "fact:customer.tier": "REGULAR", "csrf": browser.csrf(draft)}
    tried = browser.post(f"{draft}/try", {**facts, "fact:order_id": "TRY-1"}, {"HX-Request": "true"})
    assert '<tr class="decided"><th scope="row"><code>repeat-customer-express</code>' in tried.body
    assert 'hx-swap-oob="true"' in tried.body and 'class=" tried-decided"' in tried.body
    nameless = browser.post(f"{draft}/try", {"order": "channel: APP", "csrf": facts["csrf"]}, {"HX-Request": "true"})
    assert nameless.status == 200 and "order.order_id: is required" in nameless.body  # was an error page
    assert '<input id="of-fact-order_id" name="fact:order_id" value="TRY-1">' in browser.get(draft).body


def test_a_versions_review_page_shows_what_it_would_change_on_the_latest_logged_orders(
    open_console, target, app: App
) -> None:
    browser = Browser(open_console.port)
    with grpc.insecure_channel(target) as channel:
        source = (EXAMPLES / "fulfilment-candidate.yaml").read_text()
        pb_grpc.RuleSetServiceStub(channel).PublishRuleSet(pb.PublishRuleSetRequest(source=source, author="ana"))
        assert "No logged orders to measure the change on yet." in browser.get(BLAST).body
        orders = [
            pb.Order(order_id=f"SO-BR{i}", customer=pb.Customer(customer_id=f"c-br{i}", repeat_purchases=i % 4))
            for i in range(200)
        ]
        pb_grpc.RoutingServiceStub(channel).RouteBatch(pb.RouteBatchRequest(orders=orders))
    assert app.decisions.flush()
    page = browser.get("/rule-sets/fulfilment/versions/2").body
    assert f'hx-get="{BLAST}"' in page, "the review page fetches it once loaded"
    fragment = browser.get(BLAST)
    assert fragment.status == 200 and "<html" not in fragment.body
    assert "Changes path for 25% of the last 200 logged orders." in html.unescape(fragment.body)
    browser.language = "zh-CN"
    assert "在最近记录的 200 个订单中，改变其中 25% 的 path。" in html.unescape(browser.get(BLAST).body)


BLAST = "/rule-sets/fulfilment/versions/2/blast"
