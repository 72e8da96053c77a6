"""Option typos mypy must reject: every line marked ``# expect-error`` is an error.

CI runs ``mypy --strict`` on this file and checks that it fails with an error
on each marked line (and nowhere else).
"""

from __future__ import annotations

import loyaltymetrics as lm


def typos() -> None:
    """Never called: the calls are here for the type checker only."""
    scores = [10, 9, 8, 7, 6]
    days = ["2025-01-03", "2025-01-20", "2025-02-11", "2025-02-12", "2025-03-01"]
    lm.nps(scores, nan_policy="omt")  # expect-error
    lm.nps(scores).confidence_interval(method="bcaa")  # expect-error
    lm.nps(scores).confidence_interval(method="wilson")  # expect-error
    lm.csat(scores, nan_policy="ignore")  # expect-error
    lm.csat([5, 4]).confidence_interval(method="adjusted-wald")  # expect-error
    lm.ces([7, 6]).confidence_interval(method="welch")  # expect-error
    lm.nps(scores).test(30, alternative="above")  # expect-error
    lm.nps(scores).test(30, method="wilson")  # expect-error
    lm.csat([5, 4]).test(75, method="t")  # expect-error
    lm.ces([7, 6]).test("5")  # expect-error
    lm.compare_nps(scores, scores, method="score")  # expect-error
    lm.compare_nps(scores, scores, alternative="two_sided")  # expect-error
    lm.compare_csat([5], [4], method="wilson")  # expect-error
    lm.compare_ces([7], [6], method="ttest")  # expect-error
    lm.compare_nps(scores, scores, method="bca", engine="numpy")  # expect-error
    lm.compare_csat([5], [4], paired=True, nan_policy="drop")  # expect-error
    lm.by_segment(scores, by=["a"] * 5, metric="npss")  # expect-error
    lm.by_segment(scores, by=["a"] * 5, method="bcaa")  # expect-error
    lm.by_segment(scores, by=["a"] * 5, compare="others")  # expect-error
    lm.by_segment(scores, by=["a"] * 5, correction="holm-bonferroni")  # expect-error
    lm.over_time(scores, time=days, metric="npss")  # expect-error
    lm.over_time(scores, time=days, period="monthly")  # expect-error
    lm.over_time(scores, time=days, method="bcaa")  # expect-error
    lm.over_time(scores, time=days, correction="holm-bonferroni")  # expect-error
