"""Segment breakdowns: engines, single-group agreement, comparisons, corrections, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest
from engines import ENGINES, as_engine, output_type
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests

import loyaltymetrics as lm
from loyaltymetrics import datasets

# A small survey worked by hand.
# Segment "a": scores 10, 9, 9, 7, 3 -> promoters 3, passives 1, detractors 1:
#   NPS 100 * (3 - 1) / 5 = 40.
# Segment "b": scores 6, 5, 8, 10 -> promoters 1, passives 1, detractors 2:
#   NPS 100 * (1 - 2) / 4 = -25.
# Segment "c": score 9 -> NPS 100 (one response).
# Overall: promoters 5, passives 2, detractors 3 of 10: NPS 20.
SMALL = pd.DataFrame(
    {
        "segment": ["a", "a", "b", "a", "b", "a", "b", "c", "a", "b"],
        "nps": [10, 9, 6, 9, 5, 7, 8, 9, 3, 10],
        "weight": [1.0, 2.0, 1.0, 1.0, 0.5, 1.0, 1.0, 3.0, 1.0, 2.0],
    }
)


def _columns(result: lm.SegmentBreakdown) -> dict[str, np.ndarray]:
    return {name: np.asarray(values) for name, values in result._table().items()}


def test_hand_worked_scores_and_flags() -> None:
    result = lm.by_segment(SMALL, score="nps", by="segment", min_n=5)
    table = _columns(result)
    assert table["segment"].tolist() == ["a", "b", "c"]
    np.testing.assert_allclose(table["score"], [40.0, -25.0, 100.0])
    assert table["n"].tolist() == [5, 4, 1]
    assert table["small"].tolist() == [False, True, True]
    assert result.overall == pytest.approx(20.0)
    assert result.n == 10
    assert result.n_segments == 3
    # Each segment's interval and comparison are the single-group functions'.
    for index, name in enumerate("abc"):
        rows = SMALL["segment"] == name
        alone = lm.nps(SMALL.loc[rows, "nps"])
        interval = alone.confidence_interval()
        assert table["low"][index] == pytest.approx(interval.low, rel=1e-12)
        assert table["high"][index] == pytest.approx(interval.high, rel=1e-12)
        versus = lm.compare_nps(alone, lm.nps(SMALL.loc[~rows, "nps"]))
        assert table["difference"][index] == pytest.approx(versus.difference, rel=1e-12)
        assert table["pvalue"][index] == pytest.approx(versus.pvalue, rel=1e-12)
    # Holm over three p-values, as statsmodels computes it.
    _, expected, _, _ = multipletests(table["pvalue"], method="holm")
    np.testing.assert_allclose(table["pvalue_corrected"], expected, rtol=1e-12)
    np.testing.assert_array_equal(table["significant"], expected <= 0.05)


@pytest.mark.parametrize("kind", ENGINES)
def test_every_engine_gives_the_same_numbers(kind: str) -> None:
    survey = datasets.load_survey(as_frame="pandas")
    # Weights on a coarse grid keep the weighted bootstrap small (its cost
    # grows with the number of distinct weights).
    survey["weight"] = survey["weight"].round(1)
    reference = lm.by_segment(
        survey["nps"].to_numpy(),
        by=[survey["region"].to_numpy(), survey["plan"].to_numpy()],
        weights=survey["weight"].to_numpy(),
        method="bca",
        n_resamples=499,
        rng=3,
    )
    result = lm.by_segment(
        as_engine(kind, survey),
        score="nps",
        by=["region", "plan"],
        weights="weight",
        method="bca",
        n_resamples=499,
        rng=3,
    )
    assert type(result.table) is output_type(kind)
    ours, theirs = _columns(result), _columns(reference)
    assert ours["region"].tolist() == theirs["by_0"].tolist()
    assert ours["plan"].tolist() == theirs["by_1"].tolist()
    for name in ("n", "score", "low", "high", "difference", "pvalue", "pvalue_corrected"):
        np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-12)
    native = result.table if isinstance(result.table, pd.DataFrame) else result.table.to_pandas()
    assert list(native.columns[:3]) == ["region", "plan", "n"]
    np.testing.assert_allclose(native["score"].to_numpy(), ours["score"])
    assert result.overall == pytest.approx(reference.overall, rel=1e-12)


def test_csat_and_ces_on_duckdb_equal_arrays() -> None:
    survey = datasets.load_survey(as_frame="pandas")
    relation = as_engine("duckdb", survey)
    for metric in ("csat", "ces"):
        on_duckdb = lm.by_segment(relation, metric=metric, score=metric, by="channel")
        on_arrays = lm.by_segment(
            survey[metric].to_numpy(), metric=metric, by=survey["channel"].to_numpy()
        )
        for name in ("score" if metric == "csat" else "mean", "low", "high", "pvalue"):
            np.testing.assert_allclose(
                _columns(on_duckdb)[name], _columns(on_arrays)[name], rtol=1e-12
            )


def test_array_input_returns_numpy_columns() -> None:
    result = lm.by_segment([10, 9, 3, 8], by=["x", "x", "y", "y"], compare=None)
    assert isinstance(result.table, dict)
    assert result.table["by"].tolist() == ["x", "y"]
    np.testing.assert_allclose(result.table["score"], [100.0, -50.0])
    assert "pvalue" not in result.table
    assert result.comparison_method is None
    frame = result.to_frame(backend="polars")
    assert frame.columns[:2] == ["by", "n"]


def _rows_of(frame: pd.DataFrame, mask: np.ndarray, weighted: bool) -> lm.NPSResult:
    return lm.nps(frame.loc[mask, "nps"], weights=frame.loc[mask, "weight"] if weighted else None)


@settings(max_examples=50)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["n", "s", "e", None]),
            st.integers(0, 10),
            st.sampled_from([0.5, 1.0, 2.0, 3.5]),
        ),
        min_size=2,
        max_size=60,
    ),
    method=st.sampled_from(["adjusted-wald", "wald", "score", "percentile", "basic", "bca"]),
    weighted=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_each_segment_equals_the_single_group_functions(
    rows: list[tuple[str | None, int, float]], method: str, weighted: bool, seed: int
) -> None:
    """Per segment: estimate, interval and comparison with the rest equal nps / compare_nps.

    Bootstrap included: with children = default_rng(seed).spawn(S + 1), the
    comparison of segment i is compare_nps with rng=children[1 + i] (which
    resamples the segment from that generator's first child and the rest
    from its second), and its interval is the single-group interval with
    that first child: one set of the segment's resamples serves both.
    """
    frame = pd.DataFrame(rows, columns=["segment", "nps", "weight"])
    result = lm.by_segment(
        frame,
        score="nps",
        by="segment",
        weights="weight" if weighted else None,
        method=method,
        n_resamples=199,
        rng=seed,
    )
    table = _columns(result)
    n_segments = result.n_segments

    def child(index: int) -> np.random.Generator:
        # Built afresh for each use: spawning advances a generator's SeedSequence.
        return np.random.default_rng(seed).spawn(n_segments + 1)[index]

    difference_method = (
        method
        if method in ("wald", "adjusted-wald", "percentile", "basic", "bca")
        else "adjusted-wald"
    )
    for index, key in enumerate(table["segment"]):
        mask = (
            frame["segment"].isna().to_numpy()
            if key is None
            else (frame["segment"] == key).to_numpy()
        )
        alone = _rows_of(frame, mask, weighted)
        interval = alone.confidence_interval(
            method=method, n_resamples=199, rng=child(1 + index).spawn(2)[0]
        )
        np.testing.assert_allclose(
            [table["score"][index], table["low"][index], table["high"][index], table["n"][index]],
            [alone.score, interval.low, interval.high, alone.n],
            rtol=1e-9,
            atol=1e-9,
        )
        if weighted:
            np.testing.assert_allclose(
                [table["weight_total"][index], table["effective_n"][index]],
                [alone.weight_total, alone.effective_n],
                rtol=1e-12,
            )
        else:
            assert "weight_total" not in table
            assert "effective_n" not in table
        if n_segments == 1:
            assert np.isnan(table["difference"][index])
            continue
        versus = lm.compare_nps(
            alone,
            _rows_of(frame, ~mask, weighted),
            method=difference_method,
            n_resamples=199,
            rng=child(1 + index),
        )
        np.testing.assert_allclose(
            [
                table["difference"][index],
                table["difference_low"][index],
                table["difference_high"][index],
                table["statistic"][index],
                table["pvalue"][index],
            ],
            [versus.difference, *versus.confidence_interval(), versus.statistic, versus.pvalue],
            rtol=1e-9,
            atol=1e-9,
        )
    overall = lm.nps(frame["nps"], weights=frame["weight"] if weighted else None)
    assert result.overall == pytest.approx(overall.score, rel=1e-9, abs=1e-9)
    overall_interval = overall.confidence_interval(method=method, n_resamples=199, rng=child(0))
    assert result.overall_interval.low == pytest.approx(overall_interval.low, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("metric", ["nps", "csat", "ces"])
@pytest.mark.parametrize("method", ["percentile", "basic", "bca"])
def test_intervals_do_not_depend_on_the_comparison(metric: str, method: str) -> None:
    # With a comparison, one set of each segment's resamples gives both its
    # interval and its comparison; without one, the interval is drawn alone
    # from the same stream. Both must give the same interval.
    survey = datasets.load_survey(as_frame="pandas")
    tables = [
        _columns(
            lm.by_segment(
                survey,
                metric=metric,
                score=metric,
                by="region",
                method=method,
                compare=compare,
                n_resamples=499,
                rng=11,
            )
        )
        for compare in ("rest", None, "overall")
    ]
    estimate = "mean" if metric == "ces" else "score"
    for table in tables[1:]:
        for column in (estimate, "low", "high"):
            np.testing.assert_array_equal(table[column], tables[0][column])
    assert np.isfinite(tables[0]["difference_low"]).all()


def test_compare_overall_is_the_scaled_rest_comparison() -> None:
    rest = _columns(lm.by_segment(SMALL, score="nps", by="segment", compare="rest"))
    overall = _columns(lm.by_segment(SMALL, score="nps", by="segment", compare="overall"))
    # segment - overall, by hand: 40 - 20, -25 - 20, 100 - 20.
    np.testing.assert_allclose(overall["difference"], [20.0, -45.0, 80.0])
    # = (n_rest / n) * (segment - rest): rest sizes 5, 6, 9 of 10.
    factor = np.array([5, 6, 9]) / 10
    np.testing.assert_allclose(overall["difference"], factor * rest["difference"])
    np.testing.assert_allclose(overall["difference_low"], factor * rest["difference_low"])
    np.testing.assert_allclose(overall["pvalue"], rest["pvalue"])


@pytest.mark.parametrize("correction", ["holm", "bonferroni", "fdr_bh", None])
def test_corrections_equal_statsmodels(correction: str | None) -> None:
    survey = datasets.load_survey(as_frame="pandas")
    table = _columns(
        lm.by_segment(survey, score="nps", by=["region", "channel"], correction=correction)
    )
    if correction is None:
        np.testing.assert_array_equal(table["pvalue_corrected"], table["pvalue"])
        return
    reject, expected, _, _ = multipletests(table["pvalue"], alpha=0.05, method=correction)
    np.testing.assert_allclose(table["pvalue_corrected"], expected, rtol=1e-12)
    np.testing.assert_array_equal(table["significant"], reject)


def test_missing_segment_keys_form_their_own_group_last() -> None:
    frame = SMALL.astype({"segment": object})
    frame.loc[[2, 4], "segment"] = None  # two of b's rows: scores 6 and 5
    for data in (frame, pl.from_pandas(frame), as_engine("duckdb", frame)):
        table = _columns(lm.by_segment(data, score="nps", by="segment"))
        assert table["segment"].tolist() == ["a", "b", "c", None]
        assert table["n"].tolist() == [5, 2, 1, 2]
        # Missing-key segment: two detractors -> NPS -100.
        assert table["score"][3] == pytest.approx(-100.0)


def test_nan_policy_omit_propagate_and_raise() -> None:
    frame = SMALL.astype({"nps": float})
    frame.loc[[0, 2], "nps"] = np.nan  # a's 10 and b's 6
    with pytest.raises(
        ValueError, match=r"`score` contains 2 missing values \(the first in segment"
    ):
        lm.by_segment(frame, score="nps", by="segment")
    omitted = _columns(lm.by_segment(frame, score="nps", by="segment", nan_policy="omit"))
    assert omitted["n_omitted"].tolist() == [1, 1, 0]
    # a without its 10: 9, 9, 7, 3 -> (2 - 1) / 4 = 25; b without 6: 5, 8, 10 -> (1 - 1) / 3 = 0.
    np.testing.assert_allclose(omitted["score"], [25.0, 0.0, 100.0])
    propagated = lm.by_segment(frame, score="nps", by="segment", nan_policy="propagate")
    table = _columns(propagated)
    assert np.isnan(table["score"][:2]).all()
    assert table["score"][2] == pytest.approx(100.0)
    assert np.isnan(propagated.overall)
    # Every rest holds a missing score: no comparison is defined.
    assert np.isnan(table["pvalue"]).all()
    assert not table["significant"].any()


def test_an_empty_segment_is_nan_and_left_out_of_the_correction() -> None:
    frame = SMALL.astype({"nps": float})
    frame.loc[frame["segment"] == "c", "nps"] = np.nan
    table = _columns(lm.by_segment(frame, score="nps", by="segment", nan_policy="omit"))
    assert table["n"].tolist() == [5, 4, 0]
    assert np.isnan([table["score"][2], table["low"][2], table["pvalue"][2]]).all()
    # Holm over the two defined p-values only.
    _, expected, _, _ = multipletests(table["pvalue"][:2], method="holm")
    np.testing.assert_allclose(table["pvalue_corrected"][:2], expected, rtol=1e-12)


@pytest.mark.parametrize("method", ["adjusted-wald", "wald", "bca"])
def test_one_segment_and_a_segment_of_one(method: str) -> None:
    single = lm.by_segment(SMALL, score="nps", by="segment", method=method, rng=0)
    table = _columns(single)
    # Segment c has one promoter: Wald and the bootstrap see no spread
    # (zero-width interval at 100); adjusted Wald reaches below.
    alone = lm.nps([9]).confidence_interval(method=method, rng=0)
    assert table["score"][2] == 100.0
    if method == "adjusted-wald":
        assert table["low"][2] == pytest.approx(alone.low, rel=1e-12)
        assert table["low"][2] < 100.0
    else:
        assert table["low"][2] == table["high"][2] == 100.0
    only = _columns(
        lm.by_segment(SMALL.assign(all="x"), score="nps", by="all", method=method, rng=0)
    )
    assert only["score"].tolist() == [pytest.approx(20.0)]
    assert np.isnan(only["difference"][0])
    assert np.isnan(only["pvalue_corrected"][0])


def test_weights_as_repetition_for_the_estimates() -> None:
    weights = np.array([1, 2, 1, 1, 3, 1, 1, 2, 1, 2])
    weighted = _columns(
        lm.by_segment(SMALL["nps"].to_numpy(), by=SMALL["segment"].to_numpy(), weights=weights)
    )
    repeated = _columns(
        lm.by_segment(
            np.repeat(SMALL["nps"].to_numpy(), weights),
            by=np.repeat(SMALL["segment"].to_numpy(), weights),
        )
    )
    np.testing.assert_allclose(weighted["score"], repeated["score"], rtol=1e-12)
    np.testing.assert_allclose(weighted["weight_total"], repeated["n"])


def test_row_order_does_not_matter() -> None:
    shuffled = SMALL.sample(frac=1.0, random_state=3)
    a = _columns(lm.by_segment(SMALL, score="nps", by="segment", method="bca", rng=1))
    b = _columns(lm.by_segment(shuffled, score="nps", by="segment", method="bca", rng=1))
    for name in ("score", "low", "high", "pvalue"):
        np.testing.assert_allclose(a[name], b[name], rtol=1e-12)


def test_seeded_bootstrap_reproduces() -> None:
    first = lm.by_segment(SMALL, score="nps", by="segment", method="percentile", rng=9)
    second = lm.by_segment(SMALL, score="nps", by="segment", method="percentile", rng=9)
    np.testing.assert_array_equal(_columns(first)["low"], _columns(second)["low"])


def test_csat_and_ces_equal_the_batch_functions_on_each_segment() -> None:
    # Hand counts: CSAT 1..5, segment x: 5, 4, 2 -> 2 of 3 satisfied (66.67);
    # y: 5, 3 -> 1 of 2 (50). CES mean of x: 11/3, of y: 4.
    scores = [5, 4, 2, 5, 3]
    segments = ["x", "x", "x", "y", "y"]
    csat = _columns(lm.by_segment(scores, by=segments, metric="csat"))
    np.testing.assert_allclose(csat["score"], [200 / 3, 50.0])
    ces = _columns(lm.by_segment(scores, by=segments, metric="ces", scale=(1, 5)))
    np.testing.assert_allclose(ces["mean"], [11 / 3, 4.0])
    agree = _columns(
        lm.by_segment(
            scores, by=segments, metric="ces", scale=(1, 5), agree=(4, 5), of="agree_share"
        )
    )
    np.testing.assert_allclose(agree["score"], [200 / 3, 50.0])
    original = lm.by_segment(
        [1, 2, 5, 1], by=["p", "p", "q", "q"], metric="ces", version="original"
    )
    np.testing.assert_allclose(_columns(original)["mean"], [1.5, 3.0])


def test_result_repr_html_and_dict() -> None:
    result = lm.by_segment(SMALL, score="nps", by="segment")
    text = repr(result)
    assert text.startswith("SegmentBreakdown(metric='nps', overall=20.0")
    assert "table" not in text
    html = result._repr_html_()
    assert "<th>segment</th>" in html
    as_dict = result.to_dict()
    assert as_dict["table"]["segment"] == ["a", "b", "c"]
    assert as_dict["overall_interval"] == {
        "low": result.overall_interval.low,
        "high": result.overall_interval.high,
    }


def test_bad_input_gets_clear_errors() -> None:
    with pytest.raises(ValueError, match="`by` names column 'region', which is not in `data`"):
        lm.by_segment(SMALL, score="nps", by="region")
    with pytest.raises(ValueError, match="`score` names column 'csat'"):
        lm.by_segment(SMALL, score="csat", by="segment")
    with pytest.raises(TypeError, match="`score` column 'segment' must be numeric"):
        lm.by_segment(SMALL, score="segment", by="nps")
    with pytest.raises(TypeError, match="`weights` column 'segment' must be numeric"):
        lm.by_segment(SMALL, score="nps", by="weight", weights="segment")
    with pytest.raises(ValueError, match="`data` has no rows"):
        lm.by_segment(SMALL.head(0), score="nps", by="segment")
    with pytest.raises(ValueError, match="`data` has no rows"):
        lm.by_segment(as_engine("polars-lazy", SMALL.head(0)), score="nps", by="segment")
    with pytest.raises(
        ValueError, match=r"`score` must be integers in 0..10; found 11.0 in segment"
    ):
        lm.by_segment(SMALL.assign(nps=SMALL["nps"].replace(3, 11)), score="nps", by="segment")
    with pytest.raises(ValueError, match=r"`score` must be integers in 0..10; found 7.5"):
        lm.by_segment([7.5, 9], by=["a", "b"])
    with pytest.raises(TypeError, match="`score` must name the score column"):
        lm.by_segment(SMALL, by="segment")
    with pytest.raises(TypeError, match="leave `score` out"):
        lm.by_segment([1, 2], score="nps", by=["a", "b"])
    with pytest.raises(TypeError, match="`by` is required"):
        lm.by_segment(SMALL, score="nps", by=None)
    with pytest.raises(ValueError, match="`by` must not include the score or weights column"):
        lm.by_segment(SMALL, score="nps", by=["segment", "nps"])
    with pytest.raises(ValueError, match="`score` must name one column"):
        lm.by_segment(SMALL, score=["nps", "weight"], by="segment")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`by` column 'n' has the name of a result column"):
        lm.by_segment(SMALL.rename(columns={"segment": "n"}), score="nps", by="n")
    with pytest.raises(TypeError, match="unexpected option 'scale' for metric='nps'"):
        lm.by_segment(SMALL, score="nps", by="segment", scale=(0, 10))
    with pytest.raises(ValueError, match="`metric` must be one of"):
        lm.by_segment(SMALL, metric="ltv", score="nps", by="segment")
    with pytest.raises(ValueError, match="`compare` must be one of"):
        lm.by_segment(SMALL, score="nps", by="segment", compare="previous")
    with pytest.raises(ValueError, match="`correction` must be one of"):
        lm.by_segment(SMALL, score="nps", by="segment", correction="sidak")
    with pytest.raises(ValueError, match="`method` must be one of"):
        lm.by_segment(SMALL, score="nps", by="segment", method="t")
    with pytest.raises(ValueError, match="`min_n` must be non-negative"):
        lm.by_segment(SMALL, score="nps", by="segment", min_n=-1)
    with pytest.raises(ValueError, match="`n_resamples` must be at least 2"):
        lm.by_segment(SMALL, score="nps", by="segment", n_resamples=1)
    with pytest.raises(ValueError, match="`satisfied` must lie inside the scale"):
        lm.by_segment(SMALL, metric="csat", score="nps", by="segment", satisfied=(4, 6))


def test_bad_weights_and_missing_scores() -> None:
    with pytest.raises(
        ValueError, match=r"`weights` must be non-negative; found -1.0 in segment segment='a'"
    ):
        lm.by_segment(
            SMALL.assign(weight=-SMALL["weight"]), score="nps", by="segment", weights="weight"
        )
    with_missing = SMALL.assign(weight=SMALL["weight"].where(SMALL.index != 3))
    with pytest.raises(ValueError, match="missing weights are not allowed"):
        lm.by_segment(with_missing, score="nps", by="segment", weights="weight")
    with pytest.raises(ValueError, match="must not all be zero"):
        lm.by_segment(SMALL.assign(weight=0.0), score="nps", by="segment", weights="weight")
    all_missing = SMALL.assign(nps=np.nan)
    with pytest.raises(ValueError, match="no non-missing responses left after omitting 10"):
        lm.by_segment(all_missing, score="nps", by="segment", nan_policy="omit")


def test_inputs_are_not_modified() -> None:
    frame = SMALL.copy()
    lm.by_segment(frame, score="nps", by="segment", weights="weight", method="bca", rng=0)
    pd.testing.assert_frame_equal(frame, SMALL)


@settings(max_examples=40)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["p", "q", "r"]),
            st.integers(1, 7),
            st.sampled_from([0.5, 1.0, 2.5]),
        ),
        min_size=2,
        max_size=50,
    ),
    metric=st.sampled_from(["csat", "ces-mean", "ces-agree"]),
    method=st.sampled_from([None, "wald", "exact", "percentile", "bca"]),
    weighted=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_csat_and_ces_segments_equal_the_single_group_functions(
    rows: list[tuple[str, int, float]],
    metric: str,
    method: str | None,
    weighted: bool,
    seed: int,
) -> None:
    """As for NPS: csat/ces and compare_csat/compare_ces on each segment's rows."""
    frame = pd.DataFrame(rows, columns=["segment", "answer", "weight"])
    if metric == "csat":
        options: dict[str, object] = {"scale": (1, 7), "satisfied": (6, 7)}
        single, compare, estimate = lm.csat, lm.compare_csat, "score"
        extra: dict[str, object] = {}
    else:
        options = {"agree": (5, 7)}
        single, compare = lm.ces, lm.compare_ces  # type: ignore[assignment]
        of = "mean" if metric == "ces-mean" else "agree_share"
        estimate = "mean" if of == "mean" else "score"
        extra = {"of": of}
    if method in ("wald", "exact") and estimate == "mean":
        method = "t"
    result = lm.by_segment(
        frame,
        metric="csat" if metric == "csat" else "ces",
        score="answer",
        by="segment",
        weights="weight" if weighted else None,
        method=method,
        n_resamples=99,
        rng=seed,
        **options,
        **extra,
    )
    table = _columns(result)
    n_segments = result.n_segments

    def child(index: int) -> np.random.Generator:
        # Built afresh for each use: spawning advances a generator's SeedSequence.
        return np.random.default_rng(seed).spawn(n_segments + 1)[index]

    for index, key in enumerate(table["segment"]):
        mask = (frame["segment"] == key).to_numpy()
        weights = frame.loc[mask, "weight"] if weighted else None
        alone = single(frame.loc[mask, "answer"], weights=weights, **options)  # type: ignore[operator]
        interval = alone.confidence_interval(
            method=result.method, n_resamples=99, rng=child(1 + index).spawn(2)[0], **extra
        )
        value = getattr(alone, estimate)
        np.testing.assert_allclose(
            [table[estimate][index], table["low"][index], table["high"][index]],
            [value, interval.low, interval.high],
            rtol=1e-9,
            atol=1e-9,
        )
        if n_segments == 1:
            continue
        rest = single(
            frame.loc[~mask, "answer"],
            weights=frame.loc[~mask, "weight"] if weighted else None,
            **options,
        )  # type: ignore[operator]
        versus = compare(
            alone,
            rest,
            method=result.comparison_method,
            n_resamples=99,
            rng=child(1 + index),
            **extra,
        )  # type: ignore[operator]
        np.testing.assert_allclose(
            [table["difference"][index], table["difference_low"][index], table["pvalue"][index]],
            [versus.difference, versus.confidence_interval().low, versus.pvalue],
            rtol=1e-9,
            atol=1e-9,
        )


def test_bootstrap_in_blocks_of_segments_equals_all_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The blocked bootstrap (a few segments' replicates at a time) must give
    # the numbers of drawing every segment at once, bit for bit, for the
    # interval and the comparison sharing resamples and for separate ones;
    # on one core the blocks run in turn, on more each block is reduced on a
    # second thread while the next one draws.
    from loyaltymetrics._engine import _intervals

    rng = np.random.default_rng(3)
    scores = rng.integers(0, 11, size=600)
    segments = rng.integers(0, 7, size=600)
    weights = rng.choice([0.5, 1.0, 2.0], size=600)
    for options in (
        {"method": "bca"},
        {"method": "percentile", "weights": weights},
        {"metric": "csat", "method": "basic", "scores": rng.integers(1, 6, size=600)},
    ):
        kwargs = dict(options)
        data = kwargs.pop("scores", scores)
        at_once = lm.by_segment(data, by=segments, n_resamples=199, rng=5, **kwargs)
        for cores in (1, 4):
            monkeypatch.setattr(_intervals, "_MAX_BLOCK_REPLICATES", 3 * 199 * 2)
            monkeypatch.setattr(_intervals, "core_count", lambda cores=cores: cores)
            blocked = lm.by_segment(data, by=segments, n_resamples=199, rng=5, **kwargs)
            monkeypatch.undo()
            for name in ("low", "high", "difference_low", "difference_high", "pvalue"):
                np.testing.assert_array_equal(blocked.table[name], at_once.table[name])


def test_mapping_of_columns_equals_the_pandas_frame() -> None:
    # What load_survey() returns by default (a dict of numpy arrays) works
    # like the same data as a pandas frame, key column names included.
    from loyaltymetrics.datasets import load_survey

    columns = load_survey()
    frame = load_survey(as_frame="pandas")
    ours = lm.by_segment(columns, score="nps", by=["region", "plan"], weights="weight", rng=2)
    reference = lm.by_segment(frame, score="nps", by=["region", "plan"], weights="weight", rng=2)
    assert list(ours.table)[:2] == ["region", "plan"]
    for name in ("score", "low", "high", "difference", "pvalue"):
        np.testing.assert_array_equal(ours.table[name], reference.table[name].to_numpy())


def test_wrong_kind_of_data_says_what_to_pass() -> None:
    with pytest.raises(TypeError, match="mapping of column names to arrays"):
        lm.by_segment(42, by=[1])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="its columns are"):
        lm.by_segment({"nps": [10, 9]}, score="score", by="nps")


def test_count_fields_with_weights() -> None:
    # Worked by hand: segment a has weights 1, 2, 3 -> n = 3, weight total 6,
    # Kish's effective n = 6**2 / (1 + 4 + 9) = 36 / 14; segment b has 0.5, 0.5
    # -> n = 2, total 1, effective n 1 / 0.5 = 2. Overall: 7 and 49 / 14.5.
    result = lm.by_segment(
        [10, 9, 0, 7, 10],
        by=["a", "a", "a", "b", "b"],
        weights=[1.0, 2.0, 3.0, 0.5, 0.5],
        compare=None,
    )
    table = result.table
    assert table["n"].dtype == np.int64
    assert table["n"].tolist() == [3, 2]
    np.testing.assert_allclose(table["weight_total"], [6.0, 1.0], rtol=1e-15)
    np.testing.assert_allclose(table["effective_n"], [36 / 14, 2.0], rtol=1e-15)
    assert result.n == 5
    assert result.weight_total == pytest.approx(7.0, rel=1e-15)
    assert result.effective_n == pytest.approx(49 / 14.5, rel=1e-15)
    assert "weight_total=7" in repr(result)
    unweighted = lm.by_segment([10, 9, 0], by=["a", "a", "b"], compare=None)
    assert "weight_total" not in unweighted.table
    assert unweighted.n == 3
    assert "weight_total" not in repr(unweighted)
