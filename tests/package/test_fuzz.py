"""Hostile input for every public callable: it answers or names the argument it rejects.

Every function in ``loyaltymetrics.__all__``, every public method of the result and
model types there, the ``plotting`` functions and the ``datasets`` simulators is
called with valid values mixed with hostile ones: NaN, ±inf, −0.0, 1e308, 10**30,
bools, strings, object and 0-d arrays, empty and mismatched sequences, datetimes
where numbers belong, and frames (pandas, polars, Dask) with null keys, empty
partitions and duplicated column names. The only assertions are the library's
promise for bad input:

* the call returns, or raises ``ValueError``/``TypeError`` whose message names an
  argument in backticks;
* no warning escapes (the library's own ``ConvergenceWarning`` is documented output
  of a fit and is allowed);
* no input is mutated.

A returned result also has its ``repr``, ``_repr_html_``, ``to_dict`` and
``to_frame`` called under the same rules. ``test_every_public_callable_is_fuzzed``
fails when a public callable has no strategy here, so coverage cannot shrink
silently. The number of calls made is printed at the end of the module.
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
import shutil
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import polars as pl
import pytest
from engine import test_spark as _spark_tests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import loyaltymetrics as lm
from loyaltymetrics import datasets, plotting

matplotlib.use("Agg")

NAN = float("nan")
INF = float("inf")

# Values that do not belong where a number, a count or a share is expected.
ODD_SCALARS: tuple[object, ...] = (
    NAN,
    INF,
    -INF,
    -0.0,
    1e308,
    -1e308,
    1e-300,
    10**30,
    2**53 + 1,
    True,
    False,
    "7",
    "",
    None,
    pd.NA,
    dt.datetime(2020, 1, 1),
    dt.date(2020, 1, 1),
    np.datetime64("2020-01-01"),
    np.timedelta64(1, "D"),
    complex(1, 1),
    b"x",
    np.array(3.0),
    np.array(["a"], dtype=object),
)
# Like ODD_SCALARS but without sizes so large that a valid reading would be a
# request for 10**30 resamples, draws or rows (an honest out-of-memory, not a bug).
ODD_SIZES: tuple[object, ...] = tuple(
    v for v in ODD_SCALARS if not (isinstance(v, (int, float)) and abs(v) > 10_000)
)
EDGE_LEVELS = (0.95, 0.5, 1e-16, 0.9999999999999999, 5e-324, 1 - 2**-53)

CALLS = {"n": 0}


def odd(*valid: object, sizes: bool = False) -> st.SearchStrategy[object]:
    """A valid value from ``valid`` or a hostile scalar (valid first, so shrinking ends there)."""
    hostile = ODD_SIZES if sizes else ODD_SCALARS
    parts: list[st.SearchStrategy[object]] = []
    if valid:
        parts.append(st.sampled_from(valid))
    parts.append(st.sampled_from(hostile))
    if not sizes:
        parts.append(st.floats(allow_nan=True, allow_infinity=True))
        parts.append(st.integers(min_value=-(2**70), max_value=2**70))
    return st.one_of(*parts)


def _containers(values: list[object]) -> Iterator[object]:
    """Every container a user might pass ``values`` in (each built only if it can be)."""
    yield list(values)
    yield tuple(values)
    yield np.array(values, dtype=object)
    for build in (
        lambda: np.asarray(values),
        lambda: np.asarray(values, dtype=float),
        lambda: np.asarray(values, dtype=np.int8),
        lambda: pd.Series(values),
        lambda: pd.Series(values, dtype="Float64"),
        lambda: pd.Series(values, dtype="category"),
        lambda: pl.Series(values, strict=False),
        lambda: np.asarray(values).reshape(-1, 1),
        lambda: np.asarray(values[0]) if values else np.asarray([]),
    ):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                yield build()
        except Exception:
            continue


@st.composite
def vectors(
    draw: st.DrawFn, elements: st.SearchStrategy[object], *, min_size: int = 0, max_size: int = 6
) -> object:
    """A short sequence of ``elements`` in one of many containers, or a lone hostile scalar."""
    if draw(st.integers(0, 19)) == 0:
        return draw(st.sampled_from(ODD_SCALARS))
    values = draw(st.lists(elements, min_size=min_size, max_size=max_size))
    options = list(_containers(values))
    return options[draw(st.integers(0, len(options) - 1))]


def scores(low: int = 0, high: int = 10) -> st.SearchStrategy[object]:
    """Answers on a ``low..high`` scale, with missing, out-of-range and odd values mixed in."""
    return vectors(st.one_of(st.integers(low, high), st.integers(low, high), odd()))


def numbers(low: float = 0, high: float = 20) -> st.SearchStrategy[object]:
    """Non-negative amounts or counts, with hostile values mixed in."""
    return vectors(st.one_of(st.integers(int(low), int(high)), st.floats(low, high), odd()))


def ids() -> st.SearchStrategy[object]:
    """Customer identifiers: ints or strings, sometimes mixed or missing."""
    return vectors(st.one_of(st.integers(0, 3), st.sampled_from(["a", "b", None, NAN, 1.5, True])))


TIMES = st.one_of(
    st.datetimes(min_value=dt.datetime(2019, 1, 1), max_value=dt.datetime(2021, 1, 1)),
    st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2021, 1, 1)),
    st.integers(0, 400),
    st.sampled_from([None, NAN, "2020-01-01", pd.NaT, INF, 10**30]),
)


@st.composite
def frames(draw: st.DrawFn, columns: dict[str, st.SearchStrategy[object]]) -> object:
    """A pandas or polars frame with ``columns`` (null keys included), sometimes with a
    duplicated column name, a missing column or no rows."""
    n = draw(st.integers(0, 6))
    data = {name: [draw(elements) for _ in range(n)] for name, elements in columns.items()}
    kind = draw(st.sampled_from(["pandas", "pandas", "polars", "duplicated", "missing"]))
    frame = pd.DataFrame(data)
    if kind == "polars":
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return pl.DataFrame(data, strict=False)
        except Exception:
            return frame
    if kind == "duplicated" and len(columns) > 1:
        names = list(frame.columns)
        names[-1] = names[0]
        frame.columns = names
    if kind == "missing" and len(columns) > 1:
        frame = frame.drop(columns=frame.columns[-1])
    return frame


# ---------------------------------------------------------------------------
# The check every call goes through


def _fingerprint(value: object) -> object:
    """A comparable snapshot of ``value``'s content (NaN-safe) to detect mutation."""
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            return ("obj", value.shape, tuple(repr(v) for v in value.ravel().tolist()))
        return (value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, pd.DataFrame):
        return ("pd", tuple(map(repr, value.columns)), repr(value.dtypes.tolist()), repr(value))
    if isinstance(value, pd.Series):
        return ("ps", str(value.dtype), repr(value.tolist()), repr(value.index.tolist()))
    if isinstance(value, (pl.DataFrame, pl.Series)):
        return (
            "pl",
            repr(value.schema if isinstance(value, pl.DataFrame) else value.dtype),
            repr(value.to_list() if isinstance(value, pl.Series) else value.rows()),
        )
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_fingerprint(v) for v in value))
    if isinstance(value, dict):
        return tuple((k, _fingerprint(v)) for k, v in value.items())
    return repr(value)


BACKTICKED = re.compile(r"`[^`\s][^`]*`")


def _exercise(result: object) -> None:
    """Call the display and conversion methods every result offers."""
    repr(result)
    for method in ("_repr_html_", "to_dict", "to_frame"):
        bound = getattr(result, method, None)
        if callable(bound):
            bound()


# Failures this test finds that are not fixed yet: (target, exception type, message
# pattern). Each is an open bug with the input that triggers it; remove an entry with
# its fix. Anything else that escapes fails the test.
_Kinds = type[BaseException] | tuple[type[BaseException], ...]
KNOWN_FAILURES: tuple[tuple[str, _Kinds, str], ...] = ()
CURRENT = {"target": ""}


def _known(error: BaseException) -> bool:
    return any(
        CURRENT["target"] == target and isinstance(error, kinds) and re.search(pattern, str(error))
        for target, kinds, pattern in KNOWN_FAILURES
    )


def check_call(function: Callable[..., Any], *args: object, **kwargs: object) -> object:
    """Call ``function``; assert the bad-input promise; return the result or None."""
    import matplotlib.pyplot as plt

    CALLS["n"] += 1
    before = _fingerprint((args, kwargs))
    result = None
    refusal = ""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", lm.ConvergenceWarning)
        try:
            result = function(*args, **kwargs)
            _exercise(result)
        except (ValueError, TypeError, ArithmeticError, RuntimeWarning, MemoryError) as error:
            if not _known(error):
                if not isinstance(error, ValueError | TypeError):
                    raise
                refusal = f"{type(error).__name__}: {error}"
            result = None
        finally:
            plt.close("all")
    assert not refusal or BACKTICKED.search(refusal), f"no argument in backticks: {refusal!r}"
    assert _fingerprint((args, kwargs)) == before, "an input was mutated"
    return result


# ---------------------------------------------------------------------------
# Valid objects the method targets are called on (built once, cheaply)

_CACHE: dict[str, Any] = {}
_COHORT_LOG = pd.DataFrame(
    {
        "c": [1, 1, 2, 2, 3],
        "t": pd.to_datetime(["2020-01-01", "2020-02-03", "2020-01-09", "2020-03-01", "2020-02-11"]),
        "g": ["x", "x", "y", "y", "x"],
    }
)


def _made(name: str) -> Any:
    if name in _CACHE:
        return _CACHE[name]
    f, r, t = datasets.simulate_bgnbd(300, r=0.5, alpha=2.0, a=0.6, b=2.5, T=30.0, rng=1)
    money = datasets.simulate_gamma_gamma(np.maximum(f, 1.0), p=6.0, q=4.0, v=15.0, rng=2)
    bf, br, bn = datasets.simulate_bgbb(
        300, alpha=1.2, beta=0.8, gamma=0.6, delta=2.0, n_periods=6, rng=3
    )
    builders: dict[str, Callable[[], Any]] = {
        "BGNBDModel": lambda: lm.fit_bgnbd(f, r, t),
        "MBGNBDModel": lambda: lm.fit_mbgnbd(f, r, t),
        "ParetoNBDModel": lambda: lm.fit_pareto_nbd(f, r, t),
        "BGBBModel": lambda: lm.fit_bgbb(bf, br, bn),
        "GammaGammaModel": lambda: lm.fit_gamma_gamma(np.maximum(f, 1.0), money),
        "SBGModel": lambda: lm.fit_sbg([1000, 631, 468, 382, 326]),
        "NPSResult": lambda: lm.nps([0, 6, 7, 9, 10, 10]),
        "CSATResult": lambda: lm.csat([1, 4, 5, 5]),
        "CESResult": lambda: lm.ces([1, 5, 7, 7]),
        "MeanResult": lambda: lm.average_order_value([10.0, 20.0, 35.0]),
        "SurvivalCurve": lambda: lm.kaplan_meier([1, 2, 2, 5, 8], [1, 1, 0, 1, 0]),
        "SurvivalCurves": lambda: lm.kaplan_meier(
            [1, 2, 2, 5, 8, 3, 4], [1, 1, 0, 1, 0, 1, 1], by=["a", "a", "a", "b", "b", "b", "b"]
        ),
        "ValueConcentration": lambda: lm.value_concentration([1.0, 2.0, 3.0, 50.0]),
        "OverTime": lambda: lm.over_time(
            pd.DataFrame(
                {
                    "s": [9, 10, 3, 7, 9, 0, 8, 10],
                    "t": pd.to_datetime(
                        ["2021-01-05", "2021-01-20", "2021-02-02"] * 2 + ["2021-04-01"] * 2
                    ),
                    "g": list("aabbabab"),
                }
            ),
            score="s",
            time="t",
            by="g",
            n_resamples=20,
            rng=0,
        ),
        "CohortTable": lambda: lm.cohort_retention(_COHORT_LOG, customer="c", time="t"),
        "SegmentCohorts": lambda: lm.cohort_retention(_COHORT_LOG, customer="c", time="t", by="g"),
        "NPSComparison": lambda: lm.compare_nps([0, 6, 9, 10, 10], [3, 7, 8, 9]),
        "CSATComparison": lambda: lm.compare_csat([1, 4, 5, 5], [2, 3, 4, 5, 5]),
        "CESComparison": lambda: lm.compare_ces([1, 5, 7, 7], [2, 3, 6, 7]),
        "RestrictedMean": lambda: lm.kaplan_meier([1, 2, 2, 5, 8], [1, 1, 0, 1, 0]).restricted_mean(
            5
        ),
        "RestrictedMeanComparison": lambda: lm.kaplan_meier(
            [1, 2, 2, 5, 8, 3, 4], [1, 1, 0, 1, 0, 1, 1], by=["a", "a", "a", "b", "b", "b", "b"]
        ).compare_restricted_means(4, "a", "b"),
        "SegmentBreakdown": lambda: lm.by_segment(
            pd.DataFrame({"s": [9, 10, 3, 7, 9, 0], "g": list("aabbab")}),
            score="s",
            by="g",
            min_n=1,
            n_resamples=20,
            rng=0,
        ),
    }
    _CACHE[name] = builders[name]()
    return _CACHE[name]


# ---------------------------------------------------------------------------
# One strategy per public callable: each returns (callable, args, kwargs)

Call = tuple[Callable[..., Any], tuple[object, ...], dict[str, object]]
NAN_POLICY = odd("raise", "omit", "propagate")
LEVEL = odd(*EDGE_LEVELS)
RNG = odd(None, 0, 12345, np.random.default_rng(1), sizes=True)
RESAMPLES = odd(2, 19, 50, sizes=True)
ALTERNATIVE = odd("two-sided", "less", "greater")
SCALE5 = odd((1, 5), (0, 10), (1, 7), (5, 1), (1, 1), (1.5, 5), ("1", "5"), [1, 5])
SCALE7 = odd((1, 7), (1, 5), (1, 10), (7, 1))
BAND = odd((4, 5), (5, 7), (1, 1), (5, 4), (0, 9), (4.0, 5.0))
METRIC = odd("nps", "csat", "ces")


def _draw_kwargs(
    data: st.DataObject,
    spec: dict[str, st.SearchStrategy[object]],
    function: Callable[..., Any] | None = None,
) -> dict[str, object]:
    """Draw each option, or leave it at its default (required options are always drawn)."""
    required = set()
    if function is not None:
        required = {
            p.name
            for p in inspect.signature(function).parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is inspect.Parameter.empty
        }
    return {
        name: data.draw(strategy, label=name)
        for name, strategy in spec.items()
        if name in required or data.draw(st.booleans(), label=f"pass {name}")
    }


def _call(
    function: Callable[..., Any],
    args: list[st.SearchStrategy[object]],
    options: dict[str, st.SearchStrategy[object]],
) -> Callable[[st.DataObject], Call]:
    def draw(data: st.DataObject) -> Call:
        positional = tuple(data.draw(strategy, label=f"arg {i}") for i, strategy in enumerate(args))
        return function, positional, _draw_kwargs(data, options, function)

    return draw


def _method(
    owner: str,
    method: str,
    args: list[st.SearchStrategy[object]],
    options: dict[str, st.SearchStrategy[object]],
) -> Callable[[st.DataObject], Call]:
    def draw(data: st.DataObject) -> Call:
        bound = getattr(_made(owner), method)
        positional = tuple(data.draw(strategy, label=f"arg {i}") for i, strategy in enumerate(args))
        return bound, positional, _draw_kwargs(data, options, bound)

    return draw


SURVEY_FRAME = frames(
    {
        "s": st.one_of(st.integers(0, 10), odd()),
        "g": st.sampled_from(["a", "b", None, 1]),
        "w": st.one_of(st.floats(0, 3), odd()),
    }
)
TRANSACTIONS = frames(
    {
        "c": st.one_of(st.integers(0, 3), st.sampled_from(["a", None])),
        "t": TIMES,
        "v": st.one_of(st.floats(0, 100), odd()),
    }
)
RFM_FRAME = frames(
    {
        "recency": st.one_of(st.floats(0, 30), odd()),
        "frequency": st.one_of(st.integers(0, 9), odd()),
        "monetary_value": st.one_of(st.floats(0, 99), odd()),
        "T": st.one_of(st.floats(0, 30), odd()),
    }
)
DURATIONS = numbers(0, 12)
OBSERVED = vectors(st.one_of(st.booleans(), st.integers(0, 1), odd()))
GROUPS = vectors(st.sampled_from(["a", "b", 1, None, NAN]))
PERIOD = odd("day", "week", "month", "quarter", "year", 7, 0, -1)
OBS_END = odd(
    None,
    "2021-06-01",
    dt.datetime(2021, 6, 1),
    dt.date(2021, 6, 1),
    pd.Timestamp("2021-06-01", tz="UTC"),
    500,
)
BACKEND = odd("pandas", "polars", "pyarrow", "numpy")
TIMING = odd("end", "start", "middle")
SHARE = odd(None, 0.0, 1.0, 0.3, 0.5)
KEYS = odd("c", "t", "v", "s", "g", "w", "missing", 0)

TARGETS: dict[str, Callable[[st.DataObject], Call]] = {
    # survey
    "nps": _call(lm.nps, [scores()], {"weights": numbers(), "nan_policy": NAN_POLICY}),
    "csat": _call(
        lm.csat,
        [scores(1, 5)],
        {"weights": numbers(), "nan_policy": NAN_POLICY, "scale": SCALE5, "satisfied": BAND},
    ),
    "ces": _call(
        lm.ces,
        [scores(1, 7)],
        {
            "weights": numbers(),
            "nan_policy": NAN_POLICY,
            "scale": SCALE7,
            "agree": BAND,
            "version": odd("2.0", "1.0", "3"),
        },
    ),
    "nps_from_counts": _call(
        lm.nps_from_counts,
        [],
        {"detractors": odd(0, 3, 2.5), "passives": odd(0, 4), "promoters": odd(0, 5, 10**30)},
    ),
    "csat_from_counts": _call(
        lm.csat_from_counts, [numbers(0, 50)], {"scale": SCALE5, "satisfied": BAND}
    ),
    "ces_from_counts": _call(
        lm.ces_from_counts,
        [numbers(0, 50)],
        {"scale": SCALE7, "agree": BAND, "version": odd("2.0", "1.0")},
    ),
    "compare_nps": _call(
        lm.compare_nps,
        [scores(), scores()],
        {
            "confidence_level": LEVEL,
            "alternative": ALTERNATIVE,
            "n_resamples": RESAMPLES,
            "rng": RNG,
            "paired": odd(True, False, np.bool_(True), 1),
            "engine": odd("count", "scipy", "numpy"),
            "nan_policy": NAN_POLICY,
            "method": odd("adjusted-wald", "wald", "basic", "bootstrap", "newcombe", "x"),
        },
    ),
    "compare_csat": _call(
        lm.compare_csat,
        [scores(1, 5), scores(1, 5)],
        {
            "scale": SCALE5,
            "satisfied": BAND,
            "confidence_level": LEVEL,
            "alternative": ALTERNATIVE,
            "n_resamples": RESAMPLES,
            "rng": RNG,
            "paired": odd(True, False, np.bool_(True), 1),
            "engine": odd("count", "scipy", "numpy"),
            "nan_policy": NAN_POLICY,
            "method": odd("newcombe", "wald", "adjusted-wald", "bca", "bootstrap", "x"),
        },
    ),
    "compare_ces": _call(
        lm.compare_ces,
        [scores(1, 7), scores(1, 7)],
        {
            "scale": SCALE7,
            "agree": BAND,
            "version": odd("2.0", "1.0"),
            "of": odd("mean", "share"),
            "confidence_level": LEVEL,
            "alternative": ALTERNATIVE,
            "n_resamples": RESAMPLES,
            "rng": RNG,
            "paired": odd(True, False, np.bool_(True), 1),
            "engine": odd("count", "scipy", "numpy"),
            "nan_policy": NAN_POLICY,
            "method": odd(
                None, "welch", "newcombe", "t", "adjusted-wald", "percentile", "bootstrap"
            ),
        },
    ),
    "nps_margin_of_error": _call(
        lm.nps_margin_of_error,
        [odd(100, 1, 0.5, 10**30)],
        {"confidence_level": LEVEL, "promoter_share": SHARE, "detractor_share": SHARE},
    ),
    "nps_sample_size": _call(
        lm.nps_sample_size,
        [odd(5.0, 1e-300, 200.0, 0.1)],
        {"confidence_level": LEVEL, "promoter_share": SHARE, "detractor_share": SHARE},
    ),
    "confidence_sequence": _call(
        lm.confidence_sequence,
        [scores()],
        {
            "metric": METRIC,
            "times": numbers(),
            "confidence_level": LEVEL,
            "method": odd("betting", "hoeffding", "x"),
            "scale": SCALE5,
            "satisfied": BAND,
            "agree": BAND,
            "version": odd(None, "2.0"),
        },
    ),
    "sequential_test": _call(
        lm.sequential_test,
        [scores()],
        {
            "baseline": odd(0.0, 30.0, -100.0, 100.0, 0.5),
            "metric": METRIC,
            "times": numbers(),
            "alternative": ALTERNATIVE,
            "confidence_level": LEVEL,
            "scale": SCALE5,
            "satisfied": BAND,
            "agree": BAND,
            "version": odd(None, "2.0"),
        },
    ),
    "by_segment": _call(
        lm.by_segment,
        [SURVEY_FRAME],
        {
            "by": odd("g", ["g", "g"], ["g"], "s", "missing"),
            "metric": METRIC,
            "score": KEYS,
            "weights": KEYS,
            "confidence_level": LEVEL,
            "method": odd(None, "wald", "bootstrap", "wilson", "percentile"),
            "compare": odd("rest", "overall", None, "a"),
            "correction": odd("holm", "bonferroni", None, "fdr_bh"),
            "min_n": odd(1, 30, 0, -1, sizes=True),
            "n_resamples": RESAMPLES,
            "rng": RNG,
            "engine": odd("count", "scipy"),
        },
    ),
    # retention
    "retention_rate": _call(
        lm.retention_rate, [], {"start": odd(10, 0, 5), "end": odd(8, 12, 0), "new": odd(2, 0)}
    ),
    "churn_rate": _call(
        lm.churn_rate, [], {"start": odd(10, 0, 5), "end": odd(8, 12, 0), "new": odd(2, 0)}
    ),
    "average_order_value": _call(
        lm.average_order_value, [numbers(0, 1e308)], {"nan_policy": NAN_POLICY}
    ),
    "purchase_frequency": _call(lm.purchase_frequency, [ids()], {}),
    "repeat_purchase_rate": _call(lm.repeat_purchase_rate, [ids()], {}),
    "cohort_retention": _call(
        lm.cohort_retention,
        [TRANSACTIONS],
        {
            "customer": KEYS,
            "time": KEYS,
            "period": PERIOD,
            "kind": odd("classic", "rolling", "range", "x"),
            "observation_end": OBS_END,
        },
    ),
    "customer_durations": _call(
        lm.customer_durations,
        [TRANSACTIONS],
        {
            "customer": KEYS,
            "time": KEYS,
            "churn_after": odd(30, 90.0, dt.timedelta(days=30), "30D", 0, -1),
            "observation_end": OBS_END,
        },
    ),
    "kaplan_meier": _call(
        lm.kaplan_meier,
        [DURATIONS, OBSERVED],
        {
            "weights": numbers(),
            "by": GROUPS,
            "confidence_level": LEVEL,
            "interval": odd("log-log", "plain", "log", "arcsin", "x"),
        },
    ),
    "nelson_aalen": _call(
        lm.nelson_aalen,
        [DURATIONS, OBSERVED],
        {"weights": numbers(), "by": GROUPS, "confidence_level": LEVEL},
    ),
    "logrank_test": _call(
        lm.logrank_test,
        [DURATIONS, OBSERVED, GROUPS],
        {
            "weights": odd("logrank", "fleming-harrington", "wilcoxon", "x"),
            "rho": odd(None, 0.0, 1.0, -1.0),
            "strata": GROUPS,
        },
    ),
    "fit_sbg": _call(
        lm.fit_sbg,
        [
            vectors(
                st.one_of(st.integers(0, 1000), st.sampled_from([10**30, 10**29, 1e308])),
                min_size=2,
            )
        ],
        {},
    ),
    # clv
    "clv": _call(
        lm.clv,
        [numbers(0, 100)],
        {
            "retention": vectors(st.one_of(st.floats(0, 1), odd())),
            "discount_rate": odd(0.1, 0.0, -0.5, [0.1, 0.2]),
            "periods": odd(None, 5, 0, 10**30, [1, 2, 3]),
            "timing": TIMING,
        },
    ),
    "value_concentration": _call(
        lm.value_concentration,
        [numbers(0, 1e308)],
        {"top": odd(0.2, 0.0, 1.0, 0.5), "confidence_level": LEVEL},
    ),
    "rfm_summary": _call(
        lm.rfm_summary,
        [TRANSACTIONS],
        {
            "customer": KEYS,
            "time": KEYS,
            "value": odd(None, "v", "t", "c"),
            "period": PERIOD,
            "observation_end": OBS_END,
            "calibration_end": OBS_END,
        },
    ),
    "historical_clv": _call(
        lm.historical_clv,
        [TRANSACTIONS],
        {
            "customer": KEYS,
            "time": KEYS,
            "value": KEYS,
            "discount_rate": odd(0.0, 0.1, -1.0),
            "period": PERIOD,
            "observation_end": OBS_END,
        },
    ),
    "rfm_scores": _call(
        lm.rfm_scores,
        [RFM_FRAME],
        {
            "bins": odd(5, 2, 1, 0, sizes=True),
            "recency": odd("recency", "T"),
            "frequency": odd("frequency"),
            "monetary": odd("monetary_value"),
            "T": odd("T"),
            "segments": odd(None, [], [("x", 1)]),
        },
    ),
    "fit_bgnbd": _call(
        lm.fit_bgnbd, [numbers(0, 5), numbers(0, 10), numbers(0, 10)], {"weights": numbers()}
    ),
    "fit_mbgnbd": _call(
        lm.fit_mbgnbd, [numbers(0, 5), numbers(0, 10), numbers(0, 10)], {"weights": numbers()}
    ),
    "fit_pareto_nbd": _call(
        lm.fit_pareto_nbd, [numbers(0, 5), numbers(0, 10), numbers(0, 10)], {"weights": numbers()}
    ),
    "fit_bgbb": _call(
        lm.fit_bgbb, [numbers(0, 5), numbers(0, 5), numbers(0, 6)], {"weights": numbers()}
    ),
    "fit_gamma_gamma": _call(
        lm.fit_gamma_gamma, [numbers(0, 5), numbers(0, 1e308)], {"weights": numbers()}
    ),
    "predicted_clv": lambda data: (
        lm.predicted_clv,
        (
            _made("BGNBDModel"),
            _made("GammaGammaModel"),
            data.draw(numbers(0, 5)),
            data.draw(numbers(0, 10)),
            data.draw(numbers(0, 10)),
            data.draw(numbers(1, 100)),
        ),
        _draw_kwargs(
            data,
            {
                "horizon": odd(12.0, 0.0, -1.0),
                "discount_rate": odd(0.01, 0.0, -2.0),
                "step": odd(1.0, 0.0, 1e-300),
                "margin": odd(1.0, 0.2),
                "interval": odd(None, "confidence", "prediction", "x"),
                "method": odd("delta", "bootstrap", "x"),
                "confidence_level": LEVEL,
                "n_draws": odd(None, 10, 2, sizes=True),
                "rng": RNG,
            },
            lm.predicted_clv,
        ),
    ),
    "holdout_check": lambda data: (
        lm.holdout_check,
        (data.draw(odd(_made("BGNBDModel"), _made("BGBBModel"))), data.draw(RFM_FRAME)),
        _draw_kwargs(data, {"max_frequency": odd(7, 1, 0, sizes=True)}),
    ),
    # plotting and data sets
    "plotting.plot_nps": lambda data: (
        plotting.plot_nps,
        (data.draw(odd(_made("NPSResult"), _made("SegmentBreakdown"), _made("CSATResult"), [])),),
        _draw_kwargs(
            data,
            {
                "overall": odd(None, _made("NPSResult")),
                "confidence_level": odd(None, *EDGE_LEVELS),
                "method": odd(None, "wald", "bootstrap"),
                "n_resamples": RESAMPLES,
                "rng": RNG,
            },
        ),
    ),
    "plotting.plot_score_distribution": lambda data: (
        plotting.plot_score_distribution,
        (
            data.draw(
                odd(
                    _made("NPSResult"),
                    _made("CSATResult"),
                    _made("CESResult"),
                    _made("SegmentBreakdown"),
                    [_made("NPSResult"), _made("NPSResult")],
                    [],
                )
            ),
        ),
        {},
    ),
    "plotting.plot_survival": lambda data: (
        plotting.plot_survival,
        (data.draw(odd(_made("SurvivalCurve"), _made("SurvivalCurves"))),),
        _draw_kwargs(data, {"label": odd(None, "x", "")}),
    ),
    "plotting.plot_lorenz": lambda data: (
        plotting.plot_lorenz,
        (data.draw(odd(_made("ValueConcentration"))),),
        _draw_kwargs(data, {"label": odd(None, "x")}),
    ),
    "plotting.plot_cohort_heatmap": lambda data: (
        plotting.plot_cohort_heatmap,
        (
            data.draw(
                odd(
                    lm.cohort_retention(
                        pd.DataFrame(
                            {
                                "c": [1, 1, 2],
                                "t": pd.to_datetime(["2020-01-01", "2020-02-03", "2020-01-09"]),
                            }
                        ),
                        customer="c",
                        time="t",
                    )
                )
            ),
        ),
        _draw_kwargs(
            data, {"annotate": odd(None, True, False), "cmap": odd("Blues", "no-such-map")}
        ),
    ),
    "plotting.plot_holdout": lambda data: (
        plotting.plot_holdout,
        (data.draw(odd(_made("SBGModel"))),),
        {},
    ),
    "datasets.simulate_bgnbd": _call(
        datasets.simulate_bgnbd,
        [odd(20, 0, 1, sizes=True)],
        {
            "r": odd(0.5),
            "alpha": odd(2.0),
            "a": odd(0.6),
            "b": odd(2.5),
            "T": odd(30.0, [1.0, 2.0], 0.0),
            "rng": RNG,
        },
    ),
    "datasets.simulate_mbgnbd": _call(
        datasets.simulate_mbgnbd,
        [odd(20, 0, sizes=True)],
        {
            "r": odd(0.5),
            "alpha": odd(2.0),
            "a": odd(0.6),
            "b": odd(2.5),
            "T": odd(30.0, 0.0),
            "rng": RNG,
        },
    ),
    "datasets.simulate_pareto_nbd": _call(
        datasets.simulate_pareto_nbd,
        [odd(20, 0, sizes=True)],
        {
            "r": odd(0.5),
            "alpha": odd(2.0),
            "s": odd(0.6),
            "beta": odd(2.5),
            "T": odd(30.0, 0.0),
            "rng": RNG,
        },
    ),
    "datasets.simulate_bgbb": _call(
        datasets.simulate_bgbb,
        [odd(20, 0, sizes=True)],
        {
            "alpha": odd(1.2),
            "beta": odd(0.8),
            "gamma": odd(0.6),
            "delta": odd(2.0),
            "n_periods": odd(6, 0, 1, sizes=True),
            "rng": RNG,
        },
    ),
    "datasets.simulate_gamma_gamma": _call(
        datasets.simulate_gamma_gamma,
        [numbers(1, 5)],
        {"p": odd(6.0), "q": odd(4.0), "v": odd(15.0), "rng": RNG},
    ),
    "datasets.load_survey": _call(
        datasets.load_survey, [], {"as_frame": odd(None, "pandas", "polars", "x")}
    ),
    "datasets.load_transactions": _call(
        datasets.load_transactions, [], {"as_frame": odd(None, "pandas", "polars")}
    ),
    # methods of results and models
    "NPSResult.confidence_interval": _method(
        "NPSResult",
        "confidence_interval",
        [LEVEL],
        {
            "method": odd("adjusted-wald", "wald", "bootstrap", "bca", "percentile", "bayes", "x"),
            "n_resamples": RESAMPLES,
            "rng": RNG,
            "prior": odd((1.0, 1.0, 1.0), (0.0, 0.0, 0.0), (1.0, 1.0)),
        },
    ),
    "CSATResult.confidence_interval": _method(
        "CSATResult",
        "confidence_interval",
        [LEVEL],
        {
            "method": odd(
                "wilson", "wald", "agresti-coull", "jeffreys", "clopper-pearson", "bootstrap", "x"
            ),
            "n_resamples": RESAMPLES,
            "rng": RNG,
        },
    ),
    "CESResult.confidence_interval": _method(
        "CESResult",
        "confidence_interval",
        [LEVEL],
        {
            "method": odd(None, "t", "wilson", "bootstrap", "bca"),
            "of": odd("mean", "share", "x"),
            "n_resamples": RESAMPLES,
            "rng": RNG,
        },
    ),
    "NPSResult.test": _method(
        "NPSResult",
        "test",
        [odd(30, -100, 100, 0.5, -30.0)],
        {
            "alternative": ALTERNATIVE,
            "method": odd(
                None, "adjusted-wald", "wald", "score", "bayes", "percentile", "basic", "bca", "x"
            ),
            "n_resamples": RESAMPLES,
            "rng": RNG,
            "prior": odd((1.0, 1.0, 1.0), (0.5, 0.5, 0.5), (0.0, 0.0, 0.0), (1.0, 1.0)),
            "engine": odd("count", "scipy", "x"),
        },
    ),
    "CSATResult.test": _method(
        "CSATResult",
        "test",
        [odd(75, 0, 100, 50.5, 0.75)],
        {
            "alternative": ALTERNATIVE,
            "method": odd(
                None,
                "wilson",
                "wald",
                "agresti-coull",
                "jeffreys",
                "exact",
                "percentile",
                "bca",
                "clopper-pearson",
                "t",
            ),
            "n_resamples": RESAMPLES,
            "rng": RNG,
            "engine": odd("count", "scipy", "x"),
        },
    ),
    "CESResult.test": _method(
        "CESResult",
        "test",
        [odd(5, 1, 7, 4.5, 70, 100)],
        {
            "alternative": ALTERNATIVE,
            "method": odd(None, "t", "wilson", "exact", "basic", "bca"),
            "of": odd("mean", "agree_share", "share"),
            "n_resamples": RESAMPLES,
            "rng": RNG,
            "engine": odd("count", "scipy", "x"),
        },
    ),
    "MeanResult.confidence_interval": _method(
        "MeanResult",
        "confidence_interval",
        [LEVEL],
        {"method": odd("t", "bootstrap", "bca", "x"), "n_resamples": RESAMPLES, "rng": RNG},
    ),
    "NPSComparison.confidence_interval": _method(
        "NPSComparison",
        "confidence_interval",
        [odd(None, *EDGE_LEVELS)],
        {
            "method": odd(None, "wald", "percentile", "bca", "x"),
            "n_resamples": odd(None, 2, 19, sizes=True),
            "rng": RNG,
        },
    ),
    "CSATComparison.confidence_interval": _method(
        "CSATComparison",
        "confidence_interval",
        [odd(None, *EDGE_LEVELS)],
        {
            "method": odd(None, "wald", "basic", "x"),
            "n_resamples": odd(None, 2, 19, sizes=True),
            "rng": RNG,
        },
    ),
    "CESComparison.confidence_interval": _method(
        "CESComparison",
        "confidence_interval",
        [odd(None, *EDGE_LEVELS)],
        {
            "method": odd(None, "welch", "bca", "x"),
            "n_resamples": odd(None, 2, 19, sizes=True),
            "rng": RNG,
        },
    ),
    "RestrictedMean.confidence_interval": _method(
        "RestrictedMean",
        "confidence_interval",
        [odd(None, *EDGE_LEVELS)],
        {"method": odd(None, "normal", "x")},
    ),
    "RestrictedMeanComparison.confidence_interval": _method(
        "RestrictedMeanComparison",
        "confidence_interval",
        [odd(None, *EDGE_LEVELS)],
        {
            "method": odd(None, "normal", "x"),
            "n_resamples": odd(None, 19, sizes=True),
            "rng": odd(None, 0),
        },
    ),
    "SBGModel.survival": _method("SBGModel", "survival", [numbers(0, 10)], {}),
    "SBGModel.retention_rate": _method("SBGModel", "retention_rate", [numbers(0, 10)], {}),
    "SBGModel.derl": _method("SBGModel", "derl", [odd(0.1, 0.0, -1.0), odd(0, 3, -1)], {}),
    "SurvivalCurve.survival_at": _method("SurvivalCurve", "survival_at", [numbers(0, 10)], {}),
    "SurvivalCurve.median_confidence_interval": _method(
        "SurvivalCurve", "median_confidence_interval", [], {}
    ),
    "SurvivalCurve.restricted_mean": _method(
        "SurvivalCurve",
        "restricted_mean",
        [odd(5.0, 0.0, 100.0)],
        {"confidence_level": odd(None, *EDGE_LEVELS)},
    ),
    "SurvivalCurves.summary": _method("SurvivalCurves", "summary", [], {"backend": BACKEND}),
    "SurvivalCurves.restricted_mean": _method(
        "SurvivalCurves",
        "restricted_mean",
        [odd(5.0, 0.0, 100.0)],
        {"backend": BACKEND, "confidence_level": odd(None, *EDGE_LEVELS)},
    ),
    "SurvivalCurves.logrank_test": _method(
        "SurvivalCurves",
        "logrank_test",
        [],
        {"weights": odd("logrank", "fleming-harrington"), "rho": odd(None, 0.0, 1.0)},
    ),
    "SurvivalCurves.compare_restricted_means": _method(
        "SurvivalCurves",
        "compare_restricted_means",
        [odd(5.0, 0.0), odd("a", "b", "c"), odd("b", "a")],
        {"alternative": ALTERNATIVE, "confidence_level": odd(None, *EDGE_LEVELS)},
    ),
    "ValueConcentration.lorenz_curve": _method(
        "ValueConcentration", "lorenz_curve", [odd(101, 2, 1, 0, sizes=True)], {"backend": BACKEND}
    ),
    "GammaGammaModel.expected_spend": _method(
        "GammaGammaModel", "expected_spend", [numbers(0, 5), numbers(0, 1e308)], {}
    ),
    "SegmentBreakdown.to_dict": _method("SegmentBreakdown", "to_dict", [], {}),
    "ConfidenceInterval.to_dict": lambda data: (
        data.draw(
            st.sampled_from([lm.ConfidenceInterval(0.1, 0.2), lm.ConfidenceInterval(NAN, INF)])
        ).to_dict,
        (),
        {},
    ),
    "OverTime.to_dict": _method("OverTime", "to_dict", [], {}),
    "OverTime.trend": _method(
        "OverTime",
        "trend",
        [],
        {
            "confidence_level": odd(None, *EDGE_LEVELS),
            "alternative": ALTERNATIVE,
            "method": odd("hc3", "hc0", "classical", "x"),
        },
    ),
    "CohortTable.confidence_interval": _method(
        "CohortTable",
        "confidence_interval",
        [LEVEL],
        {"method": odd("wilson", "wald", "agresti-coull", "jeffreys", "exact", "x")},
    ),
    "SegmentCohorts.table": _method("SegmentCohorts", "table", [odd("x", "y", "z", None)], {}),
    "over_time": _call(
        lm.over_time,
        [TRANSACTIONS],
        {
            "score": KEYS,
            "time": KEYS,
            "metric": odd("nps", "csat", "ces", "share", "mean"),
            "period": PERIOD,
            "by": odd(None, "c", "missing"),
            "window": odd(None, 1, 2, 0, -1),
            "compare": odd("previous", "first", None, "2021-01-01", "x"),
            "correction": odd("holm", None, "x"),
            "confidence_level": LEVEL,
            "method": odd(None, "percentile", "bca"),
            "n_resamples": RESAMPLES,
            "rng": RNG,
            "engine": odd("count", "scipy"),
        },
    ),
    "expected_repeat_transactions": lambda data: (
        lm.expected_repeat_transactions,
        (
            data.draw(odd(_made("BGNBDModel"), _made("ParetoNBDModel"), _made("BGBBModel"))),
            data.draw(numbers(0, 10)),
        ),
        {"times": data.draw(numbers(0, 20))},
    ),
    "actual_repeat_transactions": _call(
        lm.actual_repeat_transactions, [ids(), numbers(0, 20)], {"times": numbers(0, 20)}
    ),
    "plotting.plot_trend": lambda data: (
        plotting.plot_trend,
        (data.draw(odd(_made("OverTime"), _made("SegmentBreakdown"))),),
        {},
    ),
    "plotting.plot_tracking": _call(
        plotting.plot_tracking,
        [numbers(0, 20), numbers(0, 20)],
        {"incremental": odd(False, True), "calibration_end": odd(None, 5.0, -1.0)},
    ),
    "plotting.plot_purchase_counts": lambda data: (
        plotting.plot_purchase_counts,
        (_made("BGNBDModel"), data.draw(numbers(0, 5)), data.draw(numbers(0, 10))),
        _draw_kwargs(data, {"max_purchases": odd(7, 1, 0, sizes=True)}),
    ),
    "plotting.plot_probability_alive_matrix": lambda data: (
        plotting.plot_probability_alive_matrix,
        (data.draw(odd(_made("BGNBDModel"), _made("ParetoNBDModel"))),),
        _draw_kwargs(
            data,
            {
                "T": odd(30.0, 0.0, -1.0),
                "max_frequency": odd(20, 1, 0, sizes=True),
                "max_recency": odd(None, 10.0, -1.0),
            },
            plotting.plot_probability_alive_matrix,
        ),
    ),
    "plotting.plot_expected_purchases_matrix": lambda data: (
        plotting.plot_expected_purchases_matrix,
        (data.draw(odd(_made("BGNBDModel"), _made("MBGNBDModel"))),),
        _draw_kwargs(
            data,
            {
                "t": odd(10.0, 0.0, -1.0),
                "T": odd(30.0, 0.0, -1.0),
                "max_frequency": odd(20, 1, 0, sizes=True),
                "max_recency": odd(None, 10.0, -1.0),
            },
            plotting.plot_expected_purchases_matrix,
        ),
    ),
}
for _model in ("BGNBDModel", "MBGNBDModel", "ParetoNBDModel", "BGBBModel"):
    TARGETS[f"{_model}.probability_alive"] = _method(
        _model, "probability_alive", [numbers(0, 5), numbers(0, 10), numbers(0, 10)], {}
    )
    TARGETS[f"{_model}.expected_purchases"] = _method(
        _model,
        "expected_purchases",
        [numbers(0, 10), numbers(0, 5), numbers(0, 10), numbers(0, 10)],
        {},
    )
    TARGETS[f"{_model}.expected_purchases_new"] = _method(
        _model, "expected_purchases_new", [numbers(0, 10)], {}
    )
    TARGETS[f"{_model}.probability_of_purchases"] = _method(
        _model, "probability_of_purchases", [numbers(0, 5), numbers(0, 10)], {}
    )

# Fits and bootstraps cost more per call than a tally: fewer examples keep the module
# inside its CI budget.
SLOW = {
    "fit_bgnbd",
    "fit_mbgnbd",
    "fit_pareto_nbd",
    "fit_bgbb",
    "fit_gamma_gamma",
    "predicted_clv",
    "holdout_check",
    "by_segment",
    "cohort_retention",
    "customer_durations",
    "rfm_summary",
    "historical_clv",
    "over_time",
    "expected_repeat_transactions",
    "datasets.load_survey",
    "datasets.load_transactions",
}
SLOW |= {name for name in TARGETS if name.startswith("plotting.")}
NOT_CALLABLE_API = {"__version__", "ConvergenceWarning"}  # a string and a warning category


def public_callables() -> set[str]:
    """Every public function and public method of a public class, found from ``__all__``."""
    found: set[str] = set()
    for module, prefix in ((lm, ""), (plotting, "plotting."), (datasets, "datasets.")):
        for name in module.__all__:
            if name in NOT_CALLABLE_API:
                continue
            value = getattr(module, name)
            if inspect.isclass(value):
                found |= {
                    f"{prefix}{name}.{attr}"
                    for attr, member in vars(value).items()
                    if not attr.startswith("_") and inspect.isfunction(member)
                }
            elif callable(value):
                found.add(prefix + name)
    return found


def test_every_public_callable_is_fuzzed() -> None:
    missing = public_callables() - set(TARGETS)
    assert not missing, f"public callables with no fuzz strategy: {sorted(missing)}"


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_hostile_input(target: str) -> None:
    budget = 25 if target in SLOW else 100

    @settings(
        max_examples=budget,
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(st.data())
    def run(data: st.DataObject) -> None:
        CURRENT["target"] = target
        function, args, kwargs = TARGETS[target](data)
        check_call(function, *args, **kwargs)

    run()


@pytest.mark.parametrize("npartitions", [1, 3])
def test_dask_frames_with_empty_partitions_and_aware_times(npartitions: int) -> None:
    dd = pytest.importorskip("dask.dataframe")
    times = pd.to_datetime(
        ["2020-01-01 23:30", "2020-02-03 00:00", "2020-01-09 12:00", "2020-03-01 01:00"]
    )
    for zone in (None, "UTC", "Asia/Kolkata", "America/St_Johns", "Pacific/Chatham"):
        frame = pd.DataFrame(
            {
                "c": [1, 1, 2, None],
                "t": times.tz_localize(zone) if zone else times,
                "v": [1.0, 2.0, 3.0, 4.0],
                "s": [9, 10, 3, 7],
                "g": ["a", None, "b", "b"],
            }
        )
        lazy = dd.from_pandas(frame, npartitions=npartitions)
        lazy = lazy[lazy["v"] > 1.5]  # the first partition loses its rows
        check_call(lm.cohort_retention, lazy, customer="c", time="t")
        check_call(lm.rfm_summary, lazy, customer="c", time="t", value="v")
        check_call(lm.by_segment, lazy, score="s", by="g", min_n=1, n_resamples=20, rng=0)
        check_call(lm.customer_durations, lazy, customer="c", time="t", churn_after=30)


# ---------------------------------------------------------------------------
# DuckDB relations and PySpark DataFrames: null keys, no rows, duplicated names.
# A handful of fixed cases per engine (a Spark job costs about a second each).

_LAZY_LOG = pd.DataFrame(
    {
        "c": [1.0, 1.0, 2.0, None, 3.0],
        "t": pd.to_datetime(["2020-01-01", "2020-02-03", "2020-01-09", "2020-03-01", "2020-02-11"]),
        "v": [1.0, 2.0, None, 4.0, 5.0],
        "s": [9.0, 10.0, 3.0, 7.0, None],
        "g": ["a", None, "b", "b", "a"],
    }
)
_LAZY_CALLS: tuple[tuple[Callable[..., Any], dict[str, object]], ...] = (
    (lm.cohort_retention, {"customer": "c", "time": "t", "by": "g"}),
    (lm.rfm_summary, {"customer": "c", "time": "t", "value": "v"}),
    (lm.historical_clv, {"customer": "c", "time": "t", "value": "v"}),
    (lm.customer_durations, {"customer": "c", "time": "t", "churn_after": 30}),
    (lm.by_segment, {"score": "s", "by": "g", "min_n": 1, "n_resamples": 20, "rng": 0}),
    (lm.over_time, {"score": "s", "time": "t", "n_resamples": 20, "rng": 0}),
)
_LAZY_SHAPES = ("null keys", "no rows", "duplicated names")
spark = _spark_tests.spark  # the Spark session fixture of the engine tests, shared


def _duckdb_relation(frame: pd.DataFrame, shape: str) -> object:
    duckdb = pytest.importorskip("duckdb")
    import pyarrow as pa

    relation = duckdb.connect().from_arrow(pa.Table.from_pandas(frame, preserve_index=False))
    if shape == "no rows":
        return relation.filter("v > 1000")
    if shape == "duplicated names":
        return relation.query("x", "select c, t, v, s, g, g as c from x")
    return relation


def _spark_frame(session: Any, frame: pd.DataFrame, shape: str) -> object:
    spark_frame = session.createDataFrame(frame)
    if shape == "no rows":
        return spark_frame.filter("v > 1000")
    if shape == "duplicated names":
        return spark_frame.select("c", "t", "v", "s", "g", spark_frame["g"].alias("c"))
    return spark_frame


@pytest.mark.parametrize("shape", _LAZY_SHAPES)
def test_duckdb_relations_with_null_keys_no_rows_and_duplicated_names(shape: str) -> None:
    for function, kwargs in _LAZY_CALLS:
        check_call(function, _duckdb_relation(_LAZY_LOG, shape), **kwargs)


@pytest.mark.skipif(shutil.which("java") is None, reason="PySpark needs a Java runtime")
def test_pyspark_frames_with_null_keys_no_rows_and_duplicated_names(
    request: pytest.FixtureRequest,
) -> None:
    spark = request.getfixturevalue("spark")
    for shape in _LAZY_SHAPES:
        for function, kwargs in _LAZY_CALLS:
            check_call(function, _spark_frame(spark, _LAZY_LOG, shape), **kwargs)
    # A valid log gives the numbers pandas gives (durations in Spark go through
    # calendar fields, having no duration type to total).
    # Odd times of day, added in numpy with explicit units (numpy 2.5 deprecates
    # the generic timedelta unit pandas' own addition can reach).
    odd_time = np.timedelta64(5 * 3_600_000 + 7 * 60_000 + 3_250, "ms")
    valid = _LAZY_LOG.dropna().assign(
        t=lambda f: f["t"].to_numpy(dtype="datetime64[ns]") + odd_time
    )
    on_spark = lm.customer_durations(
        _spark_frame(spark, valid, ""), customer="c", time="t", churn_after=30
    )
    on_pandas = lm.customer_durations(valid, customer="c", time="t", churn_after=30)
    spark_table = pd.DataFrame(on_spark.to_pydict()).sort_values("c", ignore_index=True)  # type: ignore[attr-defined]
    pandas_table = on_pandas.sort_values("c", ignore_index=True)
    np.testing.assert_array_equal(spark_table["duration"], pandas_table["duration"])
    np.testing.assert_array_equal(spark_table["churned"], pandas_table["churned"])


def test_mutation_snapshot_tells_changes_apart() -> None:
    """The mutation snapshot tells changed content apart and keeps NaN equal to itself."""
    values = np.array([1.0, NAN])
    before = _fingerprint(values)
    assert _fingerprint(values.copy()) == before
    values[0] = 2.0
    assert _fingerprint(values) != before


def test_zz_report_call_count(
    request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    """Runs last in this module: prints how many calls the module made."""
    with capsys.disabled():
        print(f"\ntest_fuzz: {CALLS['n']} calls of public callables")
    fuzzed = [item for item in request.session.items if "test_hostile_input" in item.nodeid]
    if fuzzed:
        assert CALLS["n"] >= len(fuzzed), "the hostile-input tests made no calls"
