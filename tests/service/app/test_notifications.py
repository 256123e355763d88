"""Events and their webhook form: one sentence and structured data, the same id for the same happening,
a body signed over its exact bytes, and the retry schedule."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from experiments import Action
from experiments.results import Verdict
from service.app import GUARDRAIL_ACTOR, Activated, Services
from service.app import notifications as n
from service.app.notifications import EventKind, activation_event, result_events, transition_events
from service.app.webhooks import (
    WebhookConfig,
    backoff,
    body_of,
    check_urls,
    delivery_id,
    headers,
    parse_events,
    signature,
)
from tests.service.app.conftest import breach_exception_guardrail, prepare
from tests.service.conftest import Stores

AT = datetime(2025, 3, 4, 5, 6, 7, 891_000, tzinfo=UTC)
SECRET = b"s3cret-for-tests"


def activated(version: int = 2, previous: int = 1) -> Activated:
    return Activated("fulfilment", version, previous, "ana", "pilot express at 2 repeats", AT)


def test_an_activation_reads_as_a_sentence_and_carries_its_fields() -> None:
    event = activation_event(activated(), "exp-3")
    assert event.kind is EventKind.ACTIVATION
    assert event.text == "fulfilment: version 2 activated by ana (was v1): pilot express at 2 repeats"
    assert event.data == {
        "rule_set": "fulfilment",
        "versions": {"active": 2, "previous": 1},
        "actor": "ana",
        "reason": "pilot express at 2 repeats",
        "experiment_id": "exp-3",
    }


def test_the_same_happening_has_the_same_id_and_another_one_another() -> None:
    assert activation_event(activated()).id == activation_event(activated()).id
    assert activation_event(activated()).id != activation_event(activated(3, 2)).id
    assert activation_event(activated()).id.startswith("evt-")


def test_the_body_is_the_documented_json_and_the_signature_verifies_over_its_exact_bytes() -> None:
    event = activation_event(activated())
    body = body_of(event)
    assert json.loads(body) == {
        "event": "activation",
        "text": event.text,
        "at": "2025-03-04T05:06:07.891Z",
        "data": dict(event.data),
        "id": event.id,
    }
    sent = headers(str(event.kind), event.id, body, SECRET)
    assert sent["X-Orderroute-Event"] == "activation" and sent["X-Orderroute-Delivery"] == event.id
    # What a receiver does: the HMAC of the bytes received, compared in constant time.
    expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(sent["X-Orderroute-Signature"], expected)
    assert not hmac.compare_digest(signature(body + b" ", SECRET), expected)
    assert not hmac.compare_digest(signature(body, b"another secret"), expected)


def test_text_outside_ascii_is_escaped_so_the_signed_bytes_are_plain() -> None:
    event = activation_event(Activated("fulfilment", 2, 1, "李雷", "回滚：准时率下降", AT))
    body = body_of(event)
    assert body.isascii() and json.loads(body)["data"]["actor"] == "李雷"


def test_retries_wait_1_2_4_seconds_and_so_on_up_to_five_minutes() -> None:
    waits = [backoff(attempt).total_seconds() for attempt in range(1, 12)]
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    assert backoff(10_000) == timedelta(minutes=5)
    # Attempts over a day, as the delivery thread makes them: about 24 * 12 at the cap, then given up.
    elapsed, attempts = timedelta(0), 0
    while elapsed < timedelta(hours=24):
        attempts += 1
        elapsed += backoff(attempts)
    assert 280 < attempts < 300


def test_event_filters_and_urls_are_checked_with_what_is_wrong() -> None:
    assert parse_events("") == parse_events("all") == frozenset(EventKind)
    assert parse_events(" promotion,rollback ") == {EventKind.PROMOTION, EventKind.ROLLBACK}
    with pytest.raises(ValueError, match="unknown event 'promoted'; choose from activation, "):
        parse_events("promoted")
    assert check_urls(["https://hooks.example/a", "http://127.0.0.1:9/b", "https://hooks.example/a"]) == (
        "https://hooks.example/a",
        "http://127.0.0.1:9/b",
    )
    with pytest.raises(ValueError, match="'ftp://x/y' is not an http"):
        check_urls(["ftp://x/y"])
    config = WebhookConfig(("https://a/",), SECRET, frozenset({EventKind.PROMOTION}))
    assert config.wants(EventKind.PROMOTION) and not config.wants(EventKind.ACTIVATION)
    assert SECRET.decode() not in repr(config)
    assert delivery_id("evt-1", "https://a/") != delivery_id("evt-1", "https://b/")


def test_the_guardrail_actor_is_the_supervisors() -> None:
    assert n.GUARDRAIL_ACTOR == GUARDRAIL_ACTOR


def test_a_guardrail_abort_says_which_metric_how_much_worse_and_the_limit(
    stores: Stores, replicas: tuple[Services, Services]
) -> None:
    a, _ = replicas
    prepare(a)
    experiment = a.gray.start("fulfilment", 2, "rev", "pilot")
    breach_exception_guardrail(stores, experiment.id)
    _, results = a.gray.results(experiment.id)
    after = a.gray.change(experiment.id, Action.ABORT, GUARDRAIL_ACTOR, results.reason).experiment

    (event,) = transition_events(after, Action.ABORT, GUARDRAIL_ACTOR, results.reason, AT, results.summary())
    assert event.kind is EventKind.GUARDRAIL_ABORT
    assert event.text == (
        f"fulfilment: experiment {experiment.id} aborted by its guardrail: "
        "exception worse by 100.0 points (limit 1 point)"
    )
    assert event.data["guardrails"] == [{"metric": "exception", "worse_by": 1.0, "limit": 0.01, "unit": "points"}]
    assert event.data["versions"] == {"baseline": 1, "candidate": 2}
    # A look at the same results names no verdict of its own: the breach is the abort's event.
    assert result_events(experiment, results) == ()


def test_promotion_rollback_and_an_abort_by_a_person_are_events_and_a_ramp_is_not(
    stores: Stores, replicas: tuple[Services, Services]
) -> None:
    a, _ = replicas
    prepare(a)
    experiment = a.gray.start("fulfilment", 2, "rev", "pilot")

    def event(action: Action, actor: str = "bo") -> tuple[n.Event, ...]:
        return transition_events(experiment, action, actor, "on-time +6.8pt", AT, {})

    assert event(Action.RAMP) == event(Action.PAUSE) == event(Action.RESUME) == ()
    (promoted,) = event(Action.PROMOTE)
    assert promoted.kind is EventKind.PROMOTION
    assert (
        promoted.text
        == f"fulfilment: experiment {experiment.id} promoted by bo: v2 goes live for everyone (on-time +6.8pt)"
    )
    (rolled_back,) = event(Action.ROLLBACK)
    assert rolled_back.kind is EventKind.ROLLBACK and "rolled back by bo: everyone back on v1" in rolled_back.text
    (aborted,) = event(Action.ABORT)
    assert aborted.kind is EventKind.ROLLBACK and aborted.data["action"] == "abort"
    assert len({promoted.id, rolled_back.id, aborted.id}) == 3


def test_a_verdict_and_a_sample_ratio_mismatch_are_events_each_with_one_id_per_experiment(
    stores: Stores, replicas: tuple[Services, Services]
) -> None:
    a, _ = replicas
    prepare(a)
    experiment = a.gray.start("fulfilment", 2, "rev", "pilot")
    _, results = a.gray.results(experiment.id)
    assert result_events(experiment, results) == ()  # no data yet: nothing to say

    better = replace(results, verdict=Verdict.BETTER, reason="on_time +7.52pt (+0.75pt to +14.29pt)")
    (verdict,) = result_events(experiment, better)
    assert verdict.kind is EventKind.VERDICT_REACHED
    assert verdict.text == (
        f"fulfilment: experiment {experiment.id} reached a verdict: "
        "candidate better: on_time +7.52pt (+0.75pt to +14.29pt)"
    )
    assert verdict.data["metric"] == "on_time" and verdict.data["verdict"] == "candidate better"
    later = replace(better, computed_at=better.computed_at + timedelta(minutes=1))
    assert result_events(experiment, later)[0].id == verdict.id  # every tick says it again: one event

    skewed = replace(results.sample_ratio, candidate_units=40, baseline_units=960, observed_share=0.04, p_value=1e-6)
    invalid = replace(results, verdict=Verdict.INVALID, sample_ratio=skewed, epoch_ratios=(skewed,))
    (srm,) = result_events(experiment, invalid)
    assert srm.kind is EventKind.SAMPLE_RATIO_MISMATCH
    assert srm.text == (
        f"fulfilment: experiment {experiment.id} has a sample ratio mismatch: 4.00% of units in the candidate, "
        "5.00% configured (p=1e-06, epoch 0); its results cannot be trusted"
    )
