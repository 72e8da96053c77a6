"""Multiple-testing corrections equal statsmodels' ``multipletests``."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests

from loyaltymetrics._engine._corrections import CORRECTIONS, correct_pvalues

STATSMODELS_NAME = {"holm": "holm", "bonferroni": "bonferroni", "fdr_bh": "fdr_bh"}


def test_hand_worked_values() -> None:
    # Four p-values 0.01, 0.04, 0.03, 0.005 (m = 4), sorted 0.005, 0.01, 0.03, 0.04.
    p = [0.01, 0.04, 0.03, 0.005]
    # Bonferroni: 4p.
    np.testing.assert_allclose(correct_pvalues(p, "bonferroni"), [0.04, 0.16, 0.12, 0.02])
    # Holm: 4*0.005=0.02, 3*0.01=0.03, 2*0.03=0.06, 1*0.04=0.04 -> running max 0.06.
    np.testing.assert_allclose(correct_pvalues(p, "holm"), [0.03, 0.06, 0.06, 0.02])
    # BH: 4*0.005/1=0.02, 4*0.01/2=0.02, 4*0.03/3=0.04, 4*0.04/4=0.04; running min from the top.
    np.testing.assert_allclose(correct_pvalues(p, "fdr_bh"), [0.02, 0.04, 0.04, 0.02])
    np.testing.assert_array_equal(correct_pvalues(p, None), p)


@pytest.mark.parametrize("method", CORRECTIONS)
def test_nan_pvalues_stay_nan_and_are_not_counted(method: str) -> None:
    p = np.array([0.01, np.nan, 0.04])
    out = correct_pvalues(p, method)  # type: ignore[arg-type]
    assert np.isnan(out[1])
    expected = multipletests([0.01, 0.04], method=STATSMODELS_NAME[method])[1]
    np.testing.assert_allclose(out[[0, 2]], expected, rtol=1e-12)
    assert np.isnan(correct_pvalues([np.nan], method)).all()  # type: ignore[arg-type]


def test_inputs_are_not_modified() -> None:
    p = np.array([0.2, 0.01])
    correct_pvalues(p, "holm")
    np.testing.assert_array_equal(p, [0.2, 0.01])


@settings(max_examples=60)
@given(
    st.lists(st.floats(0.0, 1.0, allow_nan=False), min_size=1, max_size=60),
    st.sampled_from(CORRECTIONS),
    st.sampled_from([0.01, 0.05, 0.1]),
)
def test_equal_to_statsmodels_multipletests(
    pvalues: list[float], method: str, alpha: float
) -> None:
    """Corrected p-values and reject decisions equal statsmodels' (the reference)."""
    reject, expected, _, _ = multipletests(pvalues, alpha=alpha, method=STATSMODELS_NAME[method])
    corrected = correct_pvalues(pvalues, method)  # type: ignore[arg-type]
    np.testing.assert_allclose(corrected, expected, rtol=1e-12, atol=1e-15)
    # Decisions: reject where the corrected p-value is at most alpha. Exclude
    # values within rounding of the threshold, where the two computations may
    # legitimately round to different sides.
    clear = np.abs(corrected - alpha) > 1e-12
    np.testing.assert_array_equal((corrected <= alpha)[clear], reject[clear])
