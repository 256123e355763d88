"""Console journeys in a real headless Chromium (the OS package, driven by Playwright), found by role and
name as a screen reader would. Each page is saved as a screenshot in tests/.screenshots/."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.service.api.test_auth import AUTHOR

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".screenshots"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("CI installs chromium (.ci/run); it is missing")
        pytest.skip("no chromium here: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


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
