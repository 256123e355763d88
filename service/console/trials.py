"""Trying an order on a version in the console: the order as a person pastes it (YAML or JSON, short
enum names) or picks a sample, and what the service answers, as a view model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from orderroute.v1 import orderroute_pb2 as pb

from rules import InvalidOrder
from rules._yaml import YamlError, load_yaml
from rules.wording import OUTPUT_LABELS
from service.client.documents import order_from_document
from service.console.i18n import Language
from service.console.order_form import order_form, order_text

DECISION_FIELDS = (
    "path",
    "risk_review",
    "credit_review",
    "warehouse",
    "carrier",
    "priority_pickup",
    "cs_queue",
    "holds",
    "tags",
    "avoid_warehouse_types",
)
STATE_WORDS = {
    "decided": "decided",
    "lost": "matched, lost on priority",
    "no": "did not match",
    "unknown": "could not tell",
}


@dataclass(frozen=True, slots=True)
class FieldLine:
    label: str
    value: str
    decided_by: str


@dataclass(frozen=True, slots=True)
class RuleLine:
    rule_id: str
    state: str
    """decided, lost, no, unknown: a CSS class, and a key of STATE_WORDS."""
    words: str
    decided: str


@dataclass(frozen=True, slots=True)
class TrialView:
    fields: tuple[FieldLine, ...]
    rules: tuple[RuleLine, ...]
    missing: str

    @property
    def marks(self) -> dict[str, str]:
        """Rule id -> its state, to mark the decision table's rows."""
        return {r.rule_id: r.state for r in self.rules}


@dataclass(frozen=True, slots=True)
class CompareLine:
    label: str
    draft: str
    draft_by: str
    active: str
    active_by: str
    differs: bool


def compare_view(draft: TrialView, active: TrialView) -> tuple[CompareLine, ...]:
    """The draft's decision beside the active version's, field by field (both list DECISION_FIELDS)."""
    return tuple(
        CompareLine(d.label, d.value, d.decided_by, a.value, a.decided_by, d.value != a.value)
        for d, a in zip(draft.fields, active.fields, strict=True)
    )


def try_panel(lang: Language) -> dict[str, Any]:
    """What the try-an-order panel shows before anything is tried."""
    return {
        "trial": None,
        "problem": "",
        "order_text": "",
        "samples": samples(),
        "order_form": order_form(lang),
        "filled": {},
    }


def tried_text(form: Mapping[str, str]) -> str:
    """The order a person asks to try: pasted, else a sample, else filled in field by field ("" for
    none). Raises ValueError naming the field when a filled-in value is not of its fact's type."""
    return form.get("order", "").strip() or samples().get(form.get("sample", ""), "") or order_text(form)


def samples() -> dict[str, str]:
    """The example orders shipped with the rule language: file name -> its YAML."""
    folder = resources.files("rules").joinpath("examples", "orders")
    return {item.name: item.read_text() for item in sorted(folder.iterdir(), key=lambda i: i.name)}


def order_document(text: str) -> dict[str, Any]:
    """The pasted order as plain data (for a test case); raises ValueError with what is wrong."""
    order_of(text)  # the same checks as a trial
    document: dict[str, Any] = _plain(load_yaml(text))
    return document


def expectation(reply: pb.TryRuleSetResponse) -> dict[str, Any]:
    """What a test case expects of an order: the decision the trial gave, its main fields."""
    d = reply.decision
    return {
        "path": d.path,
        "risk_review": pb.Review.Name(d.risk_review).removeprefix("REVIEW_"),
        "credit_review": pb.Review.Name(d.credit_review).removeprefix("REVIEW_"),
        "warehouse": d.warehouse,
        "matched_rules": list(d.matched_rules),
    }


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def order_of(text: str) -> pb.Order:
    """The pasted order; raises ValueError with what is wrong, naming the field."""
    try:
        document = load_yaml(text)
    except YamlError as exc:
        raise ValueError(f"order, line {exc.line}: {exc.message}" if exc.line else f"order: {exc.message}") from None
    if not isinstance(document, dict):
        raise ValueError("order: a mapping of fields, e.g. order_id: SO-1")
    try:
        return order_from_document(document)
    except InvalidOrder as exc:
        raise ValueError(str(exc)) from None


def trial_view(reply: pb.TryRuleSetResponse, lang: Language) -> TrialView:
    d = reply.decision
    avoid = ", ".join(pb.WarehouseType.Name(t).removeprefix("WAREHOUSE_TYPE_") for t in d.avoid_warehouse_types)
    values = {
        "risk_review": pb.Review.Name(d.risk_review).removeprefix("REVIEW_"),
        "credit_review": pb.Review.Name(d.credit_review).removeprefix("REVIEW_"),
        "warehouse": d.warehouse + (f" → {d.warehouse_node}" if d.warehouse_node else ""),
        "priority_pickup": lang.gettext("yes") if d.priority_pickup else lang.gettext("no"),
        "holds": ", ".join(d.holds),
        "tags": ", ".join(d.tags),
        "avoid_warehouse_types": avoid,
    }
    fields = tuple(
        FieldLine(lang.gettext(OUTPUT_LABELS[f]), values.get(f, str(getattr(d, f))), d.decided_by.get(f, ""))
        for f in DECISION_FIELDS
    )
    lines = []
    for t in reply.rules:
        state = (
            "decided" if t.decided else "lost" if t.matched and not t.is_default else "unknown" if t.unknown else "no"
        )
        lines.append(RuleLine(t.rule_id, state, lang.gettext(STATE_WORDS[state]), ", ".join(t.decided)))
    return TrialView(fields, tuple(lines), ", ".join(d.missing_facts))
