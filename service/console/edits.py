"""The editor's forms, as edits of the draft's source (rules.editing)."""

from __future__ import annotations

from collections.abc import Mapping

from rules.editing import add_rule, move_rule, remove_rule, set_condition, set_output, set_priority


def edited(source: str, form: Mapping[str, str]) -> str:
    """The source after the edit the form asks for; EditError or ValueError say why it cannot be made."""
    rule, what = form.get("rule", ""), form.get("what", "")
    if what == "condition":
        fact, op, value = form.get("fact", ""), form.get("op", ""), form.get("value", "")
        return set_condition(source, rule, fact, op, value, form.get("scope", ""), form.get("group", ""))
    if what == "output":
        return set_output(source, rule, form.get("field", ""), form.get("value", ""))
    if what == "priority":
        return set_priority(source, rule, _whole(form.get("priority", "")))
    if what == "add":
        return add_rule(source, form.get("new_id", "").strip(), _whole(form.get("priority", "")))
    if what == "remove":
        return remove_rule(source, rule)
    if what == "move":
        return move_rule(source, rule, form.get("direction", ""))
    raise ValueError(f"unknown edit {what!r}")


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"priority: a whole number, got {text!r}") from None
