"""Metrics over time: periods, windows and changes equal the single-group functions; the trend."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import polars as pl
import pytest
import statsmodels.api as sm
from engines import ENGINES, as_engine, output_type
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests

import loyaltymetrics as lm
from loyaltymetrics import datasets

# A small survey worked by hand, by calendar month:
#   2025-01: 10, 9, 3       -> promoters 2, detractors 1 of 3: NPS 100 / 3 = 33.33
#   2025-02: no responses   -> n = 0, NaN
#   2025-03: 8, 6, 6, 10    -> promoters 1, detractors 2 of 4: NPS -25
#   2025-04: 9              -> NPS 100
SMALL = pd.DataFrame(
    {
        "date": pd.to_datetime(
            [
                "2025-01-03 00:00:00",
                "2025-01-31 23:59:00",
                "2025-01-15",
                "2025-03-01",
                "2025-03-10",
                "2025-03-31",
                "2025-03-17",
                "2025-04-02",
            ],
            format="ISO8601",
        ),
        "nps": [10, 9, 3, 8, 6, 6, 10, 9],
    }
)
NO_CHANGE = ["difference", "difference_low", "difference_high", "statistic", "pvalue"]


def _columns(result: lm.OverTime) -> dict[str, np.ndarray]:
    return {name: np.asarray(values) for name, values in result._table().items()}


def _child(seed: int, n_rows: int, index: int) -> np.random.Generator:
    # Built afresh for each use: spawning advances a generator's SeedSequence.
    return np.random.default_rng(seed).spawn(n_rows + 1)[index]


def test_hand_worked_months_with_a_gap() -> None:
    result = lm.over_time(SMALL, score="nps", time="date")
    table = _columns(result)
    assert table["period"].astype("datetime64[D]").astype(str).tolist() == [
        "2025-01-01",
        "2025-02-01",
        "2025-03-01",
        "2025-04-01",
    ]
    assert table["n"].tolist() == [3, 0, 4, 1]
    np.testing.assert_allclose(table["score"], [100 / 3, np.nan, -25.0, 100.0])
    assert np.isnan(table["low"][1])
    assert np.isnan(table["high"][1])
    # Changes against the previous month: none for January; February is
    # empty, so February and March (whose previous month is February) are NaN;
    # April - March = 100 - (-25) = 125.
    np.testing.assert_allclose(table["difference"], [np.nan, np.nan, np.nan, 125.0])
    assert table["reference"].astype("datetime64[D]").astype(str).tolist()[3] == "2025-03-01"
    assert np.isnat(table["reference"][0])
    assert result.n == 8
    assert result.n_periods == 4
    assert result.overall == pytest.approx(lm.nps(SMALL["nps"]).score)
    # One p-value is defined, so Holm leaves it unchanged.
    np.testing.assert_allclose(table["pvalue_corrected"], table["pvalue"], equal_nan=True)


def test_weeks_start_on_monday_and_quarters_and_years() -> None:
    days = ["2025-06-01", "2025-06-02", "2025-06-08", "2025-06-09"]  # Sun, Mon, Sun, Mon
    weekly = lm.over_time([10, 9, 0, 5], time=days, period="week", compare=None)
    assert weekly.table["period"].astype(str).tolist() == ["2025-05-26", "2025-06-02", "2025-06-09"]
    assert weekly.table["n"].tolist() == [1, 2, 1]
    daily = lm.over_time([10, 9, 0, 5], time=days, period="day", compare=None)
    assert daily.n_periods == 9
    assert daily.table["n"].sum() == 4
    yearly = lm.over_time([10, 0], time=["2023-12-31", "2025-01-01"], period="year")
    assert yearly.table["n"].tolist() == [1, 0, 1]
    quarterly = lm.over_time(
        [10, 0, 9], time=["2025-03-31", "2025-04-01", "2025-06-30"], period="quarter"
    )
    assert quarterly.table["n"].tolist() == [1, 2]


def test_time_zone_aware_times_count_in_their_own_wall_clock_time() -> None:
    # 23:30 on 31 March in Paris is 21:30 UTC: March in either, and
    # 00:30 on 1 April in Paris is 22:30 UTC on 31 March: April by the local clock.
    local = pd.Series(pd.to_datetime(["2024-03-31 23:30", "2024-04-01 00:30"])).dt.tz_localize(
        "Europe/Paris"
    )
    frame = pd.DataFrame({"when": local, "nps": [10, 0]})
    # (DuckDB's TIMESTAMPTZ_NS columns are of no dtype narwhals knows, so not here.)
    for data in (
        frame,
        pl.from_pandas(frame),
        as_engine("pyarrow", frame),
        as_engine("dask", frame),
    ):
        result = lm.over_time(data, score="nps", time="when", compare=None)
        np.testing.assert_array_equal(_columns(result)["n"], [1, 1])
    arrays = lm.over_time(np.array([10, 0]), time=local, compare=None)
    np.testing.assert_array_equal(arrays.table["score"], [100.0, -100.0])


rows_strategy = st.lists(
    st.tuples(
        st.sampled_from(["n", "s", None]),
        st.integers(0, 5),  # month offset from January 2025
        st.integers(0, 10),
        st.sampled_from([0.5, 1.0, 2.0]),
    ),
    min_size=2,
    max_size=50,
)


def _frame_of(rows: list[tuple[str | None, int, int, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["segment", "month", "nps", "weight"])
    frame["date"] = (np.datetime64("2025-01", "M") + frame["month"].to_numpy()).astype(
        "datetime64[s]"
    ) + np.timedelta64(3, "D")
    return frame


def _rows_of(frame: pd.DataFrame, mask: np.ndarray, weighted: bool) -> lm.NPSResult | None:
    if not mask.any():
        return None
    return lm.nps(frame.loc[mask, "nps"], weights=frame.loc[mask, "weight"] if weighted else None)


def _segment_mask(frame: pd.DataFrame, key: object) -> np.ndarray:
    if key is None:
        return frame["segment"].isna().to_numpy()
    return (frame["segment"] == key).to_numpy()


def _check_row(
    table: dict[str, np.ndarray],
    index: int,
    alone: lm.NPSResult | None,
    method: str,
    rng: np.random.Generator,
) -> None:
    if alone is None or alone.n == 0:
        assert table["n"][index] == 0
        assert np.isnan(table["score"][index])
        return
    interval = alone.confidence_interval(method=method, n_resamples=99, rng=rng)
    np.testing.assert_allclose(
        [table["score"][index], table["low"][index], table["high"][index], table["n"][index]],
        # The table's n is the integer count of responses, as the single result's.
        [alone.score, interval.low, interval.high, alone.n],
        rtol=1e-9,
        atol=1e-9,
    )
    if "weight_total" in table:
        np.testing.assert_allclose(
            [table["weight_total"][index], table["effective_n"][index]],
            [alone.weight_total, alone.effective_n],
            rtol=1e-12,
        )


@settings(max_examples=40)
@given(
    rows=rows_strategy,
    method=st.sampled_from(["adjusted-wald", "wald", "score", "percentile", "bca"]),
    weighted=st.booleans(),
    by=st.booleans(),
    compare=st.sampled_from(["previous", "first", "2025-03-20"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_each_period_and_change_equal_the_single_group_functions(
    rows: list[tuple[str | None, int, int, float]],
    method: str,
    weighted: bool,
    by: bool,
    compare: str,
    seed: int,
) -> None:
    """Per (segment, period): nps on its rows; per change: compare_nps on the two periods' rows.

    Bootstrap included: with children = default_rng(seed).spawn(R + 1) for R
    rows, row i's change is compare_nps with rng=children[1 + i] and its
    interval the single-group interval with children[1 + i].spawn(2)[0].
    """
    frame = _frame_of(rows)
    if compare == "2025-03-20" and not (frame["month"] <= 2).any():
        compare = "first"
    if compare == "2025-03-20" and not (frame["month"] >= 2).any():
        compare = "previous"
    result = lm.over_time(
        frame,
        score="nps",
        time="date",
        by="segment" if by else None,
        weights="weight" if weighted else None,
        compare=compare,
        method=method,
        n_resamples=99,
        rng=seed,
    )
    table = _columns(result)
    n_rows = len(table["n"])
    first_month = int(frame["month"].min())
    paired = method if method != "score" else "adjusted-wald"
    for index in range(n_rows):
        month = first_month + index % result.n_periods
        in_segment = (
            _segment_mask(frame, table["segment"][index]) if by else np.ones(len(frame), bool)
        )
        mask = in_segment & (frame["month"] == month).to_numpy()
        alone = _rows_of(frame, mask, weighted)
        _check_row(table, index, alone, method, _child(seed, n_rows, 1 + index).spawn(2)[0])
        reference = table["reference"][index]
        if np.isnat(reference) or np.isnan(table["difference"][index]):
            continue
        assert alone is not None
        ref_month = int(
            (reference.astype("datetime64[M]") - np.datetime64("2025-01", "M")).astype(int)
        )
        other = _rows_of(frame, in_segment & (frame["month"] == ref_month).to_numpy(), weighted)
        versus = lm.compare_nps(
            alone, other, method=paired, n_resamples=99, rng=_child(seed, n_rows, 1 + index)
        )
        np.testing.assert_allclose(
            [table[name][index] for name in NO_CHANGE],
            [versus.difference, *versus.confidence_interval(), versus.statistic, versus.pvalue],
            rtol=1e-9,
            atol=1e-9,
        )


@settings(max_examples=30)
@given(
    rows=rows_strategy, window=st.integers(1, 4), weighted=st.booleans(), seed=st.integers(0, 99)
)
def test_a_rolling_window_equals_the_function_on_the_window_rows(
    rows: list[tuple[str | None, int, int, float]], window: int, weighted: bool, seed: int
) -> None:
    frame = _frame_of(rows)
    n_periods = int(frame["month"].max() - frame["month"].min()) + 1
    if window > n_periods:
        with pytest.raises(ValueError, match="`window`"):
            lm.over_time(frame, score="nps", time="date", window=window)
        return
    result = lm.over_time(
        frame,
        score="nps",
        time="date",
        weights="weight" if weighted else None,
        window=window,
        method="percentile",
        n_resamples=99,
        rng=seed,
    )
    table = _columns(result)
    n_rows = n_periods - window + 1
    assert result.n_periods == n_rows
    first = int(frame["month"].min())
    for index in range(n_rows):
        end = first + window - 1 + index
        mask = ((frame["month"] > end - window) & (frame["month"] <= end)).to_numpy()
        alone = _rows_of(frame, mask, weighted)
        _check_row(table, index, alone, "percentile", _child(seed, n_rows, 1 + index).spawn(2)[0])
        if index < window:
            # "previous" is the window ending `window` periods earlier: none yet.
            assert np.isnan(table["difference"][index])
            continue
        other_mask = (
            (frame["month"] > end - 2 * window) & (frame["month"] <= end - window)
        ).to_numpy()
        other = _rows_of(frame, other_mask, weighted)
        if alone is None or alone.n == 0 or other is None or other.n == 0:
            assert np.isnan(table["difference"][index])
            continue
        versus = lm.compare_nps(
            alone,
            other,
            method="percentile",
            n_resamples=99,
            rng=_child(seed, n_rows, 1 + index),
        )
        assert table["difference"][index] == pytest.approx(versus.difference, abs=1e-9)
        assert table["pvalue"][index] == pytest.approx(versus.pvalue, abs=1e-9)


def test_window_start_and_baseline_compare() -> None:
    survey = datasets.load_survey(as_frame="pandas")
    result = lm.over_time(survey, score="nps", time="date", window=3, compare="2025-03-15")
    table = _columns(result)
    assert table["window_start"].astype(str)[0] == "2025-01-01"
    assert table["period"].astype(str)[0] == "2025-03-01"
    assert result.compare == "2025-03-01"
    assert (table["reference"].astype(str)[1:] == "2025-03-01").all()
    assert np.isnan(table["difference"][0])  # the baseline itself
    quarter_one = (survey["date"] < "2025-04-01").to_numpy()
    last = (survey["date"] >= "2025-10-01").to_numpy()
    versus = lm.compare_nps(survey.loc[last, "nps"], survey.loc[quarter_one, "nps"])
    assert table["difference"][-1] == pytest.approx(versus.difference, rel=1e-12)
    assert table["pvalue"][-1] == pytest.approx(versus.pvalue, rel=1e-12)


def test_compare_first_and_none() -> None:
    first = lm.over_time(SMALL, score="nps", time="date", compare="first")
    np.testing.assert_allclose(
        _columns(first)["difference"], [np.nan, np.nan, -25 - 100 / 3, 100 - 100 / 3]
    )
    none = lm.over_time(SMALL, score="nps", time="date", compare=None)
    assert "difference" not in _columns(none)
    assert none.comparison_method is None


@pytest.mark.parametrize("correction", ["holm", "bonferroni", "fdr_bh", None])
def test_corrections_over_the_whole_table_equal_statsmodels(correction: str | None) -> None:
    survey = datasets.load_survey(as_frame="pandas")
    result = lm.over_time(survey, score="nps", time="date", by="region", correction=correction)
    table = _columns(result)
    pvalues = table["pvalue"]
    defined = ~np.isnan(pvalues)
    assert defined.sum() == 4 * 11
    expected = pvalues.copy()
    if correction is not None:
        expected[defined] = multipletests(pvalues[defined], method=correction)[1]
    np.testing.assert_allclose(table["pvalue_corrected"], expected, rtol=1e-12, equal_nan=True)
    np.testing.assert_array_equal(table["significant"], np.nan_to_num(expected, nan=1) <= 0.05)


def _respondent_codes(frame: pd.DataFrame) -> np.ndarray:
    return np.where(frame["nps"] >= 9, 100.0, np.where(frame["nps"] <= 6, -100.0, 0.0))


@pytest.mark.parametrize("se", ["hc3", "hc1", "classical"])
def test_trend_equals_statsmodels_ols_on_the_respondent_rows(se: str) -> None:
    survey = datasets.load_survey(as_frame="pandas")
    result = lm.over_time(survey, score="nps", time="date", by="region")
    fit = result.trend(method=se)
    month = survey["date"].dt.month.to_numpy() - 1  # position 0 = January 2025
    cov = {"hc3": "HC3", "hc1": "HC1", "classical": "nonrobust"}[se]
    for index, region in enumerate(np.unique(survey["region"])):
        rows = (survey["region"] == region).to_numpy()
        ols = sm.OLS(_respondent_codes(survey[rows]), sm.add_constant(month[rows])).fit(
            cov_type=cov, use_t=True
        )
        assert fit.slope[index] == pytest.approx(ols.params[1], rel=1e-9)
        assert fit.intercept[index] == pytest.approx(ols.params[0], rel=1e-9)
        assert fit.standard_error[index] == pytest.approx(ols.bse[1], rel=1e-9)
        assert fit.pvalue[index] == pytest.approx(ols.pvalues[1], rel=1e-7)


def test_weighted_trend_equals_statsmodels_wls_and_csat_values() -> None:
    survey = datasets.load_survey(as_frame="pandas")
    month = survey["date"].dt.month.to_numpy() - 1
    fit = lm.over_time(survey, score="nps", time="date", weights="weight").trend(method="hc0")
    wls = sm.WLS(_respondent_codes(survey), sm.add_constant(month), weights=survey["weight"]).fit(
        cov_type="HC0"
    )
    assert fit.slope == pytest.approx(wls.params[1], rel=1e-9)
    assert fit.standard_error == pytest.approx(wls.bse[1], rel=1e-9)
    csat = lm.over_time(survey, metric="csat", score="csat", time="date").trend()
    satisfied = np.where(survey["csat"] >= 4, 100.0, 0.0)
    ols = sm.OLS(satisfied, sm.add_constant(month)).fit(cov_type="HC3")
    assert csat.slope == pytest.approx(ols.params[1], rel=1e-9)
    ces = lm.over_time(survey, metric="ces", score="ces", time="date").trend()
    ols = sm.OLS(survey["ces"].to_numpy(float), sm.add_constant(month)).fit(cov_type="HC3")
    assert ces.slope == pytest.approx(ols.params[1], rel=1e-9)
    assert ces.standard_error == pytest.approx(ols.bse[1], rel=1e-9)


@pytest.mark.parametrize("kind", ENGINES)
def test_every_engine_gives_the_same_numbers(kind: str) -> None:
    survey = datasets.load_survey(as_frame="pandas")
    survey["weight"] = survey["weight"].round(1)
    options = {"score": "nps", "time": "date", "weights": "weight", "method": "bca", "rng": 3}
    reference = lm.over_time(
        survey["nps"].to_numpy(),
        time=survey["date"].to_numpy(),
        by=[survey["region"].to_numpy(), survey["plan"].to_numpy()],
        weights=survey["weight"].to_numpy(),
        method="bca",
        n_resamples=199,
        rng=3,
    )
    result = lm.over_time(
        as_engine(kind, survey), by=["region", "plan"], n_resamples=199, **options
    )
    assert type(result.table) is output_type(kind)
    ours, theirs = _columns(result), _columns(reference)
    assert ours["region"].tolist() == theirs["by_0"].tolist()
    assert ours["plan"].tolist() == theirs["by_1"].tolist()
    for name in ("n", "score", "low", "high", "difference", "pvalue", "pvalue_corrected"):
        np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-12, equal_nan=True)
    native = result.table if isinstance(result.table, pd.DataFrame) else result.table.to_pandas()
    assert list(native.columns[:4]) == ["region", "plan", "period", "n"]
    np.testing.assert_allclose(native["score"].to_numpy(float), ours["score"], equal_nan=True)
    without_by = lm.over_time(as_engine(kind, survey), n_resamples=199, **options)
    assert type(without_by.table) is output_type(kind)
    assert without_by.n_periods == 12


@pytest.mark.parametrize(
    ("metric", "options", "function"),
    [
        ("csat", {}, lm.csat),
        ("ces", {}, lm.ces),
        ("ces", {"of": "agree_share"}, lm.ces),
    ],
)
def test_csat_and_ces_periods_equal_the_single_group_functions(
    metric: str, options: dict[str, str], function: object
) -> None:
    survey = datasets.load_survey(as_frame="pandas")
    result = lm.over_time(
        survey, metric=metric, score=metric, time="date", period="quarter", **options
    )
    table = _columns(result)
    quarter = (survey["date"].dt.month.to_numpy() - 1) // 3
    estimate = result.estimate
    for index in range(4):
        alone = function(survey.loc[quarter == index, metric])  # type: ignore[operator]
        # Single-group results: CSAT's score and the CES agree share's interval
        # are on 0..100, the agree share itself in 0..1, the CES mean on its scale.
        value = alone.agree_share * 100 if options else getattr(alone, estimate)
        interval = alone.confidence_interval(**({"of": "agree_share"} if options else {}))
        assert table[estimate][index] == pytest.approx(value, rel=1e-12)
        assert table["low"][index] == pytest.approx(interval.low, rel=1e-12)
        assert table["high"][index] == pytest.approx(interval.high, rel=1e-12)
        if index == 0:
            continue
        # The change against the previous quarter is compare_csat / compare_ces.
        compare = lm.compare_csat if metric == "csat" else lm.compare_ces
        versus = compare(  # type: ignore[operator]
            survey.loc[quarter == index, metric],
            survey.loc[quarter == index - 1, metric],
            **options,
        )
        assert table["difference"][index] == pytest.approx(versus.difference, rel=1e-12)
        assert table["pvalue"][index] == pytest.approx(versus.pvalue, rel=1e-12)


def test_nan_policy_omit_propagate_and_raise() -> None:
    frame = SMALL.assign(nps=SMALL["nps"].astype(float))
    frame.loc[4, "nps"] = np.nan  # a March response
    with pytest.raises(ValueError, match=r"missing values .*period=2025-03-01"):
        lm.over_time(frame, score="nps", time="date")
    omitted = _columns(lm.over_time(frame, score="nps", time="date", nan_policy="omit"))
    assert omitted["n"].tolist() == [3, 0, 3, 1]
    assert omitted["n_omitted"].tolist() == [0, 0, 1, 0]
    propagated = lm.over_time(frame, score="nps", time="date", nan_policy="propagate")
    table = _columns(propagated)
    assert np.isnan(table["score"][2])
    assert not np.isnan(table["score"][0])
    assert np.isnan(table["difference"][3])  # April against a March with a missing score
    assert np.isnan(propagated.overall)
    assert np.isnan(propagated.trend().slope)


def test_degenerate_input_one_response_and_one_period() -> None:
    one = lm.over_time([10], time=["2025-05-05"])
    assert one.n_periods == 1
    assert one.table["score"].tolist() == [100.0]
    assert np.isnan(one.table["difference"][0])
    fit = one.trend()
    assert np.isnan(fit.slope)
    assert np.isnan(fit.pvalue)
    assert one.table["high"][0] <= 100.0


def test_periods_and_segments_are_one_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """12 months x 4 regions: one batched interval call for the rows, one for the overall."""
    from loyaltymetrics._survey import _metrics

    calls: list[tuple[int, ...]] = []
    original = _metrics.nps_interval

    def counted(cells: object, **options: object) -> object:
        calls.append(np.shape(cells.count))  # type: ignore[attr-defined]
        return original(cells, **options)

    monkeypatch.setattr(_metrics, "nps_interval", counted)
    survey = datasets.load_survey(as_frame="pandas")
    lm.over_time(survey, score="nps", time="date", by="region")
    assert calls == [(48, 3), (3,)]


def test_result_repr_html_dict_and_frame() -> None:
    result = lm.over_time(SMALL, score="nps", time="date")
    assert repr(result).startswith("OverTime(metric='nps', period='month', window=None")
    assert "<table" in result._repr_html_()
    as_dict = result.to_dict()
    assert as_dict["table"]["n"] == [3, 0, 4, 1]
    assert as_dict["compare"] == "previous"
    assert "_counts" not in as_dict
    assert result.to_frame(backend="polars").height == 4
    assert list(result.to_frame().columns[:3]) == ["period", "n", "score"]
    assert result.table["n"].dtype == np.int64


def test_inputs_are_not_modified() -> None:
    frame = SMALL.copy()
    scores = frame["nps"].to_numpy().copy()
    times = frame["date"].to_numpy().copy()
    lm.over_time(scores, time=times, window=2)
    lm.over_time(frame, score="nps", time="date")
    pd.testing.assert_frame_equal(frame, SMALL)
    np.testing.assert_array_equal(scores, SMALL["nps"].to_numpy())
    np.testing.assert_array_equal(times, SMALL["date"].to_numpy())


def test_row_order_does_not_matter() -> None:
    survey = datasets.load_survey(as_frame="pandas")
    shuffled = survey.sample(frac=1.0, random_state=2)
    a = _columns(lm.over_time(survey, score="nps", time="date", by="channel"))
    b = _columns(lm.over_time(shuffled, score="nps", time="date", by="channel"))
    for name in ("n", "score", "low", "difference", "pvalue_corrected"):
        np.testing.assert_allclose(a[name], b[name], rtol=1e-12, equal_nan=True)


def test_bad_input_gets_clear_errors() -> None:
    with pytest.raises(ValueError, match="`period` must be one of"):
        lm.over_time(SMALL, score="nps", time="date", period="fortnight")
    with pytest.raises(TypeError, match="`window` must be a whole number"):
        lm.over_time(SMALL, score="nps", time="date", window=1.5)
    with pytest.raises(ValueError, match="`window` must be at least 1"):
        lm.over_time(SMALL, score="nps", time="date", window=0)
    with pytest.raises(ValueError, match="`window` \\(5\\) must not exceed"):
        lm.over_time(SMALL, score="nps", time="date", window=5)
    with pytest.raises(ValueError, match="`compare` must be 'previous'"):
        lm.over_time(SMALL, score="nps", time="date", compare="rest")
    with pytest.raises(TypeError, match="`compare` must be"):
        lm.over_time(SMALL, score="nps", time="date", compare=3)
    with pytest.raises(ValueError, match="`compare` must be a period of the table"):
        lm.over_time(SMALL, score="nps", time="date", compare=datetime.date(2030, 1, 1))
    with pytest.raises(TypeError, match="`time` column 'nps' must hold dates"):
        lm.over_time(SMALL, score="nps", time="nps")
    with pytest.raises(ValueError, match="`time` names column 'when'"):
        lm.over_time(SMALL, score="nps", time="when")
    with pytest.raises(TypeError, match="`time` must be a one-dimensional array of dates"):
        lm.over_time([10, 9], time=[1, 2])
    with pytest.raises(ValueError, match=r"`score` must be integers in 0\.\.10; found 11"):
        lm.over_time([10, 11], time=["2025-01-01", "2025-02-01"])
    with pytest.raises(ValueError, match="`time` contains 1 missing values"):
        lm.over_time(
            SMALL.assign(date=SMALL["date"].where(SMALL.index != 2)), score="nps", time="date"
        )
    with pytest.raises(ValueError, match="`time` contains 1 missing values"):
        lm.over_time([10, 9], time=np.array(["2025-01-01", "NaT"], dtype="datetime64[D]"))
    with pytest.raises(ValueError, match="`by` must not include"):
        lm.over_time(SMALL, score="nps", time="date", by="date")
    with pytest.raises(ValueError, match="has the name of a result column"):
        lm.over_time(SMALL.assign(period="x"), score="nps", time="date", by="period")
    with pytest.raises(TypeError, match="unexpected option 'satisfied'"):
        lm.over_time(SMALL, score="nps", time="date", satisfied=(4, 5))
    with pytest.raises(ValueError, match="`data` has no rows"):
        lm.over_time(SMALL.iloc[:0], score="nps", time="date")


def test_mapping_of_columns_equals_the_pandas_frame() -> None:
    # What load_survey() returns by default (a dict of numpy arrays) works like
    # the same data as a pandas frame, key column names included.
    columns = datasets.load_survey()
    frame = datasets.load_survey(as_frame="pandas")
    options = {"score": "nps", "time": "date", "period": "quarter", "by": ["region"]}
    ours = lm.over_time(columns, weights="weight", rng=3, **options)
    reference = lm.over_time(frame, weights="weight", rng=3, **options)
    assert list(ours.table)[:2] == ["region", "period"]
    np.testing.assert_array_equal(ours.table["n"], reference.table["n"].to_numpy())
    for name in ("score", "low", "high", "difference", "pvalue"):
        np.testing.assert_array_equal(ours.table[name], reference.table[name].to_numpy())
    with pytest.raises(ValueError, match="`time` names column 'day'"):
        lm.over_time(columns, score="nps", time="day")
    with pytest.raises(TypeError, match="`time` must name a column"):
        lm.over_time(columns, score="nps", time=columns["date"])
