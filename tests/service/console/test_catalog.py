"""Two languages from the start: every string the console shows goes through the catalog, and the
Simplified Chinese catalog translates every one of them."""

from __future__ import annotations

import re
from pathlib import Path

from service.console.i18n import CATALOG, catalog, negotiate
from service.console.messages import HERE, all_messages

PLACEHOLDER = re.compile(r"%\((\w+)\)s")
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
TAG = re.compile(r"<[^>]*>")
ENTITY = re.compile(r"&\w+;")


def test_every_message_is_translated_with_the_same_placeholders() -> None:
    translated = catalog("zh_CN")
    missing = sorted(all_messages() - translated.keys())
    assert not missing, f"add to {CATALOG}: {missing}"
    for message in all_messages():
        assert set(PLACEHOLDER.findall(message)) == set(PLACEHOLDER.findall(translated[message])), message


def test_the_catalog_holds_no_message_the_console_no_longer_shows() -> None:
    assert not sorted(catalog("zh_CN").keys() - all_messages())


def test_no_template_shows_text_outside_the_catalog() -> None:
    for path in sorted((HERE / "templates").glob("*.html")):
        text = ENTITY.sub(" ", TAG.sub(" ", JINJA.sub(" ", path.read_text())))
        words = [w for w in text.split() if re.search(r"[^\W\d_]", w)]
        assert not words, f"{path.name}: {words} shown without _()"


def test_a_planted_bare_string_is_caught(tmp_path: Path) -> None:
    page = '<p>{{ _("Rule sets") }}</p><p>Rule sets</p>'
    text = TAG.sub(" ", JINJA.sub(" ", page))
    assert [w for w in text.split() if re.search(r"[^\W\d_]", w)] == ["Rule", "sets"]


def test_the_language_follows_the_switch_then_the_browser() -> None:
    assert negotiate(None, "zh-CN,zh;q=0.9,en;q=0.8") == "zh_CN"
    assert negotiate(None, "en-GB,en;q=0.9,zh;q=0.5") == "en"
    assert negotiate(None, "fr-FR, de;q=0.5") == "en"
    assert negotiate("zh_CN", "en-US") == "zh_CN"
    assert negotiate("xx", "zh-TW;q=0.3, fr") == "zh_CN"
    assert negotiate(None, "zh;q=oops") == "en"
