"""Errors raised by the rules package.

RulesError(code, message)
├── RuleSetInvalid   the rule set has errors; carries every Diagnostic
└── InvalidOrder     an order fact is malformed; names the field path
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rules.diagnostics import Diagnostic


class RulesError(Exception):
    """Base of every error this package raises on purpose."""

    code = "rules-error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RuleSetInvalid(RulesError):
    """Validation found errors; `diagnostics` lists all of them."""

    code = "rule-set-invalid"

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        errors = [d for d in diagnostics if d.is_error]
        first = errors[0].render() if errors else "rule set is invalid"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(first + more)
        self.diagnostics = tuple(diagnostics)


class EngineRejected(RulesError):
    """durable_rules would not load the rule set (an engine limit)."""

    code = "engine-rejected"


class InvalidOrder(RulesError):
    """An order fact has a bad value; `field` is its path, e.g. lines[2].qty."""

    code = "invalid-order"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
