"""Results in words: what the verdict waits for names only what is still short."""

from __future__ import annotations

from datetime import timedelta

from rules.wording import ENGLISH
from service.client.reading import Missing, waiting_words


def test_an_arm_that_has_its_outcomes_is_not_named() -> None:
    assert waiting_words(Missing(0, 126, timedelta(0)), ENGLISH) == "waiting for 126 more outcomes in the candidate"
    both = waiting_words(Missing(5, 7, timedelta(hours=3)), ENGLISH)
    assert both == "waiting for 5 more outcomes in the baseline and 7 more outcomes in the candidate and 3 more hours"
