"""The memo keeps at most its capacity, lets the oldest case go first, and counts what it served."""

from __future__ import annotations

from rules.memo import Memo


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
