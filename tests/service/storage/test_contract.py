"""The contract of the store ports, held against the Redis adapters and the in-memory ones alike."""

from __future__ import annotations

import dataclasses
import math
import random
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest

from experiments import METRICS, Action, Arm, Experiment, State, new_experiment, transition
from experiments.running import Bounds
from experiments.statistics import HEAVY_UNITS, Accumulator, heaviest
from rules.replay import Example, OutcomeFigure, OutcomeGroup, ReplayReport, Segment
from service.errors import Conflict, InvalidArgument, NotFound
from service.storage import DecisionRecord, DraftRecord, RuleSetHeld
from service.storage.codec import pack_decision, unpack_decision
from service.storage.records import ShadowRecord
from tests.service.conftest import Stores

T0 = datetime(2026, 12, 2, 8, 0, 0, 123_000, tzinfo=UTC)


AT_ONCE = dict.fromkeys(METRICS, timedelta(0))
"""Maturity windows of 0: every report is analysed as it comes."""


def experiment(
    stores: Stores, rule_set: str = "rs", candidate: int = 2, maturity: Mapping[str, timedelta] = AT_ONCE
) -> Experiment:
    return new_experiment(
        id=stores.experiments.next_id(),
        rule_set=rule_set,
        baseline_version=1,
        candidate_version=candidate,
        salt="s",
        created_by="rev",
        now=T0,
        maturity=maturity,
    )


def publish(stores: Stores, name: str = "rs", content: str = "a") -> int:
    record, _ = stores.rule_sets.publish(name, f"source {content}", f"sha256:{content}", "ana", "c", 3, T0)
    return record.version


# ---------------------------------------------------------------- rule sets


def test_versions_are_numbered_kept_whole_and_the_same_content_makes_none(stores: Stores) -> None:
    first, created = stores.rule_sets.publish("rs", "source a", "sha256:a", "ana", "first", 3, T0)
    again, created_again = stores.rule_sets.publish("rs", "source a", "sha256:a", "bo", "same", 3, T0)
    second, _ = stores.rule_sets.publish("rs", "source b", "sha256:b", "ana", "second", 4, T0)
    assert (first.version, created, again.version, created_again, second.version) == (1, True, 1, False, 2)
    assert stores.rule_sets.get_version("rs", 1) == first
    assert (first.source, first.published_at, first.rule_count) == ("source a", T0, 3)
    assert [v.version for v in stores.rule_sets.list_versions("rs")] == [2, 1]
    assert all(v.source == "" for v in stores.rule_sets.list_versions("rs"))
    assert stores.rule_sets.list_names() == ["rs"]
    with pytest.raises(NotFound):
        stores.rule_sets.get_version("rs", 3)


def test_a_request_id_gets_its_first_answer_again_and_names_one_request(stores: Stores) -> None:
    made, _ = stores.rule_sets.publish("rs", "source a", "sha256:a", "ana", "", 3, T0, request_id="p")
    stores.rule_sets.publish("rs", "source b", "sha256:b", "ana", "", 3, T0)
    assert stores.rule_sets.publish("rs", "source a", "sha256:a", "ana", "", 3, T0, request_id="p") == (made, True)
    with pytest.raises(InvalidArgument, match="request_id"):
        stores.rule_sets.publish("rs", "source c", "sha256:c", "ana", "", 3, T0, request_id="p")
    first, _ = stores.rule_sets.activate("rs", 1, "rev", "go", T0, request_id="a")
    stores.rule_sets.activate("rs", 2, "rev", "next", T0 + timedelta(seconds=1))
    assert stores.rule_sets.activate("rs", 1, "rev", "go", T0 + timedelta(seconds=2), request_id="a") == (first, False)
    assert stores.rule_sets.active("rs").version == 2  # the retry undid nothing
    with pytest.raises(InvalidArgument, match="request_id"):
        stores.rule_sets.activate("rs", 2, "rev", "go", T0, request_id="a")
    assert len(stores.rule_sets.audit("rs", 10)) == 4


def test_each_person_keeps_one_draft_per_rule_set(stores: Stores) -> None:
    assert stores.rule_sets.draft("rs", "ana") is None
    stores.rule_sets.save_draft(DraftRecord("rs", "ana", "name: rs\n", 2, T0))
    stores.rule_sets.save_draft(DraftRecord("rs", "bo", "other", 0, T0))
    stores.rule_sets.save_draft(DraftRecord("rs", "ana", "name: rs  # later\n", 3, T0 + timedelta(seconds=1)))
    assert stores.rule_sets.draft("rs", "ana") == DraftRecord(
        "rs", "ana", "name: rs  # later\n", 3, T0 + timedelta(seconds=1)
    )
    stores.rule_sets.delete_draft("rs", "ana")
    assert stores.rule_sets.draft("rs", "ana") is None and stores.rule_sets.draft("rs", "bo") is not None
    assert stores.rule_sets.list_names() == []  # a draft alone makes no rule set


def test_activation_records_the_previous_version_and_the_audit_lists_newest_first(stores: Stores) -> None:
    publish(stores, content="a")
    publish(stores, content="b")
    assert stores.rule_sets.active("rs") is None
    record, changed = stores.rule_sets.activate("rs", 1, "rev", "go", T0)
    assert (record.version, record.previous_version, record.at, changed) == (1, 0, T0, True)
    record, _ = stores.rule_sets.activate("rs", 2, "rev", "next", T0 + timedelta(seconds=1))
    assert stores.rule_sets.active("rs") == record
    assert record.previous_version == 1
    audit = stores.rule_sets.audit("rs", 10)
    assert [(a.action, a.version, a.previous_version) for a in audit] == [
        ("activate", 2, 1),
        ("activate", 1, 0),
        ("publish", 2, 0),
        ("publish", 1, 0),
    ]
    assert [a.action for a in stores.rule_sets.audit("rs", 1)] == ["activate"]
    # Activating the active version again is a no-op: no audit entry, the stored record.
    again, changed = stores.rule_sets.activate("rs", 2, "someone", "again", T0 + timedelta(seconds=2))
    assert (again, changed) == (record, False) and len(stores.rule_sets.audit("rs", 10)) == 4
    # Expecting another active version: Conflict, nothing written.
    with pytest.raises(Conflict, match="version 2 active now, not 1"):
        stores.rule_sets.activate("rs", 1, "late", "undo", T0, expected_active=1)
    assert stores.rule_sets.active("rs") == record and len(stores.rule_sets.audit("rs", 10)) == 4
    # From any entry on, the older ones: the log reads to its first entry, page by page.
    older = stores.rule_sets.audit("rs", 2, before=audit[1].entry_id)
    assert [(a.action, a.version) for a in older] == [("publish", 2), ("publish", 1)]
    assert stores.rule_sets.audit("rs", 5, before=audit[-1].entry_id) == []
    with pytest.raises(NotFound):
        stores.rule_sets.activate("rs", 9, "rev", "no such version", T0)


# ---------------------------------------------------------------- experiments and claims


def test_starting_claims_the_rule_set_and_a_second_start_is_told_who_holds_it(stores: Stores) -> None:
    first = experiment(stores)
    claim = stores.experiments.start(first, "rev", "pilot", replacing=None)
    assert (claim.holder, claim.claimed, claim.retried) == (first.id, True, False)
    assert stores.experiments.holder("rs") == first.id
    assert stores.experiments.get(first.id) == first
    second = experiment(stores)
    refused = stores.experiments.start(second, "rev", "again", replacing=None)
    assert (refused.holder, refused.claimed) == (first.id, False)
    replacing_live = stores.experiments.start(second, "rev", "again", replacing=first.id)
    assert (replacing_live.holder, replacing_live.claimed) == (first.id, False), "a running holder is kept"
    with pytest.raises(NotFound):
        stores.experiments.get(second.id)
    start = stores.experiments.transitions(first.id)
    assert [(t.action, t.actor, t.reason, t.at) for t in start] == [(Action.START, "rev", "pilot", T0)]


def test_a_shadow_replay_is_claimed_once_a_cadence_and_kept_whole(stores: Stores) -> None:
    first = experiment(stores)
    stores.experiments.start(first, "rev", "pilot", replacing=None)
    assert stores.experiments.shadow(first.id) is None
    assert stores.experiments.claim_shadow(first.id, timedelta(minutes=10))
    assert not stores.experiments.claim_shadow(first.id, timedelta(minutes=10)), "claimed for this cadence"
    kept = ShadowRecord(T0 + timedelta(minutes=10), T0, 20_000, SHADOW_REPORT)
    stores.experiments.save_shadow(first.id, kept)
    assert stores.experiments.shadow(first.id) == kept
    stores.experiments.save_shadow(first.id, dataclasses.replace(kept, limit=5))
    assert stores.experiments.shadow(first.id) == dataclasses.replace(kept, limit=5), "the latest replaces it"


SHADOW_REPORT = ReplayReport(
    1_000,
    125,
    (0.105, 0.147),
    1,
    (("d-1", "path: logged 'HOLD', now 'EXPRESS'"),),
    {"path": {("STANDARD", "EXPRESS"): 120, ("HOLD", "EXPRESS"): 5}, "tags": {("-", "vip"): 3}},
    (Segment("channel", "APP", 600, 100), Segment("channel", "WEB", 400, 25)),
    (("repeat-customer-express", 125),),
    {
        ("path", "STANDARD", "EXPRESS"): (
            Example("SO-1", "d-2", {"path": "STANDARD"}, {"path": "EXPRESS", "tags": ["vip"]}),
        )
    },
    (
        OutcomeGroup("changed", "", "", (OutcomeFigure("exception", 100, 0.04),)),
        OutcomeGroup("took", "path", "EXPRESS", ()),
    ),
)


def test_a_start_retried_with_its_request_id_gets_the_experiment_it_created(stores: Stores) -> None:
    first = experiment(stores)
    assert stores.experiments.start(first, "rev", "pilot", replacing=None, request_id="req-1").claimed
    retry = stores.experiments.start(experiment(stores), "rev", "pilot", replacing=None, request_id="req-1")
    assert (retry.holder, retry.claimed, retry.retried) == (first.id, False, True)
    assert [e.id for e in stores.experiments.all()] == [first.id]


def test_a_change_retried_with_its_request_id_writes_nothing_and_returns_what_the_first_did(stores: Stores) -> None:
    running = experiment(stores)
    stores.experiments.start(running, "rev", "pilot", replacing=None)
    paused = transition(running, Action.PAUSE, T0)
    assert stores.experiments.requested_change(running, Action.PAUSE, "req-9") is None
    written = stores.experiments.save_transition(running, paused, Action.PAUSE, "rev", "look", T0, {}, "req-9")
    assert written == paused == stores.experiments.requested_change(running, Action.PAUSE, "req-9")
    # The retry compares against a stale `before`, yet is not a conflict: it is the same request.
    again = stores.experiments.save_transition(running, paused, Action.PAUSE, "rev", "look", T0, {}, "req-9")
    assert again == paused and len(stores.experiments.transitions(running.id)) == 2
    with pytest.raises(InvalidArgument, match="request_id"):
        stores.experiments.requested_change(running, Action.RESUME, "req-9")


def test_a_transition_is_a_compare_and_set_and_ending_releases_the_rule_set(stores: Stores) -> None:
    running = experiment(stores)
    stores.experiments.start(running, "rev", "pilot", replacing=None)
    paused = transition(running, Action.PAUSE, T0)
    stores.experiments.save_transition(running, paused, Action.PAUSE, "rev", "look", T0, {"verdict": "x"})
    with pytest.raises(Conflict):
        stores.experiments.save_transition(running, paused, Action.PAUSE, "rev", "stale", T0, {})
    assert stores.experiments.get(running.id).state is State.PAUSED
    aborted = transition(paused, Action.ABORT, T0)
    stores.experiments.save_transition(paused, aborted, Action.ABORT, "rev", "stop", T0, {})
    assert stores.experiments.holder("rs") is None
    history = stores.experiments.transitions(running.id)
    assert [(t.action, t.from_state, t.to_state) for t in history] == [
        (Action.START, State.RUNNING, State.RUNNING),
        (Action.PAUSE, State.RUNNING, State.PAUSED),
        (Action.ABORT, State.PAUSED, State.ABORTED),
    ]
    assert history[1].results == {"verdict": "x"}
    later = experiment(stores)
    assert stores.experiments.start(later, "rev", "next", replacing=None).claimed


def test_a_ramp_is_compared_by_epoch(stores: Stores) -> None:
    running = experiment(stores)
    stores.experiments.start(running, "rev", "pilot", replacing=None)
    ramped = dataclasses.replace(running, share_bp=1000, epoch=1)
    stores.experiments.save_transition(running, ramped, Action.RAMP, "rev", "ramp", T0, {})
    with pytest.raises(Conflict):
        stores.experiments.save_transition(
            running, dataclasses.replace(running, share_bp=2000, epoch=1), Action.RAMP, "other", "stale ramp", T0, {}
        )
    assert stores.experiments.get(running.id).share_bp == 1000


def test_a_promoted_experiment_keeps_the_rule_set_until_its_candidate_is_activated(stores: Stores) -> None:
    publish(stores, content="a")
    publish(stores, content="b")
    stores.rule_sets.activate("rs", 1, "rev", "first", T0)
    running = experiment(stores)
    stores.experiments.start(running, "rev", "pilot", replacing=None)
    with pytest.raises(RuleSetHeld) as held:
        stores.rule_sets.activate("rs", 2, "rev", "sneak", T0)
    assert held.value.holder == running.id
    promoted = transition(running, Action.PROMOTE, T0)
    stores.experiments.save_transition(running, promoted, Action.PROMOTE, "rev", "ship", T0, {})
    assert stores.experiments.holder("rs") == running.id
    with pytest.raises(RuleSetHeld):
        stores.rule_sets.activate("rs", 2, "rev", "not the promotion", T0)
    record, changed = stores.rule_sets.activate("rs", 2, "rev", "promote", T0, for_experiment=running.id)
    assert (record.version, record.previous_version, changed) == (2, 1, True)
    assert stores.experiments.holder("rs") is None
    again, changed_again = stores.rule_sets.activate("rs", 2, "sup", "finish again", T0, for_experiment=running.id)
    assert (again, changed_again) == (record, False), "finishing twice writes nothing"
    assert [a.action for a in stores.rule_sets.audit("rs", 10)].count("activate") == 2


def test_experiments_are_listed_newest_first_and_unknown_ones_are_not_found(stores: Stores) -> None:
    older = experiment(stores, "a")
    newer = dataclasses.replace(experiment(stores, "b"), created_at=T0 + timedelta(minutes=1))
    for e in (older, newer):
        stores.experiments.start(e, "rev", "pilot", replacing=None)
    assert [e.id for e in stores.experiments.all()] == [newer.id, older.id]
    with pytest.raises(NotFound):
        stores.experiments.get("exp-999")
    with pytest.raises(NotFound):
        stores.experiments.transitions("exp-999")


# ---------------------------------------------------------------- decisions and outcomes


def test_an_orders_latest_decision_per_rule_set_is_found_by_its_order_id(stores: Stores) -> None:
    # Written out of order (two replicas), with '|' in the unit and the order id, and one record without.
    records = [
        DecisionRecord("late", "rs", 1, 2_000, unit="c|1", order_id="SO|1"),
        DecisionRecord("early", "rs", 1, 1_000, unit="c|1", order_id="SO|1"),
        DecisionRecord("other", "returns", 3, 1_500, order_id="SO|1"),
        DecisionRecord("alone", "rs", 1, 1_000, order_id="SO-2"),
        DecisionRecord("none", "rs", 1, 1_000),
    ]
    stores.decisions.write(records)
    assert stores.decisions.decisions_of_orders(["SO|1", "SO-2", "SO-3"]) == [
        {"rs": "late", "returns": "other"},
        {"rs": "alone"},
        {},
    ]
    assert stores.decisions.get(["late", "none"]) == [records[0], records[4]]


def test_a_record_packed_before_order_ids_were_kept_still_reads() -> None:
    old = "rs|3|1000|exp-1|candidate|2|cust|with|bars"
    assert unpack_decision("d1", old) == DecisionRecord(
        "d1", "rs", 3, 1000, "exp-1", Arm.CANDIDATE, "cust|with|bars", 2
    )
    record = DecisionRecord("d1", "rs", 3, 1000, "exp-1", Arm.CANDIDATE, "cust|with|bars", 2, "SO|9")
    assert unpack_decision("d1", pack_decision(record)) == record


def test_decisions_are_counted_in_their_arms_with_their_units(stores: Stores) -> None:
    running = experiment(stores)
    stores.experiments.start(running, "rev", "pilot", replacing=None)
    records = [
        DecisionRecord(
            f"d{i}",
            "rs",
            2 if i % 3 == 0 else 1,
            1_000 + i,
            running.id,
            Arm.CANDIDATE if i % 3 == 0 else Arm.BASELINE,
            f"u{i % 5}",
        )
        for i in range(30)
    ]
    stores.decisions.write([*records, DecisionRecord("plain", "rs", 1, 5)])
    assert stores.decisions.get(["d0", "nope", "plain"]) == [records[0], None, DecisionRecord("plain", "rs", 1, 5)]
    arms = stores.experiments.arm_data(running, T0)
    assert (arms[Arm.CANDIDATE].decisions, arms[Arm.BASELINE].decisions) == (10, 20)
    units = {arm: len({r.unit for r in records if r.arm is arm}) for arm in Arm}
    assert (arms[Arm.CANDIDATE].units, arms[Arm.BASELINE].units) == (units[Arm.CANDIDATE], units[Arm.BASELINE])


def test_orders_without_the_unit_are_counted_apart_and_kept_out_of_the_analysis(stores: Stores) -> None:
    running = experiment(stores)
    stores.experiments.start(running, "rev", "pilot", replacing=None)
    member = DecisionRecord("member", "rs", 1, 0, running.id, Arm.BASELINE, "u1")
    guests = [DecisionRecord(f"guest{i}", "rs", 1, 0, running.id, None, "") for i in range(3)]
    stores.decisions.write([member, *guests])
    for record, late in ((member, 0.0), *((guest, 1.0) for guest in guests)):
        stores.decisions.apply_outcomes([(record, {"on_time": 1.0 - late})], T0)
    arms = stores.experiments.arm_data(running, T0)
    baseline = arms[Arm.BASELINE]
    assert (baseline.decisions, baseline.units, baseline.outcomes, baseline.unassigned) == (1, 1, 1, 3)
    assert (baseline.moments["on_time"].n, baseline.moments["on_time"].y, baseline.moments["on_time"].units) == (
        1,
        1,
        1,
    )
    assert arms[Arm.CANDIDATE].unassigned == 0
    assert stores.decisions.stored_outcome("guest0", "") == {"on_time": 0.0}


def test_outcome_sums_equal_the_reference_accumulator_with_corrections(stores: Stores) -> None:
    running = experiment(stores)
    stores.experiments.start(running, "rev", "pilot", replacing=None)
    rng = random.Random(3)
    records = [
        DecisionRecord(f"d{i}", "rs", 1, 0, running.id, rng.choice(list(Arm)), f"u{i % 17}", epoch=rng.randrange(3))
        for i in range(120)
    ]  # units in several epochs: the sums across epochs are kept too
    stores.decisions.write(records)
    reference = {arm: Accumulator() for arm in Arm}
    orders: dict[Arm, Counter[str]] = {arm: Counter() for arm in Arm}  # with an outcome, per unit
    reported: dict[str, float] = {}
    for record in records + records[::5]:  # every fifth reported again: a correction
        hours = round(rng.uniform(5, 90), 2)
        (earlier,) = stores.decisions.apply_outcomes([(record, {"fulfilment_hours": hours})], T0)
        assert earlier == ({"fulfilment_hours": reported[record.decision_id]} if record.decision_id in reported else {})
        reference[record.arm].add(  # type: ignore[index]
            record.unit, hours, replaces=reported.get(record.decision_id), epoch=record.epoch
        )
        orders[record.arm][record.unit] += record.decision_id not in reported  # type: ignore[index]
        reported[record.decision_id] = hours
    arms = stores.experiments.arm_data(running, T0)
    for arm in Arm:
        got, want = arms[arm].moments["fulfilment_hours"], reference[arm].moments(heaviest(orders[arm]))
        assert len(want.heavy) == HEAVY_UNITS
        assert any(":" in key and key.count(":") == 2 for key in want.sums())
        assert got.sums() == pytest.approx(want.sums(), rel=1e-12), arm
    assert sum(arms[arm].outcomes for arm in Arm) == 120
    assert stores.decisions.stored_outcome("d0", running.id) == {"fulfilment_hours": reported["d0"]}


def test_outcomes_outside_experiments_replace_and_say_what_they_replaced(stores: Stores) -> None:
    record = DecisionRecord("plain", "rs", 1, 0)
    stores.decisions.write([record])
    assert stores.decisions.apply_outcomes([(record, {"returned": 1.0})], T0) == [{}]
    assert stores.decisions.apply_outcomes([(record, {"returned": 0.0, "complaint": 1.0})], T0) == [{"returned": 1.0}]
    assert stores.decisions.stored_outcome("plain", "") == {"returned": 0.0, "complaint": 1.0}
    assert stores.decisions.stored_outcome("unknown", "") == {}


def test_a_value_waits_for_its_decision_to_mature_and_a_late_one_is_counted_not_analysed(stores: Stores) -> None:
    """experiments.maturity: decided at 08:00:00.123, the hour ends at 09:00, a 2 h window matures at 11:00."""
    running = experiment(stores, maturity={**AT_ONCE, "on_time": timedelta(hours=2)})
    stores.experiments.start(running, "rev", "pilot", replacing=None)
    decided = round(T0.timestamp() * 1000)
    records = {
        name: DecisionRecord(name, "rs", 1, decided, running.id, Arm.BASELINE, f"u-{name}")
        for name in ("early", "corrected", "late", "missing", "fixed")
    }
    stores.decisions.write(list(records.values()))

    def report(name: str, on_time: float, hours: float) -> None:
        stores.decisions.apply_outcomes([(records[name], {"on_time": on_time})], T0 + timedelta(hours=hours))

    report("early", 1.0, 1)
    report("corrected", 1.0, 1)
    report("corrected", 0.0, 2)  # replaced where it waits
    report("fixed", 0.0, 0)
    before = stores.experiments.arm_data(running, T0 + timedelta(hours=2, minutes=59))[Arm.BASELINE]
    assert "on_time" not in before.moments or before.moments["on_time"].n == 0
    assert sum(before.decided_hours.values()) == 5
    matured = stores.experiments.arm_data(running, datetime(2026, 12, 2, 11, 0, tzinfo=UTC))[Arm.BASELINE]
    assert (matured.moments["on_time"].n, matured.moments["on_time"].y) == (3, 1)
    report("late", 1.0, 3.5)
    report("fixed", 1.0, 4)  # a correction of a value analysed already is analysed
    report("late", 0.0, 4.5)  # late it came, late it stays
    after = stores.experiments.arm_data(running, T0 + timedelta(hours=5))[Arm.BASELINE]
    reference = Accumulator()
    for unit, value in (("u-early", 1.0), ("u-corrected", 0.0), ("u-fixed", 0.0)):
        reference.add(unit, value)
    reference.add("u-fixed", 1.0, replaces=0.0)
    heavy = heaviest(Counter(record.unit for name, record in records.items() if name != "missing"))
    assert after.moments["on_time"].sums() == pytest.approx(reference.moments(heavy).sums(), rel=1e-12)
    assert after.late == {"on_time": 1}
    assert after.outcomes == 4
    assert stores.decisions.stored_outcome("late", running.id) == {"on_time": 0.0}


def test_the_bounds_shown_only_narrow_and_come_back_exactly(stores: Stores) -> None:
    """experiments.running: the larger low, the smaller high (the earlier pair if they do not meet), the
    smaller p; infinities and every digit kept."""
    running = experiment(stores)
    stores.experiments.start(running, "rev", "pilot", replacing=None)
    assert stores.experiments.running(running.id) == {}
    stores.experiments.narrow(
        running.id, {"on_time": Bounds(-0.01, 0.030000000000000002, 0.5), "guardrail:exception": Bounds(-0.02)}
    )
    stores.experiments.narrow(running.id, {"on_time": Bounds(0.001, 0.05, 0.7), "complaint": Bounds(-1.0, 1.0, 0.9)})
    assert stores.experiments.running(running.id) == {
        "on_time": Bounds(0.001, 0.030000000000000002, 0.5),
        "guardrail:exception": Bounds(-0.02, math.inf, 1.0),
        "complaint": Bounds(-1.0, 1.0, 0.9),
    }
    stores.experiments.narrow(running.id, {"on_time": Bounds(0.04, 0.06, 0.2)})  # does not meet: kept as was
    assert stores.experiments.running(running.id)["on_time"] == Bounds(0.001, 0.030000000000000002, 0.2)
