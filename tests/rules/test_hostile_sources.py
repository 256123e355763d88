"""Rule set sources written to hurt: YAML bombs, code-loading tags, sizes past every limit, and
fuzzed documents. Each one gets diagnostics, never an exception, a hang or a side effect."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import given
from hypothesis import strategies as st

import rules
from rules.parse import MAX_DEPTH, MAX_RULES, MAX_SOURCE_BYTES
from tests.fuzzing import fuzz_settings

EXAMPLE = (Path(__file__).parents[2] / "rules" / "examples" / "fulfilment.yaml").read_text()
HEADER = "name: hostile\nrules:\n"


def codes(source: str) -> set[str]:
    result = rules.check(source, "hostile.yaml")
    assert not result.valid
    return {d.code for d in result.diagnostics if d.is_error}


def messages(source: str) -> str:
    return "\n".join(d.render() for d in rules.check(source, "hostile.yaml").diagnostics)


def rule(index: int, when: str = "{order_type: {equals: RETURN}}") -> str:
    return f"  - id: r{index}\n    priority: 5\n    when: {when}\n    then: {{path: EXPRESS}}\n"


def test_an_alias_bomb_is_refused_before_it_expands() -> None:
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        bomb += f"{level}: &{level} [*{previous},*{previous},*{previous},*{previous},*{previous},*{previous}]\n"
    assert "anchors and aliases" in messages(bomb)


def test_tags_that_would_run_code_are_refused(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    sources = [
        f'!!python/object/apply:os.system ["touch {marker}"]',
        f'name: x\nrules: !!python/object/apply:pathlib.Path.touch ["{marker}"]',
        "name: !!binary aGVsbG8=\nrules: []",
    ]
    for source in sources:
        assert not rules.check(source, "hostile.yaml").valid
    assert not marker.exists()


def test_every_size_limit_is_enforced() -> None:
    assert "too-large" in codes(HEADER + "".join(rule(i) for i in range(MAX_RULES + 1)))
    assert "too-large" in codes(HEADER + rule(0) + "# " + "x" * MAX_SOURCE_BYTES + "\n")
    deep = "{order_type: {equals: RETURN}}"
    for _ in range(MAX_DEPTH + 1):
        deep = "{all: [" + deep + "]}"
    assert "too-deep" in codes(HEADER + rule(0, deep))


def test_a_condition_too_deep_in_two_branches_is_said_once() -> None:
    deep = "{order_type: {equals: RETURN}}"
    for _ in range(MAX_DEPTH):
        deep = "{all: [" + deep + ", " + deep + "]}" if _ == MAX_DEPTH - 1 else "{all: [" + deep + "]}"
    result = rules.check(HEADER + rule(0, "{any: [" + deep + "]}"), "hostile.yaml")
    assert [d.code for d in result.errors].count("too-deep") == 1, [d.render() for d in result.errors]


def test_a_rule_set_cannot_name_files_or_code() -> None:
    # Facts are a closed schema and values are data: there is nothing to import or open.
    source = HEADER + rule(0, "{__import__: {equals: os}}") + rule(1, "{order_type: {equals: '../../etc/passwd'}}")
    assert {"unknown-fact", "type-mismatch"} <= codes(source)


yaml_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=12)),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=30,
)


@fuzz_settings(300)
@given(document=yaml_values)
def test_fuzz_any_yaml_document_gets_diagnostics_not_an_exception(document: object) -> None:
    source = yaml.safe_dump(document)
    result = rules.check(source, "fuzz.yaml")
    assert result.valid or result.diagnostics


@fuzz_settings(200)
@given(data=st.data())
def test_fuzz_mutated_example_gets_diagnostics_not_an_exception(data: st.DataObject) -> None:
    lines = EXAMPLE.splitlines()
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["drop", "duplicate", "replace", "indent"]))
        if action == "drop":
            del lines[at]
        elif action == "duplicate":
            lines.insert(at, lines[at])
        elif action == "replace":
            lines[at] = data.draw(st.text(max_size=30))
        else:
            lines[at] = "  " + lines[at]
    result = rules.check("\n".join(lines), "fuzz.yaml")
    assert result.valid or result.diagnostics


def with_description(line: str) -> str:
    start = EXAMPLE.index("\ndescription:") + 1
    return EXAMPLE[:start] + line + EXAMPLE[EXAMPLE.index("\n", start) + 1 :]


def test_free_text_fields_take_only_text() -> None:
    cases = {
        "description: [a, b]\n": "description must be text, not a list",
        "description: 12\n": "description must be text, not the int value 12",
        "description: {a: 1}\n": "description must be text, not a mapping",
    }
    for line, message in cases.items():
        assert message in messages(with_description(line))
    test_named_by_a_list = EXAMPLE.replace("  - name: PLUS member", "  - name: [PLUS member]\n    #", 1)
    assert "name must be text, not a list" in messages(test_named_by_a_list)


def test_half_a_surrogate_pair_is_refused_with_its_line(monkeypatch) -> None:
    source = with_description('description: "cut-off \\ud800"\n')
    line = 1 + source[: source.index("cut-off")].count("\n")
    result = rules.check(source, "hostile.yaml")
    assert not result.valid and any(d.line == line for d in result.diagnostics), result.diagnostics
    # PyYAML's own loader reads the escape; the builder refuses what UTF-8 cannot hold.
    monkeypatch.setattr("rules._yaml._Loader", yaml.SafeLoader)
    assert "half of a surrogate pair" in messages(source)
