"""Kaplan-Meier intervals, median limits and restricted means against R's survival.

Every expected number below was printed by ``Rscript scripts/survival_reference.R``
(R 4.2.2, survival 3.5.3) on the data of ``survival_reference_data``; the R call is
quoted next to each.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from survival_reference_data import GROUP, STATUS, TIME

import loyaltymetrics as lm

NA = math.nan


@pytest.mark.parametrize(
    ("interval", "lower", "upper"),
    [
        # survfit(Surv(time, status) ~ 1, data = subset(data, group == 0), conf.type = "log")
        (
            "log",
            [
                1.0,
                0.7270714095855,
                0.4740062496812,
                0.4032358520059,
                0.3266850286013,
                0.2567552258413,
                0.1769938548388,
                0.1769938548388,
                0.0826075262208,
                0.0209560670604,
                NA,
            ],
            [
                1.0,
                1.0,
                0.955752259983,
                0.910029103616,
                0.860005630049,
                0.803928926300,
                0.746377833632,
                0.746377833632,
                0.710746592199,
                0.700429827581,
                NA,
            ],
        ),
        # the same with conf.type = "log-log"
        (
            "log-log",
            [
                NA,
                0.5859814368090,
                0.3829285105636,
                0.3233765785878,
                0.2564985178129,
                0.1966575412224,
                0.1273825386001,
                0.1273825386001,
                0.0483890354895,
                0.0078533044615,
                NA,
            ],
            [
                NA,
                0.967188846029,
                0.849353546534,
                0.800466010476,
                0.743673698409,
                0.681999934527,
                0.608290709131,
                0.608290709131,
                0.515038476172,
                0.398851828059,
                NA,
            ],
        ),
    ],
)
def test_pointwise_limits_equal_survfit(interval, lower, upper) -> None:
    rows = GROUP == 0
    curve = lm.kaplan_meier(TIME[rows], STATUS[rows], interval=interval)
    defined = ~np.isnan(lower)
    np.testing.assert_allclose(curve.survival_low[defined], np.array(lower)[defined], atol=1e-11)
    np.testing.assert_allclose(curve.survival_high[defined], np.array(upper)[defined], atol=1e-11)
    # Where R has no limit: S = 1 (log-log: both limits 1 here) or S = 0 (both 0 here).
    undefined = ~defined
    np.testing.assert_array_equal(curve.survival_low[undefined], curve.survival[undefined])


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        # summary(survfit(Surv(time, status) ~ group, conf.type = "log"))$table
        ("log", [(8, 3, math.inf), (22, 5, math.inf), (25, 18, math.inf)]),
        # summary(survfit(Surv(time, status) ~ group, conf.type = "log-log"))$table
        ("log-log", [(8, 3, 18), (22, 4, 25), (25, 14, math.inf)]),
    ],
)
def test_median_and_its_limits_equal_survfit(interval, expected) -> None:
    curves = lm.kaplan_meier(TIME, STATUS, by=GROUP, interval=interval)
    got = list(zip(curves.median, curves.median_low, curves.median_high, strict=True))
    assert got == [tuple(map(float, row)) for row in expected]
    single = lm.kaplan_meier(TIME[GROUP == 0], STATUS[GROUP == 0], interval=interval)
    assert tuple(single.median_confidence_interval()) == tuple(map(float, expected[0][1:]))


@pytest.mark.parametrize(
    ("horizon", "expected"),
    [
        # print(survfit(Surv(time, status) ~ group), rmean = 30): rmean, se(rmean)
        (
            30,
            [
                (10.1358173077, 2.14937055174),
                (16.2570806100, 2.57185913535),
                (20.9763888889, 2.11355340803),
            ],
        ),
        # print(survfit(Surv(time, status) ~ group), rmean = 12.5)
        (
            12.5,
            [
                (7.65216346154, 1.148534279516),
                (9.42483660131, 1.025664920466),
                (10.66666666667, 0.683172406525),
            ],
        ),
    ],
)
def test_restricted_mean_equals_survfit(horizon, expected) -> None:
    curves = lm.kaplan_meier(TIME, STATUS, by=GROUP)
    table = curves.restricted_mean(horizon, backend="polars")
    np.testing.assert_allclose(table["estimate"].to_numpy(), [e[0] for e in expected], atol=1e-9)
    np.testing.assert_allclose(
        table["standard_error"].to_numpy(), [e[1] for e in expected], atol=1e-9
    )
    for label, (mean, se) in zip(curves.groups, expected, strict=True):
        single = lm.kaplan_meier(TIME[label == GROUP], STATUS[label == GROUP])
        result = single.restricted_mean(horizon)
        assert result.estimate == pytest.approx(mean, abs=1e-9)
        assert result.standard_error == pytest.approx(se, abs=1e-9)
        z = 1.959963984540054
        assert tuple(result.confidence_interval()) == pytest.approx((mean - z * se, mean + z * se))
    comparison = curves.compare_restricted_means(horizon, 2, 0)
    difference = expected[2][0] - expected[0][0]
    se = math.hypot(expected[2][1], expected[0][1])
    assert comparison.difference == pytest.approx(difference, abs=1e-9)
    assert comparison.statistic == pytest.approx(difference / se, abs=1e-8)
    assert comparison.pvalue == pytest.approx(math.erfc(abs(difference / se) / math.sqrt(2)))
