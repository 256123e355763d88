"""The soak's short form: a real service keeps its memory flat over rule set versions and validations.

Before rules.engine deleted each ruleset's session state, every version routed in batches of 100
left ~0.9 MB in the server and every check ~0.18 MB in the check process: here that is 90 and
18 MB per 100 cycles. A run this short is still warming up after its first 100 cycles (allocator
arenas and bounded caches filling: +2.1 MB per 100 in one CI run, where 1,000 cycles show 0.13), so
its bound is 5 MB per 100, still far below either leak; `python -m loadtest.soak` holds 2.
"""

from __future__ import annotations

import json
from pathlib import Path

from loadtest import soak


def test_memory_stays_flat_over_versions_and_validations(tmp_path: Path) -> None:
    out = tmp_path / "soak.json"
    argv = ["--cycles", "200", "--validations", "200", "--warmup", "100", "--every", "50", "--bound-mb", "5"]
    argv += ["--json", str(out)]
    code = soak.main(argv)
    figures = json.loads(out.read_text())
    cycles, validations = figures["cycles"], figures["validations"]
    assert cycles["failures"] == [] and validations["failures"] == []
    growth = {
        "server over versions": cycles["server"]["growth_mb_per_100"],
        "check process over publishes": cycles["check_process"]["growth_mb_per_100"],
        "check process over validations": validations["check_process"]["growth_mb_per_100"],
    }
    assert all(mb <= figures["bound_mb_per_100"] for mb in growth.values()), growth
    assert code == 0
