"""The console's vendored htmx is the pinned release, byte for byte (no CDN, no build step)."""

from __future__ import annotations

import hashlib

from service.console.app import HERE, HTMX

HTMX_SHA256 = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"
"""htmx.org 2.0.11, dist/htmx.min.js from the npm registry's tarball."""


def test_the_vendored_htmx_is_the_pinned_release() -> None:
    assert hashlib.sha256((HERE / "static" / HTMX).read_bytes()).hexdigest() == HTMX_SHA256
