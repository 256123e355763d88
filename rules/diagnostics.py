"""Diagnostics: what validation says about a rule set, compiler style."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    severity: Severity
    code: str
    message: str
    file: str = "<source>"
    line: int = 0
    rule_id: str = ""
    hint: str = ""
    field: str = ""
    """The cell of the rule's row it concerns, as a decision table keys it: a fact's path, `then.FIELD`,
    or `priority`; empty when it concerns the rule (or the rule set) as a whole."""

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def render(self) -> str:
        """`file:line: error[code] rule 'id': message (hint: ...)`."""
        where = f"{self.file}:{self.line}" if self.line else self.file
        rule = f" rule '{self.rule_id}':" if self.rule_id else ""
        hint = f"\n    hint: {self.hint}" if self.hint else ""
        return f"{where}: {self.severity}[{self.code}]{rule} {self.message}{hint}"


def error(code: str, message: str, line: int = 0, rule_id: str = "", hint: str = "") -> Diagnostic:
    return Diagnostic(Severity.ERROR, code, message, line=line, rule_id=rule_id, hint=hint)


def warning(code: str, message: str, line: int = 0, rule_id: str = "", hint: str = "") -> Diagnostic:
    return Diagnostic(Severity.WARNING, code, message, line=line, rule_id=rule_id, hint=hint)
