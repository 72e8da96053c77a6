"""Hostile input to the CLV formulas and model methods (regressions found by the fuzz test)."""

from __future__ import annotations

import pytest

import loyaltymetrics as lm
from loyaltymetrics import datasets


def test_clv_arguments_that_do_not_broadcast_are_named() -> None:
    with pytest.raises(ValueError, match="`margin`, `retention` and `discount_rate` must have"):
        lm.clv([1.0, 2.0, 3.0], retention=[0.5, 0.5], discount_rate=0.1)
    with pytest.raises(ValueError, match="`periods` must have"):
        lm.clv([1.0, 2.0], retention=0.5, discount_rate=0.1, periods=[1, 2, 3])


@pytest.fixture(scope="module")
def histories():
    f, r, t = datasets.simulate_bgnbd(200, r=0.5, alpha=2.0, a=0.6, b=2.5, T=30.0, rng=1)
    bgbb = datasets.simulate_bgbb(
        200, alpha=1.2, beta=0.8, gamma=0.6, delta=2.0, n_periods=6, rng=3
    )
    return [
        lm.fit_bgnbd(f, r, t),
        lm.fit_mbgnbd(f, r, t),
        lm.fit_pareto_nbd(f, r, t),
        lm.fit_bgbb(*bgbb),
    ]


def test_model_methods_name_arguments_that_do_not_broadcast(histories) -> None:
    for model in histories:
        with pytest.raises(ValueError, match=r"`t`, `frequency`, `recency` and `(T|n_periods)`"):
            model.expected_purchases([1, 2], [1, 2, 3], [1, 2, 3], [5, 5, 5])
        with pytest.raises(ValueError, match="`n` and `t` must have the same length"):
            model.probability_of_purchases([1, 2, 3], [1, 2])


def test_pandas_object_column_of_dates_is_read_as_dates() -> None:
    import datetime as dt

    import pandas as pd

    frame = pd.DataFrame(
        {
            "c": [1, 1, 2],
            "t": [dt.date(2020, 1, 1), dt.date(2020, 2, 1), dt.date(2020, 1, 5)],
            "v": [1.0, 2.0, 3.0],
        }
    )
    # Reference: the same column as datetime64, which both functions document.
    as_datetimes = frame.assign(t=pd.to_datetime(frame["t"]))
    summary = lm.rfm_summary(frame, customer="c", time="t", value="v")
    assert summary.equals(lm.rfm_summary(as_datetimes, customer="c", time="t", value="v"))
    value = lm.historical_clv(frame, customer="c", time="t", value="v")
    assert value.equals(lm.historical_clv(as_datetimes, customer="c", time="t", value="v"))
    assert frame["t"].dtype == object  # the caller's frame is untouched


def test_value_concentration_total_past_the_float_range_names_values() -> None:
    with pytest.raises(ValueError, match="`values` are too large"):
        lm.value_concentration([1e308, 1e308])
    # Below the limit the shares are unit-free (hand-worked: 1e307 / 1.1e307 = 0.909...).
    assert lm.value_concentration([1e307, 1e306, 5.0]).top_share == pytest.approx(1 / 1.1)


def test_simulate_gamma_gamma_names_a_non_numeric_frequency() -> None:
    import datetime as dt

    with pytest.raises(TypeError, match="`frequency` must be numeric"):
        datasets.simulate_gamma_gamma([dt.date(2020, 1, 1)], p=6.0, q=4.0, v=15.0)
