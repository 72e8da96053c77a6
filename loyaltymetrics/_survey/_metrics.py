"""The registry of survey metrics: what every breakdown, the CLI and the plots know of a metric.

A metric is one :class:`MetricDefinition`: its display name, default answer
scale, the name of its estimate, the interval and comparison methods it has
(and their defaults), its reporting factor and bounds, the options a breakdown
accepts, and how it configures itself from them. Configuring gives a
:class:`Metric`: the map from scale points to cell labels, and the batch
interval and comparison functions of the weighted-mean engine, on the scale
the metric is reported on. :func:`by_segment` (and any breakdown over groups:
segments, periods or both) reads only this, so adding a metric is adding one
entry to :data:`METRICS` (see the architecture page of the docs).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from loyaltymetrics._engine._cells import CellTable
from loyaltymetrics._engine._intervals import BOOTSTRAP_METHODS, RandomSource
from loyaltymetrics._engine._means import Difference, Interval
from loyaltymetrics._engine._validation import (
    NanPolicy,
    check_choice,
    check_nan_policy,
    check_positive_vector,
    check_scale,
    check_scale_range,
)
from loyaltymetrics._survey._nps import NPS_SCALE, SCORE_BAND, NPSResult, nps
from loyaltymetrics._survey._nps_inference import (
    DIFFERENCE_METHODS,
    NPS_METHODS,
    nps_difference,
    nps_interval,
    nps_interval_and_difference,
)
from loyaltymetrics._survey._satisfaction import (
    CES_DEFAULTS,
    CES_VERSIONS,
    CSAT_SATISFIED,
    CSAT_SCALE,
    CESResult,
    CSATResult,
    ces,
    csat,
)
from loyaltymetrics._survey._scale_inference import (
    MEAN_DIFFERENCE_METHODS,
    MEAN_METHODS,
    SHARE_DIFFERENCE_METHODS,
    SHARE_METHODS,
    mean_difference,
    mean_interval,
    scale_interval_and_difference,
    share_difference,
    share_interval,
)

__all__ = [
    "METRICS",
    "Metric",
    "MetricDefinition",
    "MetricName",
    "definition",
    "definition_of_result",
    "rating_metric",
    "register",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
MetricName = Literal["nps", "csat", "ces", "share", "mean"]
#: ``interval(cells, method, confidence_level, n_resamples, rng)``.
IntervalOf = Callable[[CellTable, str, float, int, RandomSource], Interval]
#: ``difference(a, b, method, confidence_level, n_resamples, rng)``, two-sided.
DifferenceOf = Callable[[CellTable, CellTable, str, float, int, RandomSource], Difference]
#: Interval of a and its comparison with b from one set of a's resamples.
JointOf = Callable[
    [CellTable, CellTable, str, float, int, RandomSource], tuple[Interval, Difference]
]


@dataclass(frozen=True)
class Metric:
    """A configured metric: everything a breakdown needs to reduce and infer.

    ``interval``, ``difference`` and ``joint`` return the metric's native
    scale; ``factor`` maps it to the reported scale and ``difference_bound``
    clips reported differences.
    """

    name: str
    display_name: str
    scale: tuple[int, int]
    cell_of_point: IntArray  # scale-point index -> cell label
    estimate: str
    factor: float
    difference_bound: float
    methods: tuple[str, ...]
    default_method: str
    difference_methods: tuple[str, ...]
    default_difference_method: str
    nan_policy: NanPolicy
    interval: IntervalOf
    difference: DifferenceOf
    joint: JointOf
    #: The value each cell label averages to, on the reported scale (NPS
    #: -100/0/100, a share's 0/100, a mean's answer): a respondent's value in a
    #: regression such as the trend over periods. Empty when not given.
    cell_value: FloatArray = field(default_factory=lambda: np.zeros(0))
    #: For the mean of a real-valued column: given the sorted distinct values
    #: of the data, return the metric whose cell labels index them. None for
    #: a metric of scale points.
    bind: Callable[[FloatArray], Metric] | None = None
    #: Whether the score column may be boolean (read as 0/1).
    accepts_boolean: bool = False
    #: Whether breakdowns also report the total, weight total x estimate.
    reports_total: bool = False
    #: Whether a higher answer is better (False for the original CES): the
    #: order of the answers in a plot of their distribution.
    higher_is_better: bool = True
    #: Bound the reported interval is clipped to (``[-bound, bound]``), if any.
    interval_bound: float | None = None

    @property
    def n_cells(self) -> int:
        return int(self.cell_of_point.max()) + 1

    def choose(self, method: object) -> tuple[str, str]:
        """Return the interval method (default when None) and its comparison method.

        The comparison uses the same method where it has it, else its default.
        """
        chosen = check_choice(
            self.default_method if method is None else method, name="method", choices=self.methods
        )
        paired = chosen if chosen in self.difference_methods else self.default_difference_method
        return chosen, paired

    @staticmethod
    def is_bootstrap(method: str) -> bool:
        return method in BOOTSTRAP_METHODS

    def report(self, interval: Interval) -> Interval:
        """Return an interval on the reported scale."""
        factor = self.factor
        return Interval(factor * interval.estimate, factor * interval.low, factor * interval.high)

    def report_difference(self, difference: Difference) -> Difference:
        """Return a comparison on the reported scale, its limits clipped to ``difference_bound``."""
        factor, bound = self.factor, self.difference_bound
        return difference._replace(
            difference=factor * difference.difference,
            low=np.clip(factor * difference.low, -bound, bound),
            high=np.clip(factor * difference.high, -bound, bound),
        )


@dataclass(frozen=True)
class MetricDefinition:
    """One entry of the registry.

    Attributes
    ----------
    name, display_name, title
        The name users pass (``metric="nps"``), the short label of tables and
        plots, and a one-line description.
    scale
        The default answer scale, inclusive.
    estimate
        The result attribute and table column of the headline number.
    digits
        Decimals the CLI shows.
    options
        Metric options a breakdown accepts.
    configure
        Validates the options and returns the :class:`Metric`.
    summarise
        The single-group public function of raw scores (``nps``, ``csat``,
        ``ces``), called as ``summarise(scores, weights=..., nan_policy=...)``
        by the command line; None for a metric that only breakdowns know.
    details
        ``(result attribute, label)`` of further figures a report shows: shares
        in 0..1 shown as percentages, a mean shown on the answer scale.
    result_type
        The class of ``summarise``'s result.
    axis_labels
        Plot axis label of each estimate column the metric can report.
    annotation
        Format of a result's headline in plots (applied to ``estimate``).
    """

    name: str
    display_name: str
    title: str
    scale: tuple[int, int]
    estimate: str
    digits: int
    options: tuple[str, ...]
    configure: Callable[[Mapping[str, object]], Metric]
    summarise: Callable[..., Any] | None = None
    result_type: type | None = None
    details: tuple[tuple[str, str], ...] = ()
    axis_labels: Mapping[str, str] = field(default_factory=dict)
    annotation: str = "{:.1f}"

    @property
    def default_method(self) -> str:
        """Return the interval method of the metric with its default options."""
        return self.configure({}).default_method

    def metric(self, options: Mapping[str, object]) -> Metric:
        """Return the configured metric; a TypeError names an option it does not have."""
        unknown = sorted(set(options) - set(self.options))
        if unknown:
            raise TypeError(
                f"unexpected option {unknown[0]!r} for metric={self.name!r}; "
                f"its options are: {', '.join(self.options)}"
            )
        return self.configure(options)


@dataclass(frozen=True)
class BoundInference:
    """The registry's three inference callables of one metric, with its options bound.

    ``options`` go to every function, ``interval_options`` to the interval
    only (the NPS prior), ``difference_options`` to the difference only.
    """

    interval_of: Callable[..., Interval]
    difference_of: Callable[..., Difference]
    joint_of: Callable[..., tuple[Interval, Difference]]
    options: Mapping[str, Any] = field(default_factory=dict)
    interval_options: Mapping[str, Any] = field(default_factory=dict)
    difference_options: Mapping[str, Any] = field(default_factory=dict)

    def _settings(self, method: str, level: float, resamples: int, rng: Any) -> dict[str, Any]:
        return {
            "confidence_level": level,
            "method": method,
            "n_resamples": resamples,
            "rng": rng,
            **self.options,
        }

    def interval(
        self, cells: CellTable, method: str, level: float, resamples: int, rng: Any
    ) -> Interval:
        settings = self._settings(method, level, resamples, rng)
        return self.interval_of(cells, **settings, **self.interval_options)

    def difference(
        self, a: CellTable, b: CellTable, method: str, level: float, resamples: int, rng: Any
    ) -> Difference:
        settings = self._settings(method, level, resamples, rng)
        return self.difference_of(a, b, **settings, **self.difference_options)

    def joint(
        self, a: CellTable, b: CellTable, method: str, level: float, resamples: int, rng: Any
    ) -> tuple[Interval, Difference]:
        return self.joint_of(a, b, **self._settings(method, level, resamples, rng))

    def callables(self) -> dict[str, Any]:
        """Return the ``interval``, ``difference`` and ``joint`` fields of a :class:`Metric`."""
        return {"interval": self.interval, "difference": self.difference, "joint": self.joint}


def _nps(options: Mapping[str, object]) -> Metric:
    prior = check_positive_vector(options.get("prior", (1.0, 1.0, 1.0)), name="prior", size=3)

    inference = BoundInference(
        nps_interval,
        nps_difference,
        nps_interval_and_difference,
        interval_options={"prior": prior},
        difference_options={"alternative": "two-sided"},
    )
    return Metric(
        name="nps",
        display_name="NPS",
        scale=NPS_SCALE,
        cell_of_point=SCORE_BAND,
        estimate="score",
        factor=1.0,
        difference_bound=200.0,
        methods=NPS_METHODS,
        default_method="adjusted-wald",
        difference_methods=DIFFERENCE_METHODS,
        default_difference_method="adjusted-wald",
        nan_policy=check_nan_policy(options.get("nan_policy", "raise")),
        **inference.callables(),
        cell_value=np.array([-100.0, 0.0, 100.0]),
        interval_bound=100.0,
    )


def rating_metric(
    name: str,
    display_name: str,
    *,
    scale: tuple[int, int],
    in_range: tuple[int, int] | None,
    nan_policy: NanPolicy,
) -> Metric:
    """Return a rating-scale metric: the share of ``in_range`` on 0..100, or the mean if None.

    The share is CSAT or the CES agree share; the mean is the CES mean, on
    the answer scale. Differences are clipped as ``compare_csat`` and
    ``compare_ces`` report them: to 100 points, or to the scale's width.
    """
    options: dict[str, Any]
    if in_range is None:
        interval_of, difference_of = mean_interval, mean_difference
        options = {"offset": float(scale[0])}
    else:
        interval_of, difference_of = share_interval, share_difference  # type: ignore[assignment]
        options = {"in_range": (in_range[0] - scale[0], in_range[1] - scale[0])}

    inference = BoundInference(interval_of, difference_of, scale_interval_and_difference, options)

    share = in_range is not None
    points = np.arange(scale[1] - scale[0] + 1, dtype=np.float64)
    cell_value: FloatArray = points + scale[0]
    if in_range is not None:
        first, last = in_range[0] - scale[0], in_range[1] - scale[0]
        cell_value = np.where((points >= first) & (points <= last), 100.0, 0.0)
    return Metric(
        name=name,
        display_name=display_name,
        scale=scale,
        cell_of_point=np.arange(scale[1] - scale[0] + 1, dtype=np.int64),
        estimate="score" if share else "mean",
        factor=100.0 if share else 1.0,
        difference_bound=100.0 if share else float(scale[1] - scale[0]),
        methods=SHARE_METHODS if share else MEAN_METHODS,
        default_method="wilson" if share else "t",
        difference_methods=SHARE_DIFFERENCE_METHODS if share else MEAN_DIFFERENCE_METHODS,
        default_difference_method="newcombe" if share else "welch",
        nan_policy=nan_policy,
        **inference.callables(),
        cell_value=cell_value,
    )


def _csat(options: Mapping[str, object]) -> Metric:
    scale = check_scale(options.get("scale", CSAT_SCALE))
    satisfied = check_scale_range(
        options.get("satisfied", CSAT_SATISFIED), name="satisfied", scale=scale
    )
    nan_policy = check_nan_policy(options.get("nan_policy", "raise"))
    return rating_metric("csat", "CSAT", scale=scale, in_range=satisfied, nan_policy=nan_policy)


def _ces(options: Mapping[str, object]) -> Metric:
    version = check_choice(options.get("version", "2.0"), name="version", choices=CES_VERSIONS)
    default_scale, default_agree = CES_DEFAULTS[version]
    scale = check_scale(options.get("scale") or default_scale)
    of = check_choice(options.get("of", "mean"), name="of", choices=("mean", "agree_share"))
    nan_policy = check_nan_policy(options.get("nan_policy", "raise"))
    agree = None
    if of == "agree_share":
        agree = check_scale_range(options.get("agree") or default_agree, name="agree", scale=scale)
    configured = rating_metric("ces", "CES", scale=scale, in_range=agree, nan_policy=nan_policy)
    return replace(configured, higher_is_better=version == "2.0")


#: The registry: metric name -> definition.
METRICS: dict[str, MetricDefinition] = {}


def register(definition: MetricDefinition) -> MetricDefinition:
    """Add ``definition`` to the registry (replacing an entry of the same name)."""
    METRICS[definition.name] = definition
    return definition


register(
    MetricDefinition(
        name="nps",
        display_name="NPS",
        title="Net Promoter Score",
        scale=NPS_SCALE,
        estimate="score",
        digits=1,
        options=("nan_policy", "prior"),
        configure=_nps,
        summarise=nps,
        result_type=NPSResult,
        axis_labels={"score": "Net Promoter Score (-100 to 100)"},
        annotation="NPS {:+.0f}",
        details=(
            ("detractor_share", "detractors"),
            ("passive_share", "passives"),
            ("promoter_share", "promoters"),
        ),
    )
)
register(
    MetricDefinition(
        name="csat",
        display_name="CSAT",
        title="Customer satisfaction (CSAT: % answering 4-5)",
        scale=CSAT_SCALE,
        estimate="score",
        digits=1,
        options=("scale", "satisfied", "nan_policy"),
        configure=_csat,
        summarise=csat,
        result_type=CSATResult,
        axis_labels={"score": "CSAT (% satisfied)"},
        annotation="CSAT {:.0f}",
        details=(("mean", "mean"),),
    )
)
register(
    MetricDefinition(
        name="ces",
        display_name="CES",
        title="Customer effort score (CES 2.0: mean on 1-7, higher is easier)",
        scale=CES_DEFAULTS["2.0"][0],
        estimate="mean",
        digits=2,
        options=("scale", "agree", "version", "of", "nan_policy"),
        configure=_ces,
        summarise=ces,
        result_type=CESResult,
        axis_labels={"score": "CES (% agreeing)", "mean": "CES (mean answer)"},
        annotation="CES {:.2f}",
        details=(("agree_share", "agree (5-7)"),),
    )
)


# The generic metrics of any customer-level column register themselves here.
from loyaltymetrics._survey import _generic_metrics as _generic_metrics  # noqa: E402


def definition_of_result(result: object) -> MetricDefinition:
    """Return the registered definition whose ``summarise`` returns results like ``result``."""
    for entry in METRICS.values():
        if entry.result_type is not None and isinstance(result, entry.result_type):
            return entry
    raise TypeError(f"no registered metric has results of type {type(result).__name__}")


def definition(metric: object) -> MetricDefinition:
    """Return the registered definition of ``metric``; a naming error for an unknown one."""
    return METRICS[check_choice(metric, name="metric", choices=tuple(METRICS))]
