"""Rule set sources are parsed in time proportional to their size, with a depth limit and without
recursion, and plain data reads exactly as PyYAML's safe loader reads it."""

from __future__ import annotations

import time

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import rules
from rules._yaml import MAX_DEPTH, YamlError, load_yaml
from tests.servers import cli

NESTED_FLOW = "name: x\ndescription: " + "[" * 20_000 + "]" * 20_000 + "\n"  # 40 KB: 36 s before
NESTED_BLOCK = "name: x\nrules:\n" + "- " * 1_000 + "x\n"  # block sequences, one per "- "


@pytest.mark.parametrize("source", [NESTED_FLOW, NESTED_BLOCK], ids=["40 KB of nested flow", "1,000 levels"])
def test_a_deeply_nested_source_is_refused_quickly_with_its_line(source: str) -> None:
    started = time.perf_counter()
    result = rules.check(source, "deep.yaml")
    assert time.perf_counter() - started < 1.0
    assert not result.valid
    assert any("nest" in d.message and d.line >= 1 for d in result.diagnostics), result.diagnostics


def test_the_depth_limit_is_counted_exactly() -> None:
    def nested(levels: int) -> str:
        return "[" * levels + "]" * levels

    assert load_yaml(nested(MAX_DEPTH)) is not None
    with pytest.raises(YamlError, match=f"deeper than {MAX_DEPTH}"):
        load_yaml(nested(MAX_DEPTH + 1))


def test_the_cli_says_file_and_line_for_a_deep_source_not_a_traceback(tmp_path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(NESTED_BLOCK)
    result = cli("rules", "validate", str(path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert f"{path}:" in result.stdout and "nest" in result.stdout


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["NO", "yes", "1e-6", "0x10", "null", "~", "2026-12-02", "'quoted'", "a: b", "- x"]),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(data=documents, flow=st.sampled_from([None, True, False]))
def test_plain_data_reads_as_the_safe_loader_reads_it(data: object, flow: bool | None) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True)
    assert load_yaml(text) == yaml.safe_load(text)
