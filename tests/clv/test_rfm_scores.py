"""rfm_scores: hand-worked scores and segments; every engine against the numpy path.

The segment map is the one of the example of ``rfm_segment`` in the R package
rfm (Hebbali, CRAN); the expected segments below were read off that table
by hand, applying the rules in order.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import loyaltymetrics as lm
from loyaltymetrics._clv._rfm_scores import RFM_SEGMENTS

SUMMARY = {
    "customer": np.array(["a", "b", "c", "d", "e"]),
    "frequency": np.array([9, 4, 0, 2, 6]),
    "recency": np.array([80.0, 20.0, 0.0, 70.0, 85.0]),
    "T": np.array([90.0, 95.0, 60.0, 88.0, 90.0]),
    "monetary_value": np.array([50.0, 20.0, 0.0, 10.0, 35.0]),
}


def test_hand_worked_scores_and_segments() -> None:
    # Days since the last purchase: a 10, b 75, c 60, d 18, e 5 -> R = 4, 1, 2, 3, 5.
    # Frequency 9, 4, 0, 2, 6 -> F = 5, 3, 1, 2, 4; monetary the same order -> M = F.
    scored = lm.rfm_scores(SUMMARY)
    assert scored["r_score"].tolist() == [4, 1, 2, 3, 5]
    assert scored["f_score"].tolist() == [5, 3, 1, 2, 4]
    assert scored["m_score"].tolist() == [5, 3, 1, 2, 4]
    # a 455 Champions; b 133 At Risk (R 1-2, F 2-5, M 2-5); c 211 About To Sleep;
    # d 322 Potential Loyalist (R 3-5, F 1-3, M 1-3); e 544 Champions.
    assert scored["segment"].tolist() == [
        "Champions",
        "At Risk",
        "About To Sleep",
        "Potential Loyalist",
        "Champions",
    ]
    assert scored["customer"].tolist() == list("abcde")


def test_ties_share_the_lower_score_and_bins_balance() -> None:
    values = np.array([0, 0, 0, 0, 1, 2, 3, 4, 5, 6], dtype=float)
    summary = {"frequency": values, "recency": values, "T": values + 1, "monetary_value": values}
    scored = lm.rfm_scores(summary, segments=[("all", (1, 5), (1, 5), (1, 5))])
    # Four tied zeros take ranks 0..3 -> all score 1 (rank 0); then ranks 4..9.
    expected = 1 + (5 * np.searchsorted(np.sort(values), values)) // 10
    np.testing.assert_array_equal(scored["f_score"], expected)
    assert set(scored["segment"]) == {"all"}
    # Distinct values: each of 5 scores holds exactly n / 5 customers.
    distinct = np.arange(20.0)
    balanced = lm.rfm_scores(
        {"frequency": distinct, "recency": distinct, "T": distinct + 5, "monetary_value": distinct}
    )
    np.testing.assert_array_equal(np.bincount(balanced["f_score"])[1:], [4] * 5)


@pytest.mark.parametrize("backend", ["pandas", "polars", "polars-lazy", "pyarrow", "duckdb"])
def test_frames_equal_the_numpy_path(backend: str) -> None:
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(8)
    n = 500
    data = pd.DataFrame(
        {
            "customer": np.arange(n),
            "frequency": rng.poisson(2, n),
            "recency": rng.integers(0, 100, n).astype(float),
            "monetary_value": np.round(rng.gamma(2, 20, n), 0),
        }
    )
    data["T"] = data["recency"] + rng.integers(0, 200, n)
    expected = lm.rfm_scores({name: data[name].to_numpy() for name in data.columns})
    if backend == "pandas":
        frame = data
    elif backend.startswith("polars"):
        pl = pytest.importorskip("polars")
        frame = pl.from_pandas(data)
        frame = frame.lazy() if backend == "polars-lazy" else frame
    elif backend == "pyarrow":
        pa = pytest.importorskip("pyarrow")
        frame = pa.Table.from_pandas(data)
    else:
        duckdb = pytest.importorskip("duckdb")
        frame = duckdb.from_df(data)
    import narwhals.stable.v2 as nw

    out = nw.from_native(lm.rfm_scores(frame)).lazy().sort("customer").collect()
    for name in ("r_score", "f_score", "m_score", "rfm_code"):
        np.testing.assert_array_equal(out[name].to_numpy(), expected[name])
    assert out["segment"].to_list() == expected["segment"].tolist()


def test_on_the_rfm_summary_of_a_log() -> None:
    from loyaltymetrics.datasets import load_transactions

    log = load_transactions()
    summary = lm.rfm_summary(log, customer="customer_id", time="date", value="amount")
    scored = lm.rfm_scores(summary)
    assert set(scored["segment"]) <= {name for name, *_ in RFM_SEGMENTS} | {"Others"}
    assert scored["r_score"].min() == 1
    assert scored["r_score"].max() == 5


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 30), st.integers(0, 3)), min_size=1,
                max_size=50), st.integers(2, 9))  # fmt: skip
def test_properties(rows, bins) -> None:
    f = np.array([r[0] for r in rows], dtype=float)
    since = np.array([r[1] for r in rows], dtype=float)
    m = np.array([r[2] for r in rows], dtype=float)
    summary = {"frequency": f, "recency": np.zeros_like(f), "T": since, "monetary_value": m}
    scored = lm.rfm_scores(summary, bins=bins, segments=[("any", (1, 9), (1, 9), (1, 9))])
    for name in ("r_score", "f_score", "m_score"):
        assert scored[name].min() >= 1
        assert scored[name].max() <= bins
    # Better values never score lower; more recent (smaller gap) never scores lower on R.
    order = np.argsort(f, kind="stable")
    assert np.all(np.diff(scored["f_score"][order]) >= 0)
    order = np.argsort(-since, kind="stable")
    assert np.all(np.diff(scored["r_score"][order]) >= 0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"bins": 1}, ValueError, "`bins` must be from 2 to 9"),
        ({"bins": 4}, ValueError, "default segment map is defined on 1-5 scores"),
        ({"bins": 2.5}, TypeError, "`bins` must be an integer"),
        ({"monetary": "spend"}, ValueError, "no column 'spend'"),
        ({"segments": "x"}, TypeError, "`segments` must be a sequence"),
        ({"segments": [("x", (1, 2))]}, TypeError, "each entry of `segments`"),
        ({"T": 3}, TypeError, "`T` must be a column name"),
    ],
)
def test_bad_input(kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        lm.rfm_scores(SUMMARY, **kwargs)


def test_missing_and_non_numeric() -> None:
    bad = dict(SUMMARY, frequency=np.array([1.0, np.nan, 0, 1, 2]))
    with pytest.raises(ValueError, match="must not contain missing values"):
        lm.rfm_scores(bad)
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(SUMMARY).assign(frequency=list("abcde"))
    with pytest.raises(TypeError, match="`frequency` column 'frequency' must be numeric"):
        lm.rfm_scores(frame)
    with pytest.raises(TypeError, match="`summary` must be a dataframe"):
        lm.rfm_scores([1, 2])
