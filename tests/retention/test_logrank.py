"""Log-rank tests against R's survival::survdiff and lifelines.

Expected values were printed by ``Rscript scripts/survival_reference.R`` (R 4.2,
survival 3.4) on the data of ``survival_reference_data``; each case quotes
its R call. lifelines' ``multivariate_logrank_test`` and
``logrank_test(..., weightings="fleming-harrington", p=rho, q=0)`` are a second
reference on random data.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from survival_reference_data import GROUP, STATUS, STRATUM, TIME

import loyaltymetrics as lm

CASES = [
    # survdiff(Surv(time, status) ~ group)
    (
        {},
        11.6980569657,
        0.002882698389,
        2,
        [12, 11, 19],
        [5.80408816137, 9.11904914503, 27.07686269360],
    ),
    # survdiff(Surv(time, status) ~ group, rho = 1)
    (
        {"weights": "fleming-harrington", "rho": 1},
        9.28978253872,
        0.0096105745668,
        2,
        [9.20990536738, 7.24701713169, 9.14370514741],
        [4.62430319673, 6.63346971270, 14.34285473705],
    ),
    # survdiff(Surv(time, status) ~ group, rho = 0.5)
    (
        {"weights": "fleming-harrington", "rho": 0.5},
        10.4157462983,
        0.00547330221471,
        2,
        [10.41674562348, 8.76192604541, 12.64685952672],
        [5.14226570761, 7.69571687230, 18.98754861570],
    ),
    # survdiff(Surv(time, status) ~ group + strata(stratum)); obs/exp summed over strata
    (
        {"strata": STRATUM},
        11.5217414216,
        0.00314836908563,
        2,
        [7 + 5, 6 + 5, 11 + 8],
        [
            3.23479110618 + 2.62794672143,
            4.38840859853 + 4.64270102719,
            16.37680029529 + 10.72935225137,
        ],
    ),
    # survdiff(Surv(time, status) ~ group + strata(stratum), rho = 1)
    (
        {"strata": STRATUM, "weights": "fleming-harrington", "rho": 1},
        9.35082485526,
        0.00932167982649,
        2,
        [
            5.33112903226 + 3.89415009095,
            3.91758064516 + 3.56358970013,
            5.33548387097 + 3.73408709126,
        ],
        [
            2.59370967742 + 2.09980963185,
            3.27008064516 + 3.29592305736,
            8.72040322581 + 5.79609419312,
        ],
    ),
]


@pytest.mark.parametrize(("options", "chisq", "p", "df", "obs", "exp"), CASES)
def test_equals_survdiff(options, chisq, p, df, obs, exp) -> None:
    result = lm.logrank_test(TIME, STATUS, GROUP, **options)
    assert result.statistic == pytest.approx(chisq, abs=1e-6)
    assert result.pvalue == pytest.approx(p, abs=1e-6)
    assert result.df == df
    np.testing.assert_allclose(result.observed, obs, atol=1e-9)
    np.testing.assert_allclose(result.expected, exp, atol=1e-9)
    np.testing.assert_array_equal(result.n, [np.sum(g == GROUP) for g in (0, 1, 2)])


def test_two_groups_equal_survdiff() -> None:
    # survdiff(Surv(time, status) ~ group, data = subset(data, group != 1))
    rows = GROUP != 1
    result = lm.logrank_test(TIME[rows], STATUS[rows], np.where(GROUP[rows] == 0, "a", "c"))
    assert result.statistic == pytest.approx(10.3607575638, abs=1e-6)
    assert result.pvalue == pytest.approx(0.00128722370236, abs=1e-6)
    assert result.groups.tolist() == ["a", "c"]


@pytest.mark.parametrize("seed", [0, 1])
def test_equals_lifelines_on_random_data(seed: int) -> None:
    statistics = pytest.importorskip("lifelines.statistics")
    rng = np.random.default_rng(seed)
    n = 500
    groups = rng.integers(0, 4, n)
    durations = rng.exponential(10.0 + 3 * groups)  # continuous: distinct times
    observed = rng.random(n) < 0.7
    theirs = statistics.multivariate_logrank_test(durations, groups, observed)
    ours = lm.logrank_test(durations, observed, groups)
    assert ours.statistic == pytest.approx(theirs.test_statistic, rel=1e-9)
    assert ours.pvalue == pytest.approx(theirs.p_value, rel=1e-9)
    # Fleming-Harrington G^rho is lifelines' fleming-harrington with p = rho, q = 0.
    two = groups < 2
    theirs = statistics.logrank_test(
        durations[two & (groups == 0)],
        durations[two & (groups == 1)],
        observed[two & (groups == 0)],
        observed[two & (groups == 1)],
        weightings="fleming-harrington",
        p=0.7,
        q=0,
    )
    ours = lm.logrank_test(
        durations[two], observed[two], groups[two], weights="fleming-harrington", rho=0.7
    )
    assert ours.statistic == pytest.approx(theirs.test_statistic, rel=1e-9)


def test_blocks_of_rows_give_the_same_sums(monkeypatch) -> None:
    import loyaltymetrics._retention._logrank as module

    whole = lm.logrank_test(TIME, STATUS, GROUP, strata=STRATUM, weights="fleming-harrington")
    monkeypatch.setattr(module, "_BLOCK_CELLS", 7)  # blocks of 2 rows, across strata
    blocked = lm.logrank_test(TIME, STATUS, GROUP, strata=STRATUM, weights="fleming-harrington")
    np.testing.assert_allclose(blocked.variance, whole.variance, atol=1e-12)
    assert blocked.statistic == pytest.approx(whole.statistic, abs=1e-12)


def test_wide_codes_path_equals_counting_path() -> None:
    # Integer times spread far apart take the sorting path instead of bincount.
    spread = lm.logrank_test(TIME * 10**9, STATUS, GROUP)
    compact = lm.logrank_test(TIME, STATUS, GROUP)
    assert spread.statistic == pytest.approx(compact.statistic, abs=1e-12)


def test_degenerate_cases() -> None:
    # Every event in one group, none expected elsewhere: nothing to compare.
    result = lm.logrank_test([1, 2, 3, 4], [1, 1, 0, 0], [0, 0, 1, 1])
    assert result.df == 1  # both groups are at risk at times 1 and 2
    none_expected = lm.logrank_test([1, 2, 5, 6], [1, 1, 0, 0], [0, 0, 1, 1])
    assert none_expected.df == 1
    no_events = lm.logrank_test([1, 2, 5, 6], [0, 0, 0, 0], [0, 0, 1, 1])
    assert (no_events.statistic, no_events.df, no_events.pvalue) == (0.0, 0, 1.0)


@given(
    st.lists(
        st.tuples(st.integers(0, 8), st.booleans(), st.integers(0, 2)), min_size=2, max_size=40
    ),
    st.randoms(use_true_random=False),
)
def test_properties(rows, random) -> None:
    durations = np.array([r[0] for r in rows])
    observed = np.array([r[1] for r in rows])
    groups = np.array([r[2] for r in rows])
    if np.unique(groups).size < 2:
        return
    result = lm.logrank_test(durations, observed, groups)
    assert result.statistic >= -1e-9
    assert 0.0 <= result.pvalue <= 1.0
    # Observed minus expected sums to zero: the expected events are the pooled events.
    assert result.observed.sum() == pytest.approx(result.expected.sum(), abs=1e-9)
    order = list(range(len(rows)))
    random.shuffle(order)
    shuffled = lm.logrank_test(durations[order], observed[order], groups[order])
    assert shuffled.statistic == pytest.approx(result.statistic, abs=1e-9)


def test_result_behaviour() -> None:
    result = lm.logrank_test(TIME, STATUS, GROUP)
    assert repr(result).startswith("LogrankResult(statistic=11.69")
    assert result.to_dict()["df"] == 2
    assert "<table>" in result._repr_html_()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"groups": [0, 0, 0, 0]}, ValueError, "at least two groups"),
        ({"groups": [0, 1]}, ValueError, "same length as `durations`"),
        ({"rho": 1}, ValueError, "`rho` applies to"),
        ({"weights": "fleming-harrington", "rho": -1}, ValueError, "`rho` must be finite"),
        ({"weights": "peto"}, ValueError, "`weights` must be one of"),
        ({"strata": [0, 1]}, ValueError, "`strata` must have the same length"),
        ({"durations": [1, -1, 2, 3]}, ValueError, "`durations` must be finite"),
    ],
)
def test_bad_input(kwargs, error, match) -> None:
    arguments = {"durations": [1, 2, 3, 4], "observed": [1, 1, 0, 1], "groups": [0, 0, 1, 1]}
    arguments.update(kwargs)
    positional = [arguments.pop(name) for name in ("durations", "observed", "groups")]
    with pytest.raises(error, match=match):
        lm.logrank_test(*positional, **arguments)


@pytest.mark.parametrize("rho", [None, 0.5])
def test_from_kaplan_meier_curves_equals_the_subject_level_test(rho) -> None:
    weights = "logrank" if rho is None else "fleming-harrington"
    curves = lm.kaplan_meier(TIME, STATUS, by=GROUP)
    from_curves = curves.logrank_test(weights=weights, rho=rho)
    direct = lm.logrank_test(TIME, STATUS, GROUP, weights=weights, rho=rho)
    assert from_curves.statistic == pytest.approx(direct.statistic, abs=1e-10)
    np.testing.assert_allclose(from_curves.expected, direct.expected, atol=1e-10)
