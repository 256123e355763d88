"""Safe YAML loading that remembers line numbers.

Only plain YAML data is accepted: no tags beyond the safe core schema, no
anchors or aliases (they allow exponential "billion laughs" documents and are
never needed in a rule set), no duplicate keys. Mapping keys are kept as the
text the author wrote, so `NO:` stays "NO" rather than becoming False.
"""

from __future__ import annotations

from typing import Any

import yaml


class YamlError(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class LinedMap(dict[str, Any]):
    """A mapping that knows its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]


class LinedList(list[Any]):
    """A sequence that knows its own line and the line of each item (1-based)."""

    line: int = 0
    item_lines: list[int] = []  # noqa: RUF012 - replaced per instance by the loader


def line_of(value: object, default: int = 0) -> int:
    return getattr(value, "line", default) or default


def load_yaml(text: str) -> Any:
    """Parses one YAML document into LinedMap / LinedList / scalars."""
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                line = event.start_mark.line + 1 if event.start_mark else 0
                raise YamlError("anchors and aliases (&name, *name) are not allowed", line)
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            return None if node is None else _convert(loader, node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise YamlError(f"not valid YAML: {exc.problem or exc.context}", line) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"not valid YAML: {exc}", 0) from None


def _convert(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result = LinedMap()
        result.line = line
        result.key_lines = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlError("mapping keys must be plain text", key_node.start_mark.line + 1)
            key = str(key_node.value)
            if key in result:
                raise YamlError(f"duplicate key {key!r}", key_node.start_mark.line + 1)
            result[key] = _convert(loader, value_node)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        items = LinedList(_convert(loader, item) for item in node.value)
        items.line = line
        items.item_lines = [item.start_mark.line + 1 for item in node.value]
        return items
    return loader.construct_object(node, deep=True)
