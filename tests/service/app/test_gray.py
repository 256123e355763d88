"""Gray releases under concurrency: what two replicas on the same stores may and may not do."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from experiments import Action, State
from experiments.running import Bounds
from service.app import RuleSetCatalog, Services, assemble, utc_now
from service.errors import Conflict, FailedPrecondition, StorageUnavailable
from service.storage import RuleSetHeld, keys
from service.storage.redis_experiments import RedisExperimentStore
from tests.service.app.conftest import CANDIDATE, breach_exception_guardrail, prepare
from tests.service.conftest import Stores


class Interrupting:
    """A store that runs `meanwhile` once, just before the call named `method` with `when(args)` true."""

    def __init__(self, inner: Any, method: str, when: Callable[..., bool], meanwhile: Callable[[], object]) -> None:
        self._inner, self._method, self._when, self._meanwhile = inner, method, when, meanwhile
        self._armed = True

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._inner, name)
        if name != self._method:
            return real

        def call(*args: Any, **kwargs: Any) -> Any:
            if self._armed and self._when(*args, **kwargs):
                self._armed = False
                self._meanwhile()
            return real(*args, **kwargs)

        return call


def active_version(stores: Stores) -> int:
    active = stores.rule_sets.active("fulfilment")
    return active.version if active is not None else 0


def raise_unavailable() -> None:
    raise StorageUnavailable("storage unavailable: cut off")


def completes_a_promotion(*args: Any, **kwargs: Any) -> bool:
    """RuleSetStore.activate(name, version, actor, reason, now, for_experiment) for a promotion."""
    return bool(kwargs.get("for_experiment") or (len(args) > 5 and args[5]))


@contextmanager
def replica_with(stores: Stores, **replaced: Any) -> Iterator[Services]:
    """A replica on `stores`, some of them replaced (by an Interrupting one), loaded."""
    parts = {"rule_sets": stores.rule_sets, "experiments": stores.experiments, "decisions": stores.decisions}
    parts.update(replaced)
    services = assemble(parts["rule_sets"], parts["experiments"], parts["decisions"])
    try:
        services.gray.refresh()
        yield services
    finally:
        services.close()


def promote_and_lose_redis_before_activating(stores: Stores, experiment_id: str) -> None:
    cut_off = Interrupting(stores.rule_sets, "activate", completes_a_promotion, raise_unavailable)
    with replica_with(stores, rule_sets=cut_off) as b, pytest.raises(StorageUnavailable):
        b.gray.change(experiment_id, Action.PROMOTE, "lead", "ship")


def test_a_promotion_that_loses_its_race_changes_nothing(stores: Stores, replicas: tuple[Services, Services]) -> None:
    a, _ = replicas
    prepare(a)
    running = a.gray.start("fulfilment", 2, "rev", "pilot")
    ramp_first = Interrupting(
        stores.experiments,
        "save_transition",
        lambda before, after, action, *_: action is Action.PROMOTE,
        lambda: a.gray.change(running.id, Action.RAMP, "other", "ramp meanwhile", 1000),
    )
    with replica_with(stores, experiments=ramp_first) as b:
        with pytest.raises(Conflict):
            b.gray.change(running.id, Action.PROMOTE, "lead", "ship")
        stored = stores.experiments.get(running.id)
        assert (stored.state, stored.share_bp) == (State.RUNNING, 1000), "the other replica's ramp stands"
        assert active_version(stores) == 1, "the candidate was not activated"
        done = b.gray.change(running.id, Action.PROMOTE, "lead", "ship")  # the caller retries
        assert done.experiment.state is State.PROMOTED and done.activated is not None
        assert active_version(stores) == 2


def test_a_promotion_cut_off_after_it_is_recorded_is_finished_by_any_supervisor(
    stores: Stores, replicas: tuple[Services, Services]
) -> None:
    a, _ = replicas
    prepare(a)
    running = a.gray.start("fulfilment", 2, "rev", "pilot")
    promote_and_lose_redis_before_activating(stores, running.id)
    assert stores.experiments.get(running.id).state is State.PROMOTED
    assert stores.experiments.holder("fulfilment") == running.id, "the promotion keeps its rule set"
    with pytest.raises(RuleSetHeld):
        a.catalog.activate("fulfilment", 1, "ops", "not while a promotion is pending")

    tick = a.supervisor.tick()
    assert [(p.version, p.previous_version, p.changed) for p in tick.promoted] == [(2, 1, True)]
    active = stores.rule_sets.active("fulfilment")
    assert active is not None and active.version == 2
    assert (active.actor, active.reason) == ("lead", f"promote {running.id}: ship")
    assert stores.experiments.holder("fulfilment") is None
    assert a.supervisor.tick().promoted == [], "nothing is left to finish"
    assert a.catalog.active("fulfilment").version == 2


def test_promoting_again_confirms_a_finished_promotion_without_activating_twice(
    stores: Stores, replicas: tuple[Services, Services]
) -> None:
    a, b = replicas
    prepare(a)
    running = a.gray.start("fulfilment", 2, "rev", "pilot")
    first = a.gray.change(running.id, Action.PROMOTE, "lead", "ship")
    b.gray.refresh()
    again = b.gray.change(running.id, Action.PROMOTE, "lead", "ship (retried)")
    assert first.activated is not None and again.activated is not None
    assert (again.activated.version, again.activated.changed) == (2, False)
    audit = stores.rule_sets.audit("fulfilment", 10)
    assert [e.action for e in audit].count("activate") == 2, "the first activation and the promotion"
    assert [t.action for t in stores.experiments.transitions(running.id)] == [Action.START, Action.PROMOTE]


def test_a_start_after_a_half_done_promotion_finishes_it_first(
    stores: Stores, replicas: tuple[Services, Services]
) -> None:
    a, _ = replicas
    prepare(a)
    running = a.gray.start("fulfilment", 2, "rev", "pilot")
    promote_and_lose_redis_before_activating(stores, running.id)
    a.catalog.publish(CANDIDATE + "\n# a third version\n", "third.yaml", "ana", "v3")
    started = a.gray.start("fulfilment", 3, "rev", "next")
    assert (started.baseline_version, started.candidate_version) == (2, 3), "the promoted version is the baseline"


def test_a_retried_start_returns_the_experiment_it_created(replicas: tuple[Services, Services]) -> None:
    a, b = replicas
    prepare(a)
    b.gray.refresh()
    first = a.gray.start("fulfilment", 2, "rev", "pilot", request_id="7f1c")
    retried = b.gray.start("fulfilment", 2, "rev", "pilot", request_id="7f1c")
    assert retried == first
    with pytest.raises(FailedPrecondition) as other:
        b.gray.start("fulfilment", 2, "rev", "pilot", request_id="another")
    assert first.id in other.value.message and "running" in other.value.message


def test_a_catalog_built_alone_still_refuses_an_activation_during_an_experiment(
    stores: Stores, replicas: tuple[Services, Services]
) -> None:
    a, _ = replicas
    prepare(a)
    running = a.gray.start("fulfilment", 2, "rev", "pilot")
    alone = RuleSetCatalog(stores.rule_sets, utc_now)  # as `serve --workers` seeds: no gray releases beside it
    with pytest.raises(RuleSetHeld) as held:
        alone.activate("fulfilment", 2, "ops", "sneak")
    assert held.value.holder == running.id


def leave_ended_holder(stores: Stores, rule_set: str, experiment_id: str) -> None:
    """What an older build could leave behind: the rule set still held by an experiment that ended."""
    if isinstance(stores.experiments, RedisExperimentStore):
        stores.experiments._redis.set(keys.rule_set(rule_set, "experiment"), experiment_id)
    else:
        stores.experiments._db.rule_sets[rule_set].holder = experiment_id  # type: ignore[attr-defined]


def test_two_replicas_starting_at_once_never_both_start(stores: Stores, replicas: tuple[Services, Services]) -> None:
    a, b = replicas
    prepare(a)
    b.gray.refresh()
    both = 0
    for _ in range(40):
        ended = a.gray.start("fulfilment", 2, "rev", "earlier")
        a.gray.change(ended.id, Action.ABORT, "rev", "ended")
        leave_ended_holder(stores, "fulfilment", ended.id)
        started: list[str] = []
        barrier = threading.Barrier(2)

        def start(app: Services, barrier: threading.Barrier = barrier, started: list[str] = started) -> None:
            barrier.wait()
            with contextlib.suppress(FailedPrecondition):  # the other replica won: as it should be
                started.append(app.gray.start("fulfilment", 2, "rev", "race").id)

        threads = [threading.Thread(target=start, args=(app,)) for app in (a, b)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        both += len(started) == 2
        assert stores.experiments.holder("fulfilment") in started
        for experiment_id in started:
            a.gray.change(experiment_id, Action.ABORT, "rev", "next round")
    assert both == 0, f"{both} of 40 rounds started two experiments"
    unfinished = [e for e in a.gray.experiments("fulfilment") if not e.state.is_final]
    assert unfinished == []


def test_each_action_is_audited_under_its_name(replicas: tuple[Services, Services]) -> None:
    a, _ = replicas
    prepare(a)
    running = a.gray.start("fulfilment", 2, "rev", "pilot")
    for action, share in ((Action.RAMP, 2000), (Action.PAUSE, 0), (Action.RESUME, 0), (Action.ROLLBACK, 0)):
        a.gray.change(running.id, action, "rev", str(action), share)
    _, history = a.gray.get(running.id)
    assert [(t.action, t.reason, t.share_bp) for t in history][1:] == [
        (Action.RAMP, "ramp", 2000),
        (Action.PAUSE, "pause", 2000),
        (Action.RESUME, "resume", 2000),
        (Action.ROLLBACK, "rollback", 2000),
    ]
    assert a.gray.live("fulfilment") is None


class AfterRead:
    """A store whose `method` runs `meanwhile` once just after it answered (the answer is then stale)."""

    def __init__(self, inner: Any, method: str) -> None:
        self._inner, self._method = inner, method
        self.meanwhile: Callable[[], object] | None = None

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._inner, name)
        if name != self._method:
            return real

        def call(*args: Any, **kwargs: Any) -> Any:
            answer = real(*args, **kwargs)
            meanwhile, self.meanwhile = self.meanwhile, None
            if meanwhile is not None:
                meanwhile()
            return answer

        return call


def test_a_rollback_during_a_refresh_takes_effect_at_once_on_its_replica(stores: Stores) -> None:
    # The refresh read the experiment running, then this replica rolled it back; the refresh must not put the
    # running experiment back (it did: the candidate kept serving until the next change came in).
    stale = AfterRead(stores.experiments, "get")
    with replica_with(stores, experiments=stale) as app:
        prepare(app)
        running = app.gray.start("fulfilment", 2, "rev", "pilot")
        assert app.gray.live("fulfilment") is not None
        stale.meanwhile = lambda: app.gray.change(running.id, Action.ROLLBACK, "rev", "no gain")
        app.gray.refresh()
        assert stores.experiments.get(running.id).state is State.ROLLED_BACK
        assert app.gray.live("fulfilment") is None, "the rolled-back experiment is not routed"


def test_results_are_narrowed_by_what_any_replica_has_shown(
    stores: Stores, replicas: tuple[Services, Services]
) -> None:
    """experiments.running through the store: a look on one replica narrows the next look on the other."""
    a, b = replicas
    prepare(a)
    running = a.gray.start("fulfilment", 2, "rev", "pilot")
    breach_exception_guardrail(stores, running.id)
    _, first = a.gray.results(running.id)
    shown = next(m for m in first.metrics if m.metric == "exception")
    assert shown.low is not None and shown.high is not None
    assert stores.experiments.running(running.id)["exception"] == Bounds(shown.low, shown.high, shown.p_value)
    tighter = Bounds(shown.low + (shown.high - shown.low) / 4, shown.high, shown.p_value)
    stores.experiments.narrow(running.id, {"exception": tighter})
    _, second = b.gray.results(running.id)
    again = next(m for m in second.metrics if m.metric == "exception")
    assert (again.low, again.high) == (tighter.low, tighter.high)
