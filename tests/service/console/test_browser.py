"""Console journeys in a real headless Chromium (the OS package, driven by Playwright), found by role and
name as a screen reader would. Each page is saved as a screenshot in tests/.screenshots/."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.service.api.test_auth import AUTHOR, REVIEWER, ROUTER
from tests.service.console.conftest import shot


def test_an_author_signs_in_and_reads_a_version_as_a_decision_table(chromium, guarded_console) -> None:
    context = chromium.new_context(locale="en-US", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    base = f"http://127.0.0.1:{guarded_console.port}"
    page.goto(f"{base}/rule-sets")
    shot(page, "sign-in")
    page.get_by_label("Token").fill(AUTHOR)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Rule sets").wait_for()
    assert page.get_by_text("alice").is_visible()
    shot(page, "rule-sets")
    page.get_by_role("link", name="fulfilment").click()
    page.get_by_role("heading", name="fulfilment").wait_for()
    shot(page, "versions")
    page.get_by_role("link", name="v1", exact=True).first.click()
    table = page.get_by_role("table")
    express = table.get_by_role("row", name="repeat-customer-express")
    assert "at least 3" in express.inner_text() and "EXPRESS" in express.inner_text()
    assert table.get_by_role("columnheader", name="customer.repeat_purchases").is_visible()
    shot(page, "version-table")
    page.get_by_role("navigation", name="Language").get_by_role("link", name="简体中文").click()
    page.get_by_role("columnheader", name="优先级").wait_for()
    assert "至少 3" in page.get_by_role("table").get_by_role("row", name="repeat-customer-express").inner_text()
    shot(page, "version-table-zh")
    page.get_by_role("button", name="退出").click()
    page.get_by_role("heading", name="登录").wait_for()
    context.close()


def test_without_tokens_everyone_sees_the_warning_in_their_language(chromium, open_console) -> None:
    context = chromium.new_context(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    page = context.new_page()
    page.goto(f"http://127.0.0.1:{open_console.port}/")
    page.get_by_role("heading", name="规则集").wait_for()
    assert "任何能打开此页面的人都可以修改路由" in page.get_by_role("alert").inner_text()
    shot(page, "rule-sets-open-zh")
    context.close()


def sign_in(chromium, base: str, token: str, locale: str = "en-US"):
    context = chromium.new_context(
        locale=locale, viewport={"width": 1400, "height": 900}, extra_http_headers={"Accept-Language": locale}
    )
    page = context.new_page()
    page.goto(f"{base}/sign-in")
    page.get_by_label("Token" if locale.startswith("en") else "令牌").fill(token)
    page.get_by_role("button", name="Sign in" if locale.startswith("en") else "登录").click()
    page.wait_for_url(f"{base}/rule-sets")
    return context, page


def test_the_author_cannot_approve_a_reviewer_approves_activates_and_rolls_back(chromium, guarded) -> None:
    base = f"http://127.0.0.1:{guarded.console.port}"
    guarded.publish_candidate(AUTHOR)
    # (b) The author sees the version but no control to approve or activate it.
    context, page = sign_in(chromium, base, AUTHOR)
    page.goto(f"{base}/rule-sets/fulfilment/versions/2")
    assert page.get_by_role("heading", name="Review: 0 of 1 approvals").is_visible()
    assert page.get_by_role("button", name="Approve").count() == 0
    assert page.get_by_role("button", name="Activate this version").count() == 0
    shot(page, "version-author")
    context.close()
    # A reviewer tries to activate first: refused, and the page says why.
    context, page = sign_in(chromium, base, REVIEWER)
    page.goto(f"{base}/rule-sets/fulfilment/versions/2")
    page.get_by_label("Reason").fill("express from 2 repeats")
    page.get_by_role("button", name="Activate this version").click()
    assert "0 of the 1 approvals required" in page.get_by_role("alert").inner_text()
    shot(page, "version-not-approved")
    # The reviewer reads the changes, approves, then (c) activates with a reason.
    page.get_by_role("link", name="Changes from the active version").click()
    changed = page.get_by_role("row", name="repeat-customer-express")
    assert "at least 3" in changed.inner_text() and "at least 2" in changed.inner_text()
    shot(page, "changes")
    page.go_back()
    page.get_by_label("Comment (required to reject)").fill("checked the threshold")
    page.get_by_role("button", name="Approve").click()
    assert page.get_by_role("status").inner_text() == "You approved this version."
    page.get_by_label("Reason").fill("express from 2 repeats")
    page.get_by_role("button", name="Activate this version").click()
    assert page.get_by_role("status").inner_text() == "This version is active now."
    # Then rolls back from the history.
    page.get_by_role("link", name="History").click()
    rollback = page.get_by_role("row").filter(has=page.get_by_role("button", name="Roll back to v1"))
    rollback.get_by_label("Reason").fill("exceptions up at the DC")
    shot(page, "history")
    rollback.get_by_role("button", name="Roll back to v1").click()
    assert page.get_by_role("status").inner_text() == "This version is active now."
    assert "v1" in page.get_by_role("heading", level=1).inner_text()
    context.close()


def test_a_router_sees_no_control_that_changes_routing_in_chinese(chromium, guarded) -> None:
    # (d), in Simplified Chinese.
    base = f"http://127.0.0.1:{guarded.console.port}"
    guarded.publish_candidate(AUTHOR)
    context, page = sign_in(chromium, base, ROUTER, locale="zh-CN")
    page.goto(f"{base}/rule-sets/fulfilment/versions/2")
    page.get_by_role("heading", name="评审：已批准 0 / 需要 1").wait_for()
    assert page.get_by_role("button").filter(has_text="批准").count() == 0
    assert page.get_by_role("button", name="启用此版本").count() == 0
    page.goto(f"{base}/rule-sets/fulfilment/history")
    assert page.get_by_role("button").filter(has_text="回滚").count() == 0
    shot(page, "history-router-zh")
    context.close()


def test_an_author_tries_a_sample_order_and_sees_which_rule_decided_what(chromium, open_console) -> None:
    context = chromium.new_context(locale="en-US", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"http://127.0.0.1:{open_console.port}/rule-sets/fulfilment/versions/1")
    page.get_by_label("A sample order").select_option("01-plus-member.yaml")
    page.get_by_role("button", name="Try", exact=True).click()
    tried = page.get_by_role("table").filter(has_text="Every rule on this order")
    tried.wait_for()
    assert "decided" in tried.get_by_role("row", name="plus-forward-warehouse").inner_text()
    assert "did not match" in tried.get_by_role("row", name="fraud-manual-review").inner_text()
    assert page.url.endswith("/versions/1")  # htmx swapped the result in: no page load
    page.get_by_role("heading", name="Try an order").scroll_into_view_if_needed()
    shot(page, "try-an-order")
    context.close()


def test_an_author_lowers_the_express_threshold_fixes_the_test_tries_an_order_and_publishes(chromium, guarded) -> None:
    # (a): the table editor, the failing test on its row, the YAML side, a trial, publish.
    base = f"http://127.0.0.1:{guarded.console.port}"
    context, page = sign_in(chromium, base, AUTHOR)
    page.goto(f"{base}/rule-sets/fulfilment")
    page.get_by_role("link", name="Edit as a draft").click()
    shot(page, "draft")
    condition = page.get_by_role("form", name="Change a condition")
    condition.get_by_label("Rule").select_option("repeat-customer-express")
    condition.get_by_label("Fact").select_option("customer.repeat_purchases")
    condition.get_by_label("Test", exact=True).select_option("at_least")  # htmx reloaded the operators a number takes
    condition.get_by_label("Value").fill("2")
    condition.get_by_role("button", name="Apply").click()
    express = page.get_by_role("table").first.get_by_role("row", name="repeat-customer-express")
    assert "at least 2" in express.inner_text()
    failed = page.get_by_role("row", name="two repeat purchases stay on the standard path")
    assert "failed" in failed.inner_text() and "want 'STANDARD', got 'EXPRESS'" in failed.inner_text()
    shot(page, "draft-test-fails")
    source = page.get_by_label("The same draft as YAML").input_value()
    fixed = source.replace(
        "    expect:\n      path: STANDARD\n      default_rule_used: true\n",
        "    expect:\n      path: EXPRESS\n      carrier: SF_EXPRESS\n",
        1,
    )
    assert fixed != source
    page.get_by_label("The same draft as YAML").fill(fixed)
    page.get_by_role("button", name="Save the YAML").click()
    assert page.get_by_role("status").first.inner_text() == "No errors, and every test passes: ready to publish."
    page.get_by_label("A sample order").select_option("03-repeat-customer.yaml")
    page.get_by_role("button", name="Try", exact=True).click()
    tried = page.get_by_role("table").filter(has_text="Every rule on this order")
    assert "decided" in tried.get_by_role("row", name="repeat-customer-express").inner_text()
    beside = page.get_by_role("table").filter(has_text="beside the active version")
    assert "EXPRESS" in beside.get_by_role("row", name="Path").inner_text()  # as the active version decides
    shot(page, "draft-tried")
    page.get_by_label("What changed, for the reviewer").fill("express lane from 2 repeat purchases")
    page.get_by_role("button", name="Publish as a new version").click()
    assert page.get_by_role("status").inner_text() == "Published: a reviewer can approve it now."
    assert "v2" in page.get_by_role("heading", level=1).inner_text()
    shot(page, "published")
    context.close()


def test_an_author_sees_a_mistake_on_its_cell_and_tries_an_order_filled_in_by_fact(chromium, open_console) -> None:
    context = chromium.new_context(locale="en-US", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"http://127.0.0.1:{open_console.port}/rule-sets/fulfilment/draft")
    page.get_by_label("Your name").fill(f"dee-{uuid.uuid4().hex[:6]}")  # a draft of its own, whatever ran before
    page.get_by_role("button", name="Continue").click()
    condition = page.get_by_role("form", name="Change a condition")
    condition.get_by_label("Rule", exact=True).select_option("repeat-customer-express")
    condition.get_by_label("Fact").select_option("customer.repeat_purchases")
    condition.get_by_label("Test", exact=True).select_option("at_least")
    condition.get_by_label("Value").fill("three")
    condition.get_by_role("button", name="Apply").click()
    express = page.get_by_role("table").first.get_by_role("row", name="repeat-customer-express")
    marked = express.locator("td.has-problem")
    assert marked.count() == 1 and "whole number" in marked.inner_text()
    assert "EXPRESS" in express.inner_text()
    shot(page, "draft-mistake-on-its-cell")
    assert condition.get_by_label("Rule", exact=True).input_value() == "repeat-customer-express"  # chosen again
    assert condition.get_by_label("Test", exact=True).input_value() == "at_least"
    condition.get_by_label("Value").fill("4")
    condition.get_by_role("button", name="Apply").click()
    assert "at least 4" in express.inner_text() and express.locator("td.has-problem").count() == 0
    page.get_by_text("Or fill in the facts one by one").click()
    page.get_by_label("customer.repeat_purchases").fill("5")
    page.get_by_label("customer.tier").select_option("REGULAR")
    page.get_by_role("button", name="Try", exact=True).click()
    tried = page.get_by_role("table").filter(has_text="Every rule on this order")
    assert "decided" in tried.get_by_role("row", name="repeat-customer-express").inner_text()
    # htmx swaps the marked table in beside the result: wait for it rather than race it.
    expect(page.locator("#rule-repeat-customer-express")).to_have_class(re.compile(r"\btried-decided\b"))
    shot(page, "draft-order-filled-in")
    page.get_by_role("button", name="Discard the draft").click()
    context.close()
