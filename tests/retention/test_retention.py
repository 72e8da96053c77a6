"""Period rates, repeat purchase, purchase frequency and average order value.

References: the definitions worked by hand; statsmodels' ``proportion_confint``
for the rate intervals; ``scipy.stats.ttest_1samp(...).confidence_interval``
for the intervals of a mean.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from statsmodels_names import STATSMODELS_NAME

import loyaltymetrics as lm
from loyaltymetrics._engine._intervals import PROPORTION_METHODS

statsmodels_proportion = pytest.importorskip("statsmodels.stats.proportion")


def test_retention_and_churn_by_hand() -> None:
    # 200 customers at the start, 210 at the end of whom 30 are new:
    # retained = 210 - 30 = 180, retention = 180 / 200 = 0.9, churn = 20 / 200 = 0.1.
    retention = lm.retention_rate(start=200, end=210, new=30)
    churn = lm.churn_rate(start=200, end=210, new=30)
    assert (retention.rate, retention.retained) == (0.9, 180)
    assert (churn.rate, churn.churned) == (pytest.approx(0.1), 20)
    assert retention.rate + churn.rate == pytest.approx(1.0)
    # ci: statsmodels' proportion_confint(180, 200, method="wilson") = (0.850594, 0.93433).
    assert repr(retention) == (
        "RetentionResult(rate=0.9, ci=[0.850594, 0.93433], retained=180, start=200, end=210, "
        "new=30)"
    )
    assert churn.to_dict() == {
        "rate": pytest.approx(0.1),
        "churned": 20,
        "start": 200,
        "end": 210,
        "new": 30,
    }
    # Boundaries: everyone kept, everyone lost.
    assert lm.retention_rate(start=5, end=5, new=0).rate == 1.0
    assert lm.churn_rate(start=5, end=3, new=3).rate == 1.0


@pytest.mark.parametrize("method", PROPORTION_METHODS)
@pytest.mark.parametrize("confidence_level", [0.9, 0.95])
def test_rate_intervals_equal_statsmodels(method: str, confidence_level: float) -> None:
    retention = lm.retention_rate(start=130, end=120, new=13)  # 107 of 130 retained
    churn = lm.churn_rate(start=130, end=120, new=13)  # 23 of 130 churned
    repeat = lm.repeat_purchase_rate([1, 1, 2, 3, 3, 3, 4, 5, 6, 6])  # 3 of 6 repeat
    for result, count, nobs in ((retention, 107, 130), (churn, 23, 130), (repeat, 3, 6)):
        low, high = result.confidence_interval(confidence_level=confidence_level, method=method)
        ref_low, ref_high = statsmodels_proportion.proportion_confint(
            count, nobs, alpha=1 - confidence_level, method=STATSMODELS_NAME[method]
        )
        assert low == pytest.approx(max(ref_low, 0.0), abs=1e-12)
        assert high == pytest.approx(min(ref_high, 1.0), abs=1e-12)


def test_churn_interval_mirrors_retention_interval() -> None:
    retention = lm.retention_rate(start=50, end=48, new=8)
    churn = lm.churn_rate(start=50, end=48, new=8)
    r_low, r_high = retention.confidence_interval(method="exact")
    c_low, c_high = churn.confidence_interval(method="exact")
    assert c_low == pytest.approx(1 - r_high, abs=1e-12)
    assert c_high == pytest.approx(1 - r_low, abs=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"start": 0, "end": 5, "new": 5}, ValueError, "`start` must be positive"),
        ({"start": 10, "end": 5, "new": 6}, ValueError, r"`new` \(6\) must not exceed `end` \(5\)"),
        ({"start": 10, "end": 25, "new": 5}, ValueError, r"\(20\) must not exceed `start` \(10\)"),
        ({"start": -1, "end": 5, "new": 0}, ValueError, "`start` must be non-negative"),
        ({"start": 10, "end": -5, "new": 0}, ValueError, "`end` must be non-negative"),
        ({"start": 10, "end": 5, "new": 1.5}, ValueError, "`new` must be a whole number"),
        ({"start": "10", "end": 5, "new": 0}, TypeError, "`start`"),
    ],
)
@pytest.mark.parametrize("function", [lm.retention_rate, lm.churn_rate])
def test_rate_bad_input(function, kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        function(**kwargs)


def test_rate_interval_arguments_are_checked() -> None:
    result = lm.retention_rate(start=10, end=8, new=0)
    with pytest.raises(ValueError, match="`method` must be one of"):
        result.confidence_interval(method="bogus")
    with pytest.raises(ValueError, match="`confidence_level`"):
        result.confidence_interval(confidence_level=95)


def test_order_metrics_by_hand() -> None:
    # Orders of customers a (2), b (1), c (3): 6 orders, 3 customers.
    ids = ["a", "b", "a", "c", "c", "c"]
    repeat = lm.repeat_purchase_rate(ids)
    assert (repeat.repeat_customers, repeat.customers, repeat.orders) == (2, 3, 6)
    assert repeat.rate == pytest.approx(2 / 3)
    frequency = lm.purchase_frequency(ids)
    assert (frequency.value, frequency.n, frequency.total) == (2.0, 3, 6.0)
    # Orders per customer 2, 1, 3: sample standard deviation 1.
    assert frequency.standard_deviation == pytest.approx(1.0)


def test_purchase_frequency_interval_equals_scipy() -> None:
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 50, 400)
    _, per_customer = np.unique(ids, return_counts=True)
    reference = stats.ttest_1samp(per_customer, 0).confidence_interval(0.9)
    low, high = lm.purchase_frequency(ids).confidence_interval(confidence_level=0.9)
    assert low == pytest.approx(reference.low, rel=1e-12)
    assert high == pytest.approx(reference.high, rel=1e-12)


def test_order_metrics_accept_series_and_integer_ids() -> None:
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    ids = ["x", "y", "x", "z"]
    expected = lm.repeat_purchase_rate(ids)
    assert lm.repeat_purchase_rate(pd.Series(ids)) == expected
    assert lm.repeat_purchase_rate(pl.Series(ids)) == expected
    assert lm.repeat_purchase_rate(np.array([7, 8, 7, 9])) == expected
    assert lm.purchase_frequency(pd.Series(ids, dtype="category")).value == pytest.approx(4 / 3)


@pytest.mark.parametrize(
    ("ids", "error", "match"),
    [
        ([], ValueError, "at least one order"),
        (["a", None], ValueError, "missing value at position 1"),
        ([1.0, float("nan")], ValueError, "missing value at position 1"),
        ([True, False], TypeError, "must be identifiers"),
        (["a", 1], TypeError, "mixes strings"),
        ("abc", TypeError, "not a string"),
        ([[1, 2]], ValueError, "one-dimensional"),
    ],
)
@pytest.mark.parametrize("function", [lm.repeat_purchase_rate, lm.purchase_frequency])
def test_order_metrics_bad_input(function, ids, error, match) -> None:
    with pytest.raises(error, match=match):
        function(ids)


@given(st.lists(st.integers(0, 6), min_size=1, max_size=40), st.randoms(use_true_random=False))
def test_order_metric_properties(ids: list[int], random) -> None:
    repeat = lm.repeat_purchase_rate(ids)
    assert 0.0 <= repeat.rate <= 1.0
    low, high = repeat.confidence_interval()
    assert low <= repeat.rate <= high
    frequency = lm.purchase_frequency(ids)
    assert frequency.value == pytest.approx(len(ids) / len(set(ids)))
    assert frequency.value >= 1.0
    shuffled = list(ids)
    random.shuffle(shuffled)
    assert lm.repeat_purchase_rate(shuffled) == repeat
    # Splitting the log by customer and merging the counts gives the same rate.
    first = [i for i in ids if i % 2 == 0]
    second = [i for i in ids if i % 2 == 1]
    parts = [lm.repeat_purchase_rate(p) for p in (first, second) if p]
    assert sum(p.repeat_customers for p in parts) == repeat.repeat_customers
    assert sum(p.customers for p in parts) == repeat.customers


def test_average_order_value_by_hand_and_scipy() -> None:
    # Mean 30, deviations -10, 5, 20, -15: s = sqrt(750 / 3) = 15.811;
    # t(0.975; 3) = 3.182446 -> half-width 3.182446 * 15.8114 / 2 = 25.15945.
    result = lm.average_order_value([20.0, 35.0, 50.0, 15.0])
    assert (result.value, result.n, result.total) == (30.0, 4, 120.0)
    assert result.standard_deviation == pytest.approx(np.sqrt(250.0))
    low, high = result.confidence_interval()
    assert low == pytest.approx(30 - 25.15945, abs=1e-4)
    assert high == pytest.approx(30 + 25.15945, abs=1e-4)
    rng = np.random.default_rng(4)
    amounts = rng.gamma(2.0, 20.0, 300)
    for level in (0.8, 0.95, 0.99):
        reference = stats.ttest_1samp(amounts, 0).confidence_interval(level)
        low, high = lm.average_order_value(amounts).confidence_interval(confidence_level=level)
        assert low == pytest.approx(reference.low, rel=1e-12)
        assert high == pytest.approx(reference.high, rel=1e-12)


def test_average_order_value_missing_values_and_degenerate() -> None:
    with pytest.raises(ValueError, match="first at position 1"):
        lm.average_order_value([10.0, None, 30.0])
    omitted = lm.average_order_value([10.0, None, 30.0], nan_policy="omit")
    assert (omitted.value, omitted.n, omitted.n_omitted) == (20.0, 2, 1)
    propagated = lm.average_order_value([10.0, float("nan")], nan_policy="propagate")
    assert np.isnan(propagated.value)
    assert all(np.isnan(list(propagated.confidence_interval())))
    single = lm.average_order_value([42.0])
    assert single.value == 42.0
    assert all(np.isnan(list(single.confidence_interval())))  # no spread from one order
    constant = lm.average_order_value([5.0, 5.0, 5.0])
    assert tuple(constant.confidence_interval()) == (5.0, 5.0)


@pytest.mark.parametrize(
    ("amounts", "kwargs", "error", "match"),
    [
        ([], {}, ValueError, "at least one order"),
        ([10.0, -1.0], {}, ValueError, "non-negative; found -1.0 at position 1"),
        ([10.0, float("inf")], {}, ValueError, "finite"),
        ([float("nan")], {"nan_policy": "omit"}, ValueError, "no non-missing values"),
        (["a"], {}, TypeError, "`amounts`"),
        ([1.0], {"nan_policy": "drop"}, ValueError, "`nan_policy`"),
    ],
)
def test_average_order_value_bad_input(amounts, kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        lm.average_order_value(amounts, **kwargs)


def test_transactions_dataset() -> None:
    log = lm_datasets_transactions()
    repeat = lm.repeat_purchase_rate(log["customer_id"])
    assert repeat.customers == 800
    assert repeat.orders == log["amount"].shape[0]
    aov = lm.average_order_value(log["amount"])
    assert aov.value == pytest.approx(log["amount"].mean())


def lm_datasets_transactions():
    from loyaltymetrics.datasets import load_transactions

    return load_transactions()


def test_average_order_value_bootstrap_matches_scipy_on_rows() -> None:
    # The count bootstrap over distinct amounts estimates the same interval as
    # scipy.stats.bootstrap over the rows; Monte-Carlo error of 9999 resamples
    # on this sample is about 0.1.
    rng = np.random.default_rng(8)
    amounts = np.round(rng.gamma(2.0, 15.0, 150), 0)
    ours = lm.average_order_value(amounts).confidence_interval(method="bca", rng=1)
    reference = stats.bootstrap((amounts,), np.mean, method="BCa", rng=np.random.default_rng(2))
    assert ours.low == pytest.approx(reference.confidence_interval.low, abs=0.4)
    assert ours.high == pytest.approx(reference.confidence_interval.high, abs=0.4)
    again = lm.average_order_value(amounts).confidence_interval(method="bca", rng=1)
    assert again == ours


def test_confidence_level_is_positional_as_for_every_result() -> None:
    # Same call shape as NPSResult / CSATResult: ci(0.9) == ci(confidence_level=0.9).
    rate = lm.retention_rate(start=100, end=90, new=10)
    assert rate.confidence_interval(0.9) == rate.confidence_interval(confidence_level=0.9)
    spend = lm.average_order_value([10.0, 12.5, 9.0, 30.0])
    assert spend.confidence_interval(0.9) == spend.confidence_interval(confidence_level=0.9)
