"""How hard the fuzz tests try: a quick pass in the suite, minutes on demand.

ORDERROUTE_FUZZ_EXAMPLES=20000 pytest tests -k fuzz     # a long fuzzing session
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings


def fuzz_settings(examples: int) -> settings:
    """`examples` in the suite, or ORDERROUTE_FUZZ_EXAMPLES when set."""
    return settings(
        max_examples=int(os.environ.get("ORDERROUTE_FUZZ_EXAMPLES") or examples),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
