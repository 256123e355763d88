"""The memo keeps at most its capacity, lets the oldest case go first, and counts what it served."""

from __future__ import annotations

from rules.memo import REST, TRIAL, Memo


def test_a_full_memo_lets_the_oldest_case_go_and_counts_it() -> None:
    memo = Memo(capacity=3)
    for key in "abcde":
        memo.put(key, ((ord(key),), ()))
    assert memo.get_many(list("abcde")) == [None, None, ((99,), ()), ((100,), ()), ((101,), ())]
    memo.put("c", ((0,), ()))  # a case it holds is replaced, nothing let go
    memo.count(orders=10, evaluated=4)
    stats = memo.stats()
    assert (stats.size, stats.capacity, stats.evictions) == (3, 3, 2)
    assert (stats.hits, stats.misses, stats.hit_rate) == (6, 4, 0.6)


def test_a_memo_that_does_not_serve_rests_then_tries_again_and_one_that_serves_never_rests() -> None:
    memo = Memo()
    memo.count(orders=TRIAL, evaluated=TRIAL)  # a trial where every order was a case of its own
    assert memo.resting(REST - 100) and memo.resting(100), "the next REST orders skip it"
    assert not memo.resting(1), "then it tries again"
    assert memo.stats().bypassed == REST
    serving = Memo()
    for _ in range(10):
        serving.count(orders=TRIAL, evaluated=TRIAL // 10)  # 90% hits
    assert not serving.resting(1) and serving.stats().bypassed == 0
