"""Errors raised by the experiments package.

ExperimentError(message)
├── InvalidExperiment   a setting is out of range; names the field
└── WrongState          the transition is not allowed from the current state
"""

from __future__ import annotations


class ExperimentError(Exception):
    code = "experiment-error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidExperiment(ExperimentError):
    code = "invalid-experiment"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class InvalidOutcome(ExperimentError):
    code = "invalid-outcome"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class WrongState(ExperimentError):
    code = "wrong-state"
