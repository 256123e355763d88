"""Rule insights: per rule, the orders it matched and decided and their outcomes beside the rest's,
the worst first; the intervals agree with reference packages (statsmodels, scipy)."""

from __future__ import annotations

import random

import pytest
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep

from rules import check
from rules.explain import explain
from rules.insights import InsightTally, _Sums, compare, t_quantile
from tests.conftest import EXAMPLES

RULE_SET = check((EXAMPLES / "fulfilment.yaml").read_text()).rule_set


def order(i: int) -> dict[str, object]:
    return {
        "order_id": f"SO-{i}",
        "order_type": "NORMAL",
        "customer": {"customer_id": f"c-{i}", "tier": "REGULAR", "repeat_purchases": i % 4},
        "lines": [{"sku": "a", "qty": 1, "hazmat": False}],
    }


def test_the_rule_whose_orders_fared_worst_comes_first_with_its_counts_and_fields() -> None:
    assert RULE_SET is not None
    tally = InsightTally(RULE_SET.default.id)
    for i in range(400):
        decision = explain(RULE_SET, order(i)).trial.decision
        express = "repeat-customer-express" in decision.matched_rules
        outcome = {"exception": float(express and i % 8 == 3), "on_time": 1.0} if i % 10 else None
        tally.add(decision, outcome)
    insights = tally.report([r.id for r in RULE_SET.rules])
    first = insights.rules[0]
    assert (insights.orders, insights.reported) == (400, 360)
    assert (first.rule_id, first.matched, first.decided) == ("repeat-customer-express", 100, 100)
    assert ("path", 100) in first.fields
    exception = first.comparison("exception")
    assert exception is not None
    assert (exception.decided.reports, exception.rest.reports) == (100, 260)
    assert exception.decided.mean == pytest.approx(0.5) and exception.rest.mean == 0.0
    assert 0.3 < exception.difference_low < 0.5 < exception.difference_high < 0.7
    default = next(r for r in insights.rules if r.rule_id == RULE_SET.default.id)
    assert default.matched == 300, "the default 'matches' the orders no rule matched"


@pytest.mark.parametrize(("k1", "n1", "k2", "n2"), [(45, 90, 0, 270), (3, 40, 10, 400), (120, 1000, 90, 1200)])
def test_a_rate_difference_interval_is_newcombes_as_statsmodels_computes_it(k1: int, n1: int, k2: int, n2: int) -> None:
    ours = compare("exception", _Sums(n1, k1, k1), _Sums(n2, k2, k2))
    low, high = confint_proportions_2indep(k1, n1, k2, n2, method="newcomb", compare="diff")
    assert (ours.difference_low, ours.difference_high) == (pytest.approx(low, abs=1e-6), pytest.approx(high, abs=1e-6))


def test_an_amount_difference_interval_is_welchs_as_scipy_computes_it() -> None:
    rng = random.Random(7)
    a = [rng.lognormvariate(3, 0.5) for _ in range(25)]
    b = [rng.lognormvariate(3.2, 0.9) for _ in range(60)]
    ours = compare("fulfilment_hours", _sums(a), _sums(b))
    reference = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert ours.difference_low == pytest.approx(reference.low, rel=2e-3)
    assert ours.difference_high == pytest.approx(reference.high, rel=2e-3)


@pytest.mark.parametrize("dof", [3, 5, 10, 30, 200, 10_000])
def test_the_t_quantile_is_within_half_a_percent_of_scipys(dof: int) -> None:
    assert t_quantile(dof) == pytest.approx(stats.t.ppf(0.975, dof), rel=5e-3)


def _sums(values: list[float]) -> _Sums:
    s = _Sums()
    for v in values:
        s.add(v)
    return s
