"""Safe, bounded YAML loading that remembers line numbers.

Only plain YAML data is accepted: no tags beyond the safe core schema, no
anchors or aliases (they allow exponential "billion laughs" documents and are
never needed in a rule set), no duplicate keys. Mapping keys are kept as the
text the author wrote, so `NO:` stays "NO" rather than becoming False.

Work is bounded by the input: libyaml's C parser (linear; PyYAML's own
scanner is quadratic on nested flow collections: a 40 KB `[[[...]]]` took
36 s) streams events into an iterative builder, which stops at the first
event beyond MAX_DEPTH levels or MAX_NODES nodes. Nothing recurses, so no
depth can exhaust the stack.
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_DEPTH = 64
"""Nesting of mappings and sequences; a rule set needs about 20 (its conditions nest at most 12)."""
MAX_NODES = 200_000
"""Scalars, mappings and sequences in one document (a 1 MB rule set holds far fewer)."""

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when libyaml is there
_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_SCALARS: dict[Any, Any] = yaml.constructor.SafeConstructor.yaml_constructors
_PLAIN_TAGS = frozenset({None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})


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
    loader = _Loader(text)
    try:
        return _build(loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlError(f"not valid YAML: {exc.problem or exc.context}", mark.line + 1 if mark else 0) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"not valid YAML: {exc}", 0) from None
    finally:
        loader.dispose()


class _Open:
    """A mapping or sequence being filled, and (in a mapping) the key waiting for its value."""

    __slots__ = ("container", "key")

    def __init__(self, container: LinedMap | LinedList) -> None:
        self.container = container
        self.key: str | None = None


def _build(loader: Any) -> Any:
    stack: list[_Open] = []
    root: Any = None
    documents = nodes = 0
    while loader.check_event():
        event = loader.get_event()
        line = event.start_mark.line + 1 if event.start_mark else 0
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise YamlError("expected one YAML document, found a second one", line)
            continue
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise YamlError("anchors and aliases (&name, *name) are not allowed", line)
        if isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            done = stack.pop().container
            if not stack:
                root = done
            continue
        if not isinstance(event, yaml.ScalarEvent | yaml.MappingStartEvent | yaml.SequenceStartEvent):
            continue  # stream and document boundaries
        nodes += 1
        if nodes > MAX_NODES:
            raise YamlError(f"more than {MAX_NODES:,} values in one document", line)
        parent = stack[-1] if stack else None
        if isinstance(parent, _Open) and isinstance(parent.container, LinedMap) and parent.key is None:
            if not isinstance(event, yaml.ScalarEvent):
                raise YamlError("mapping keys must be plain text", line)
            _take_key(parent, _storable(str(event.value), line), line)
            continue
        if isinstance(event, yaml.ScalarEvent):
            value: Any = _scalar(event, line)
        else:
            if event.tag not in _PLAIN_TAGS:
                raise YamlError(f"tags such as {event.tag} are not allowed", line)
            if len(stack) >= MAX_DEPTH:
                raise YamlError(f"nested deeper than {MAX_DEPTH} levels", line)
            value = LinedMap() if isinstance(event, yaml.MappingStartEvent) else LinedList()
            value.line = line
            if isinstance(value, LinedMap):
                value.key_lines = {}
            else:
                value.item_lines = []
        if parent is None:
            root = value
        else:
            _put(parent, value, line)
        if not isinstance(event, yaml.ScalarEvent):
            stack.append(_Open(value))
    return root


def _take_key(mapping: _Open, key: str, line: int) -> None:
    container = mapping.container
    assert isinstance(container, LinedMap)
    if key in container:
        raise YamlError(f"duplicate key {key!r}", line)
    container.key_lines[key] = line
    mapping.key = key


def _put(parent: _Open, value: Any, line: int) -> None:
    container = parent.container
    if isinstance(container, LinedMap):
        assert parent.key is not None
        container[parent.key] = value
        parent.key = None
    else:
        container.append(value)
        container.item_lines.append(line)


def _scalar(event: Any, line: int) -> Any:
    """The value of a scalar as the safe core schema reads it (plain `1` an int, quoted `'1'` text)."""
    tag = event.tag
    if tag in (None, "!"):
        tag = _RESOLVER.resolve(yaml.ScalarNode, event.value, event.implicit)  # type: ignore[no-untyped-call]
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
    # The tag's own constructor, not construct_object: that one caches every node it builds.
    construct = _SCALARS.get(tag, _SCALARS[None])  # None: refuses an unknown tag
    try:
        value = construct(_CONSTRUCTOR, node)
    except yaml.constructor.ConstructorError as exc:
        raise YamlError(f"not allowed here: {exc.problem}", line) from None
    return _storable(value, line) if isinstance(value, str) else value


def _storable(text: str, line: int) -> str:
    """Text that UTF-8 can hold: an escape such as "\\ud800" (half of a surrogate pair) cannot be stored
    or sent back, so it is refused here rather than failing after a publish was stored."""
    try:
        text.encode()
    except UnicodeEncodeError as exc:
        code = f"\\u{ord(text[exc.start]):04x}"
        raise YamlError(f"text holds {code}, half of a surrogate pair, which cannot be stored", line) from None
    return text
