"""The settled result API: the common ``estimate``, the interval in the repr, counts as integers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

import loyaltymetrics as lm

NPS = lm.nps_from_counts(detractors=20, passives=30, promoters=50)
CSAT = lm.csat_from_counts([5, 5, 10, 40, 40])
CES = lm.ces_from_counts([2, 3, 5, 10, 20, 30, 30])


@pytest.mark.parametrize(
    ("result", "headline"),
    [
        (NPS, "score"),
        (CSAT, "score"),
        (CES, "mean"),
        (lm.retention_rate(start=200, end=190, new=30), "rate"),
        (lm.churn_rate(start=200, end=190, new=30), "rate"),
        (lm.repeat_purchase_rate(["a", "b", "a"]), "rate"),
        (lm.average_order_value([20.0, 35.5, 12.0]), "value"),
        (lm.purchase_frequency(["a", "b", "a"]), "value"),
        (
            lm.compare_nps(NPS, lm.nps_from_counts(detractors=30, passives=30, promoters=40)),
            "difference",
        ),
        (lm.compare_csat(CSAT, lm.csat_from_counts([10, 5, 10, 40, 35])), "difference"),
        (lm.compare_ces(CES, lm.ces_from_counts([3, 3, 5, 10, 20, 30, 29])), "difference"),
    ],
)
def test_every_headline_is_also_the_estimate(result: Any, headline: str) -> None:
    assert result.estimate == getattr(result, headline)
    assert isinstance(result.estimate, float)


def test_repr_and_html_show_the_default_interval() -> None:
    # The default intervals: adjusted Wald (NPS), Wilson (CSAT: 80 of 100
    # satisfied, reference statsmodels), t (CES).
    for result in (NPS, CSAT, CES):
        low, high = result.confidence_interval()
        assert f"ci=[{low:.6g}, {high:.6g}]" in repr(result)
        html = result._repr_html_()
        assert f"<th style='text-align:left'>ci</th><td style='text-align:right'>[{low:.6g}" in html
    ref_low, ref_high = proportion_confint(80, 100, method="wilson")
    assert f"ci=[{100 * ref_low:.6g}, {100 * ref_high:.6g}]" in repr(CSAT)
    # The interval comes right after the headline number.
    assert repr(CES).startswith(f"CESResult(mean={CES.mean}, ci=[")
    # A result built without counts has no interval to show, and still prints.
    bare = lm.NPSResult(
        score=10.0,
        n=10,
        detractors=2,
        passives=5,
        promoters=3,
        detractor_share=0.2,
        passive_share=0.5,
        promoter_share=0.3,
    )
    assert repr(bare).startswith("NPSResult(score=10.0, n=10,")


def test_counts_are_integers_and_weights_are_separate() -> None:
    scores = np.array([10, 9, 7, 3, 0, 10])
    weights = np.array([0.5, 2.0, 1.0, 1.5, 1.0, 2.0])
    kish = weights.sum() ** 2 / (weights**2).sum()  # Kish (1965)
    for result in (
        lm.nps(scores, weights=weights),
        lm.csat(np.clip(scores // 2, 1, 5), weights=weights),
        lm.ces(np.clip(scores // 2 + 1, 1, 7), weights=weights),
    ):
        assert result.n == 6
        assert type(result.n) is int
        assert result.weight_total == pytest.approx(weights.sum())
        assert result.effective_n == pytest.approx(kish)
        data = result.to_dict()
        assert data["n"] == 6
        assert data["weight_total"] == pytest.approx(8.0)
        assert f"weight_total=8.0, effective_n={kish:.6g}" in repr(result)
    plain = lm.nps(scores)
    assert (plain.n, plain.weight_total, plain.effective_n) == (6, 6.0, 6.0)
    assert "weight_total" not in repr(plain)


@pytest.mark.parametrize(
    ("result", "options"),
    [
        (NPS, {}),
        (CSAT, {}),
        (CES, {}),
        (CES, {"of": "agree_share"}),
        (lm.average_order_value([20.0, 35.5, 12.0, 50.0, 20.0]), {}),
    ],
)
@pytest.mark.parametrize("method", ["percentile", "basic", "bca"])
def test_a_bootstrap_interval_carries_its_distribution(
    result: Any, options: dict[str, str], method: str
) -> None:
    interval = result.confidence_interval(method=method, n_resamples=999, rng=7, **options)
    distribution = interval.bootstrap_distribution
    assert distribution.shape == (999,)
    # The standard error is the ddof=1 spread of the replicates (scipy's definition).
    assert interval.standard_error == pytest.approx(np.std(distribution, ddof=1), rel=1e-12)
    if method == "percentile":
        # The percentile limits are the 2.5% and 97.5% quantiles of the replicates,
        # interpolated as scipy.stats.bootstrap does (numpy's default "linear").
        quantiles = np.percentile(distribution, [2.5, 97.5])
        np.testing.assert_allclose(tuple(interval), quantiles, rtol=1e-12)
    # Carrying the distribution does not change the interval, nor equality.
    again = result.confidence_interval(method=method, n_resamples=999, rng=7, **options)
    assert interval == again
    assert set(interval.to_dict()) == {"low", "high", "bootstrap_distribution", "standard_error"}
    # The scipy engine hands on scipy's own distribution and standard error.
    if not isinstance(result, lm.MeanResult):
        scipy_interval = result.confidence_interval(
            method=method, n_resamples=999, rng=7, engine="scipy", **options
        )
        assert scipy_interval.bootstrap_distribution.shape == (999,)
        assert scipy_interval.standard_error == pytest.approx(
            np.std(scipy_interval.bootstrap_distribution, ddof=1)
        )


def test_analytic_intervals_have_no_bootstrap_distribution() -> None:
    for interval in (NPS.confidence_interval(), CSAT.confidence_interval(method="exact")):
        assert interval.bootstrap_distribution is None
        assert interval.standard_error is None
        assert set(interval.to_dict()) == {"low", "high"}
