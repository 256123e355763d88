"""The try panel's order form, generated from the fact schema: a field per order fact (the values of an
enum to pick from, yes / no for a boolean, a number box for a number) and a few order lines with the
line facts. What a person fills in becomes the same order document a pasted order is."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rules.facts import LINE_FACTS, ORDER_FACTS, FactSpec, FactType
from rules.wording import fact_label
from service.console.i18n import Language

TRIED_ORDER_ID = "TRY-1"
LINE_ROWS = 3
"""Order lines the form offers (an order with more is pasted)."""
YES, NO = "yes", "no"


@dataclass(frozen=True, slots=True)
class FormField:
    name: str
    """The form field: `fact:customer.tier`, or `line1:sku` for the first line's."""
    fact: str
    label: str
    kind: str
    """select, number or text."""
    choices: tuple[str, ...]
    step: str
    """For a number: "1" (whole) or "any"."""
    default: str = ""
    """What the field holds before anyone types (the order id: an order needs one)."""


@dataclass(frozen=True, slots=True)
class OrderForm:
    order: tuple[FormField, ...]
    lines: tuple[tuple[FormField, ...], ...]

    def used_in(self, form: Mapping[str, str]) -> bool:
        """Whether a sent form filled in any of these fields (the form is shown open again)."""
        fields = (*self.order, *(f for line in self.lines for f in line))
        return any(form.get(f.name, f.default).strip() not in ("", f.default) for f in fields)


def order_form(lang: Language) -> OrderForm:
    return OrderForm(
        tuple(_field(f"fact:{name}", spec, lang) for name, spec in ORDER_FACTS.items()),
        tuple(
            tuple(_field(f"line{row}:{name}", spec, lang) for name, spec in LINE_FACTS.items())
            for row in range(1, LINE_ROWS + 1)
        ),
    )


def _field(name: str, spec: FactSpec, lang: Language) -> FormField:
    label = fact_label(spec.name, lang)
    if spec.type is FactType.ENUM:
        return FormField(name, spec.name, label, "select", spec.values, "")
    if spec.type is FactType.BOOLEAN:
        return FormField(name, spec.name, label, "select", (YES, NO), "")
    if spec.type in (FactType.INTEGER, FactType.NUMBER):
        return FormField(name, spec.name, label, "number", (), "1" if spec.type is FactType.INTEGER else "any")
    return FormField(name, spec.name, label, "text", (), "", TRIED_ORDER_ID if spec.name == "order_id" else "")


def order_text(form: Mapping[str, str]) -> str:
    """The filled-in facts as an order (JSON, which the order box reads too); "" when nothing is filled
    in. Raises ValueError naming the field when a value is not of its fact's type."""
    document: dict[str, Any] = {}
    for name, spec in ORDER_FACTS.items():
        value = _typed(spec, form.get(f"fact:{name}", ""), name)
        if value is not None:
            _put(document, name.split("."), value)
    lines = []
    for row in range(1, LINE_ROWS + 1):
        line = {}
        for name, spec in LINE_FACTS.items():
            value = _typed(spec, form.get(f"line{row}:{name}", ""), f"lines[{row - 1}].{name}")
            if value is not None:
                line[name] = value
        if line:
            lines.append(line)
    if lines:
        document["lines"] = lines
    return json.dumps(document, ensure_ascii=False, indent=2) if document else ""


def _typed(spec: FactSpec, text: str, where: str) -> Any:
    text = text.strip()
    if not text:
        return None
    match spec.type:
        case FactType.INTEGER:
            try:
                return int(text)
            except ValueError:
                raise ValueError(f"{where}: a whole number, got {text!r}") from None
        case FactType.NUMBER:
            try:
                return float(text)
            except ValueError:
                raise ValueError(f"{where}: a number, got {text!r}") from None
        case FactType.BOOLEAN:
            if text not in (YES, NO):
                raise ValueError(f"{where}: yes or no, got {text!r}")
            return text == YES
        case FactType.TEXT_LIST:
            return [part.strip() for part in text.split(",") if part.strip()]
    return text


def _put(document: dict[str, Any], path: list[str], value: Any) -> None:
    for key in path[:-1]:
        document = document.setdefault(key, {})
    document[path[-1]] = value
