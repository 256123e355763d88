"""Paging of list methods (Google AIP-158): `page_size` and `page_token` in, `next_page_token` out.

A token is opaque to clients: base64url of the list it belongs to (method and filter) and the key
of the last item returned, so the next page starts after that item however the list grew meanwhile
(lists here only grow or change at their newest end). A token from another list, or not one of
ours, is INVALID_ARGUMENT on `page_token`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from service.errors import InvalidArgument

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1_000

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page:
    size: int
    after: str
    """The key of the last item of the previous page ("" for the first page)."""
    scope: str

    def token(self, last_key: str) -> str:
        raw = json.dumps({"list": self.scope, "after": last_key}, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def of(self, items: Sequence[T], key: Callable[[T], str]) -> tuple[list[T], str]:
        """This page of `items` (in list order) and the next page's token ("" when this is the last)."""
        start = 0
        if self.after:
            keys = [key(item) for item in items]
            start = keys.index(self.after) + 1 if self.after in keys else len(items)
        page = list(items[start : start + self.size])
        more = start + self.size < len(items)
        return page, self.token(key(page[-1])) if more and page else ""


def page(
    scope: str, page_size: int, page_token: str, default: int = DEFAULT_PAGE_SIZE, most: int = MAX_PAGE_SIZE
) -> Page:
    """The page a request asks for, checked; `scope` names the list and its filter."""
    if page_size < 0:
        raise InvalidArgument("page_size", "must not be negative")
    size = min(page_size or default, most)
    if not page_token:
        return Page(size, "", scope)
    try:
        padded = page_token + "=" * (-len(page_token) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode()))
        token_scope, after = decoded["list"], decoded["after"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise InvalidArgument("page_token", "is not a page token this service gave out") from exc
    if token_scope != scope or not isinstance(after, str):
        raise InvalidArgument("page_token", "belongs to another list or filter; start again without it")
    return Page(size, after, scope)
