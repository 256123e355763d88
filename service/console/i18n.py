"""The console's two languages: English (the source strings) and Simplified Chinese (the catalog).

Every user-visible string is written in English inside `_()` (templates and Python alike) and looked
up in locale/zh_CN/LC_MESSAGES/messages.po; tests/service/console/test_catalog.py fails on a string
outside `_()` in a template, and on one the catalog does not translate. The language follows the
`lang` cookie (set by the switch on every page), else the browser's Accept-Language.
Numbers and dates are formatted for the language with Babel.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from babel import Locale, dates, numbers
from babel.messages.pofile import read_po

LOCALES = ("en", "zh_CN")
"""The languages shipped; the first is the source language."""
LANGUAGE_NAMES = {"en": "English", "zh_CN": "简体中文"}
"""Each language's name in itself (the switch shows these, untranslated)."""
CATALOG = Path(__file__).parent / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po"


@cache
def catalog(locale: str) -> Mapping[str, str]:
    """msgid -> translation; empty for the source language."""
    if locale == LOCALES[0]:
        return {}
    with CATALOG.open("rb") as handle:
        messages = read_po(handle, locale=locale)
    return {str(m.id): str(m.string) for m in messages if m.id and m.string and isinstance(m.id, str)}


def negotiate(cookie: str | None, accept_language: str) -> str:
    """The language for a request: the switch's cookie, else the best of Accept-Language, else English."""
    if cookie in LOCALES:
        return cookie
    wanted = []
    for part in accept_language.split(","):
        tag, _, quality = part.strip().partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            continue
        if tag:
            wanted.append((weight, tag.replace("-", "_")))
    for _, tag in sorted(wanted, key=lambda w: -w[0]):
        if tag.lower().startswith("zh"):
            return "zh_CN"
        if tag.lower().startswith("en"):
            return "en"
    return LOCALES[0]


@dataclass(frozen=True, slots=True)
class Language:
    """What a page renders with: the translation function and the locale's formats."""

    code: str

    @property
    def tag(self) -> str:
        """For <html lang>: zh-CN."""
        return self.code.replace("_", "-")

    def gettext(self, message: str, **values: object) -> str:
        text = catalog(self.code).get(message, message)
        return text % values if values else text

    def number(self, value: float, digits: int = 2) -> str:
        if float(value).is_integer():
            return numbers.format_decimal(value, format="#,##0", locale=self.code)
        return numbers.format_decimal(round(value, digits), locale=self.code)

    def datetime(self, at: datetime) -> str:
        return dates.format_datetime(at, "medium", locale=self.code)

    @property
    def locale(self) -> Locale:
        return Locale.parse(self.code)


Translate = Callable[..., str]
