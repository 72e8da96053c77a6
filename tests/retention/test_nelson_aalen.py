"""Nelson-Aalen against R's survfit(ctype = 1), lifelines and a hand-worked example.

R values were printed by ``Rscript scripts/survival_reference.R`` (R 4.2,
survival 3.4): ``survfit(Surv(time, status) ~ 1, ctype = 1)`` on the data of
``survival_reference_data``, its ``cumhaz`` and ``std.chaz``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from survival_reference_data import GROUP, STATUS, TIME

import loyaltymetrics as lm

R_TIME = [1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 13, 14, 15, 17, 18, 19, 21, 22, 23, 25, 28, 29, 32,
          33, 34, 40]  # fmt: skip
R_CUMHAZ = [
    0.0, 0.0701754385965, 0.1878224974200, 0.2322669418645, 0.3036955132930,
    0.3293365389341, 0.3556523284077, 0.4097063824618, 0.4391181471677, 0.5016181471677,
    0.5016181471677, 0.5373324328820, 0.5773324328820, 0.5773324328820, 0.6682415237911,
    0.7182415237911, 0.7737970793466, 0.8914441381701, 0.9628727095987, 1.1936419403679,
    1.1936419403679, 1.3047530514791, 1.3047530514791, 1.4476101943362, 1.6142768610029,
    2.6142768610029,
]  # fmt: skip
R_STD_CHAZ = [
    0.0, 0.0350877192982, 0.0594806953601, 0.0672726351610, 0.0789068293218,
    0.0829683669210, 0.0870417755171, 0.0950641418465, 0.0995100144112, 0.1088823583879,
    0.1088823583879, 0.1145900439489, 0.1213708291650, 0.1213708291650, 0.1373430361437,
    0.1461612451273, 0.1563634526680, 0.1771156248194, 0.1909764000380, 0.2328593237588,
    0.2328593237588, 0.2580099681675, 0.2580099681675, 0.2949191532252, 0.3387551988042,
    0.5610303777131,
]  # fmt: skip


def test_equals_survfit_ctype_1() -> None:
    hazard = lm.nelson_aalen(TIME, STATUS)
    np.testing.assert_array_equal(hazard.times, R_TIME)
    np.testing.assert_allclose(hazard.cumulative_hazard, R_CUMHAZ, atol=1e-12)
    np.testing.assert_allclose(np.sqrt(hazard.variance), R_STD_CHAZ, atol=1e-12)


def test_hand_worked_example_and_interval() -> None:
    # t=1: 7 at risk, 1 event -> H = 1/7, Var = 1/49
    # t=2: 6 at risk, 1 event (1 censored) -> H = 1/7 + 1/6
    # t=3: 4 at risk, 1 event -> + 1/4;  t=4: 3 at risk, 2 events -> + 2/3
    hazard = lm.nelson_aalen([1, 2, 2, 3, 4, 4, 5], [1, 1, 0, 1, 1, 1, 0])
    expected = np.cumsum([1 / 7, 1 / 6, 1 / 4, 2 / 3, 0])
    np.testing.assert_allclose(hazard.cumulative_hazard, expected, rtol=1e-15)
    np.testing.assert_allclose(hazard.variance, np.cumsum([1 / 49, 1 / 36, 1 / 16, 2 / 9, 0]))
    z = 1.959963984540054
    h, se = 1 / 7, 1 / 7
    assert hazard.cumulative_hazard_low[0] == pytest.approx(h * math.exp(-z * se / h))
    assert hazard.cumulative_hazard_high[0] == pytest.approx(h * math.exp(z * se / h))


@pytest.mark.parametrize("seed", [0, 1])
def test_equals_lifelines(seed: int) -> None:
    lifelines = pytest.importorskip("lifelines")
    rng = np.random.default_rng(seed)
    durations = rng.integers(0, 30, 300).astype(float)
    observed = rng.random(300) < 0.6
    fitter = lifelines.NelsonAalenFitter(nelson_aalen_smoothing=False).fit(durations, observed)
    theirs = fitter.cumulative_hazard_
    ours = lm.nelson_aalen(durations, observed)
    reference = theirs.loc[ours.times].to_numpy()[:, 0]
    np.testing.assert_allclose(ours.cumulative_hazard, reference, atol=1e-12)


def test_by_group_equals_each_group_alone() -> None:
    grouped = lm.nelson_aalen(TIME, STATUS, by=GROUP)
    assert grouped.groups.tolist() == [0, 1, 2]
    for label in (0, 1, 2):
        alone = lm.nelson_aalen(TIME[label == GROUP], STATUS[label == GROUP])
        rows = grouped.group == label
        np.testing.assert_array_equal(grouped.times[rows], alone.times)
        np.testing.assert_allclose(grouped.cumulative_hazard[rows], alone.cumulative_hazard)
        np.testing.assert_allclose(grouped.variance[rows], alone.variance)
    assert grouped.to_frame(backend="polars").columns[0] == "group"


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="`durations` must be finite"):
        lm.nelson_aalen([1.0, math.inf])
    with pytest.raises(ValueError, match="`confidence_level`"):
        lm.nelson_aalen([1.0], confidence_level=2)
