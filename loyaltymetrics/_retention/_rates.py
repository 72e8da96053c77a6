"""Period retention and churn, repeat purchase, purchase frequency, order value.

Definitions (all shares in [0, 1]):

* retention rate = (customers at the end of the period − customers acquired
  during it) / customers at the start, the customer retention rate of
  Kumar & Reinartz (*Customer Relationship Management*, 2nd ed., 2012) and of
  most CRM texts; churn rate = 1 − retention rate;
* repeat purchase rate = customers with at least two orders / customers;
* purchase frequency = orders / customers;
* average order value = total order value / orders.

The sufficient statistics are small: (start, end, new) for the period rates,
and the number of customers with k orders for every k for the order-count
metrics. Intervals come from the shared interval engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from loyaltymetrics._engine._cells import CellTable
from loyaltymetrics._engine._intervals import (
    BOOTSTRAP_METHODS,
    PROPORTION_METHODS,
    proportion_interval,
)
from loyaltymetrics._engine._means import CellMeans, bootstrap_confidence_interval
from loyaltymetrics._engine._results import ConfidenceInterval, HeadlineResult
from loyaltymetrics._engine._validation import (
    as_1d_array,
    as_1d_labels,
    check_choice,
    check_confidence_level,
    check_count,
    check_n_resamples,
    check_nan_policy,
    check_rng,
)
from loyaltymetrics._survey._scale_inference import MEAN_METHODS, mean_interval, score_values

__all__ = [
    "ChurnResult",
    "MeanResult",
    "RepeatPurchaseResult",
    "RetentionResult",
    "average_order_value",
    "churn_rate",
    "purchase_frequency",
    "repeat_purchase_rate",
    "retention_rate",
]

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, repr=False)
class _Share(HeadlineResult):
    """A share ``successes / trials`` with a proportion interval.

    ``repr`` shows the default (Wilson) interval as ``ci``; ``estimate``
    is ``rate``.
    """

    rate: float

    _headline: ClassVar[str] = "rate"

    def _default_interval(self) -> ConfidenceInterval | None:
        return self.confidence_interval()

    def _successes_and_trials(self) -> tuple[float, float]:  # pragma: no cover - abstract
        raise NotImplementedError

    def confidence_interval(
        self, confidence_level: float = 0.95, *, method: str = "wilson"
    ) -> ConfidenceInterval:
        """Confidence interval for the rate, as a share in [0, 1].

        Parameters
        ----------
        confidence_level : float, default 0.95
            Two-sided coverage, strictly between 0 and 1.
        method : {"wilson", "agresti-coull", "jeffreys", "exact", "wald"}, default "wilson"
            Binomial proportion interval (the definitions of statsmodels'
            ``proportion_confint``; "exact" is Clopper-Pearson).

        Returns
        -------
        ConfidenceInterval

        Examples
        --------
        >>> import loyaltymetrics as lm
        >>> result = lm.retention_rate(start=200, end=190, new=30)
        >>> result.rate
        0.8
        >>> result.confidence_interval()
        ConfidenceInterval(low=0.739145, high=0.849548)
        """
        level = check_confidence_level(confidence_level)
        chosen = check_choice(method, name="method", choices=PROPORTION_METHODS)
        successes, trials = self._successes_and_trials()
        low, high = proportion_interval(successes, trials, confidence_level=level, method=chosen)
        return ConfidenceInterval(float(low), float(high))


@dataclass(frozen=True, repr=False)
class RetentionResult(_Share):
    """Customer retention rate over one period.

    Attributes
    ----------
    rate : float
        ``retained / start``, in [0, 1]; also ``estimate``.
    retained : int
        Customers of the start who are still customers at the end: ``end - new``.
    start, end, new : int
        Customers at the start of the period, at its end, and acquired during it.
    """

    retained: int
    start: int
    end: int
    new: int

    def _successes_and_trials(self) -> tuple[float, float]:
        return float(self.retained), float(self.start)


@dataclass(frozen=True, repr=False)
class ChurnResult(_Share):
    """Customer churn rate over one period.

    Attributes
    ----------
    rate : float
        ``churned / start``, in [0, 1]; one minus the retention rate; also
        ``estimate``.
    churned : int
        Customers of the start who left during the period: ``start - (end - new)``.
    start, end, new : int
        Customers at the start of the period, at its end, and acquired during it.
    """

    churned: int
    start: int
    end: int
    new: int

    def _successes_and_trials(self) -> tuple[float, float]:
        return float(self.churned), float(self.start)


@dataclass(frozen=True, repr=False)
class RepeatPurchaseResult(_Share):
    """Share of customers who ordered at least twice.

    Attributes
    ----------
    rate : float
        ``repeat_customers / customers``, in [0, 1]; also ``estimate``.
    repeat_customers : int
        Customers with two or more orders.
    customers : int
        Distinct customers.
    orders : int
        Orders (rows) counted.
    """

    repeat_customers: int
    customers: int
    orders: int

    def _successes_and_trials(self) -> tuple[float, float]:
        return float(self.repeat_customers), float(self.customers)


@dataclass(frozen=True, repr=False)
class MeanResult(HeadlineResult):
    """A mean with its Student t interval (purchase frequency, average order value).

    Attributes
    ----------
    value : float
        The mean: orders per customer, or value per order; also
        ``estimate``. ``repr`` shows its default (t) interval as ``ci``.
    n : int
        Number of units averaged over (customers, or orders).
    total : float
        Sum of the averaged quantity (orders, or order value).
    standard_deviation : float
        Sample standard deviation (``ddof=1``) of the averaged quantity; NaN
        when ``n == 1``.
    n_omitted : int
        Missing values removed under ``nan_policy="omit"``.
    """

    value: float
    n: int
    total: float
    standard_deviation: float
    n_omitted: int = 0
    # The sufficient statistic: distinct values and how many units have each.
    _cell_values: npt.NDArray[np.float64] = field(
        default_factory=lambda: np.zeros(0), compare=False
    )
    _cell_counts: IntArray = field(
        default_factory=lambda: np.zeros(0, dtype=np.int64), compare=False
    )

    _display_fields: ClassVar[tuple[str, ...] | None] = ("value", "n", "total", "n_omitted")
    _headline: ClassVar[str] = "value"

    def _default_interval(self) -> ConfidenceInterval | None:
        return self.confidence_interval()

    def confidence_interval(
        self,
        confidence_level: float = 0.95,
        *,
        method: str = "t",
        n_resamples: int = 9999,
        rng: object = None,
    ) -> ConfidenceInterval:
        """Confidence interval for the mean.

        Parameters
        ----------
        confidence_level : float, default 0.95
            Two-sided coverage, strictly between 0 and 1.
        method : {"t", "percentile", "basic", "bca"}, default "t"
            "t": Student's ``value ± t(n - 1) * standard_deviation / sqrt(n)``,
            the interval ``scipy.stats.ttest_1samp`` reports for the same
            values. The others are bootstrap intervals of
            ``scipy.stats.bootstrap``, computed by resampling the counts of
            distinct values rather than the rows.
        n_resamples : int, default 9999
            Bootstrap resamples.
        rng : None, int or numpy.random.Generator, optional
            Seed or generator for the bootstrap.

        Returns
        -------
        ConfidenceInterval
            NaN limits when the mean is NaN or, for "t", when ``n == 1``.

        Examples
        --------
        >>> import loyaltymetrics as lm
        >>> lm.average_order_value([20.0, 35.5, 12.0, 50.0]).confidence_interval()
        ConfidenceInterval(low=2.54841, high=56.2016)
        """
        level = check_confidence_level(confidence_level)
        chosen = check_choice(method, name="method", choices=MEAN_METHODS)
        resamples = check_n_resamples(n_resamples)
        generator = check_rng(rng)
        if self._cell_counts.shape[0] == 0:
            return ConfidenceInterval(float("nan"), float("nan"))
        cells = CellTable.of_counts(self._cell_counts)
        if chosen in BOOTSTRAP_METHODS:
            return bootstrap_confidence_interval(
                CellMeans(cells, score_values(0.0, self._cell_values)),
                confidence_level=level,
                method=chosen,
                n_resamples=resamples,
                rng=generator,
            )
        _, low, high = mean_interval(
            cells,
            values=self._cell_values,
            confidence_level=level,
            method=chosen,
            n_resamples=resamples,
            rng=generator,
        )
        return ConfidenceInterval(float(low), float(high))


def _period_counts(start: object, end: object, new: object) -> tuple[int, int, int, int]:
    """Validate (start, end, new) and return them with the retained count."""
    start_n = int(check_count(start, name="start"))
    end_n = int(check_count(end, name="end"))
    new_n = int(check_count(new, name="new"))
    if start_n <= 0:
        raise ValueError("`start` must be positive: a rate needs customers at the start")
    if new_n > end_n:
        raise ValueError(
            f"`new` ({new_n}) must not exceed `end` ({end_n}): customers acquired during "
            "the period are counted among the customers at its end"
        )
    retained = end_n - new_n
    if retained > start_n:
        raise ValueError(
            f"`end` - `new` ({retained}) must not exceed `start` ({start_n}): more customers "
            "were retained than there were at the start"
        )
    return start_n, end_n, new_n, retained


def retention_rate(*, start: int, end: int, new: int) -> RetentionResult:
    """Compute the customer retention rate of a period: ``(end - new) / start``.

    Parameters
    ----------
    start : int
        Customers at the start of the period (positive).
    end : int
        Customers at the end of the period, including those acquired during it.
    new : int
        Customers acquired during the period.

    Returns
    -------
    RetentionResult
        The rate in [0, 1] with its counts; ``.confidence_interval()`` gives a
        binomial interval.

    Raises
    ------
    ValueError
        If a count is negative or not a whole number, ``start`` is 0,
        ``new > end``, or ``end - new > start``.
    TypeError
        If a count is not a number.

    See Also
    --------
    churn_rate : one minus the retention rate.

    Notes
    -----
    Customers acquired during the period are left out of the numerator: they
    were not there to be retained. The rate is the share of the ``start``
    customers still active at the end, so a 95% interval treats each of them
    as one Bernoulli trial.

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> result = lm.retention_rate(start=200, end=210, new=30)
    >>> result
    RetentionResult(rate=0.9, ci=[0.850594, 0.93433], retained=180, start=200, end=210, new=30)
    >>> low, high = result.confidence_interval(confidence_level=0.95)
    >>> round(low, 3), round(high, 3)
    (0.851, 0.934)
    """
    start_n, end_n, new_n, retained = _period_counts(start, end, new)
    return RetentionResult(
        rate=retained / start_n, retained=retained, start=start_n, end=end_n, new=new_n
    )


def churn_rate(*, start: int, end: int, new: int) -> ChurnResult:
    """Compute the customer churn rate of a period: ``1 - (end - new) / start``.

    Parameters
    ----------
    start : int
        Customers at the start of the period (positive).
    end : int
        Customers at the end of the period, including those acquired during it.
    new : int
        Customers acquired during the period.

    Returns
    -------
    ChurnResult
        The rate in [0, 1] with its counts; ``.confidence_interval()`` gives a
        binomial interval.

    Raises
    ------
    ValueError
        If a count is negative or not a whole number, ``start`` is 0,
        ``new > end``, or ``end - new > start``.
    TypeError
        If a count is not a number.

    See Also
    --------
    retention_rate : the complement.
    cohort_retention : retention of acquisition cohorts over many periods.

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> lm.churn_rate(start=200, end=210, new=30)
    ChurnResult(rate=0.1, ci=[0.0656704, 0.149406], churned=20, start=200, end=210, new=30)
    """
    start_n, end_n, new_n, retained = _period_counts(start, end, new)
    churned = start_n - retained
    return ChurnResult(rate=churned / start_n, churned=churned, start=start_n, end=end_n, new=new_n)


def _orders_per_customer(customer_ids: object) -> IntArray:
    """Reduce an order log to the number of orders of each distinct customer."""
    ids = as_1d_labels(customer_ids, name="customer_ids")
    if ids.shape[0] == 0:
        raise ValueError("`customer_ids` must contain at least one order; got an empty array")
    try:
        _, counts = np.unique(ids, return_counts=True)
    except TypeError as error:  # labels that cannot be ordered against each other
        raise TypeError("`customer_ids` must be of one comparable type") from error
    return counts.astype(np.int64)


def repeat_purchase_rate(customer_ids: object, /) -> RepeatPurchaseResult:
    """Share of customers with at least two orders.

    Parameters
    ----------
    customer_ids : array_like
        One entry per order: the id (integer or string) of the customer who
        placed it. A list, numpy array or pandas / polars Series.

    Returns
    -------
    RepeatPurchaseResult
        The rate with its counts; ``.confidence_interval()`` gives a binomial
        interval over customers.

    Raises
    ------
    ValueError
        If there are no orders or an id is missing.
    TypeError
        If the ids are booleans or of mixed, incomparable types.

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> lm.repeat_purchase_rate(["a", "b", "a", "c", "c", "c"])
    RepeatPurchaseResult(rate=0.666667, ci=[0.20766, 0.938508], repeat_customers=2, customers=3,
    orders=6)
    """
    counts = _orders_per_customer(customer_ids)
    repeaters = int((counts >= 2).sum())
    return RepeatPurchaseResult(
        rate=repeaters / counts.shape[0],
        repeat_customers=repeaters,
        customers=int(counts.shape[0]),
        orders=int(counts.sum()),
    )


def _mean_result(values: npt.NDArray[np.float64], *, n_omitted: int = 0) -> MeanResult:
    """Reduce values to (distinct value, count) cells and summarise them."""
    cell_values, cell_counts = np.unique(values, return_counts=True)
    n = int(values.shape[0])
    total = float(cell_counts @ cell_values)
    mean = total / n
    spread = (
        float(np.sqrt(cell_counts @ (cell_values - mean) ** 2 / (n - 1)))
        if n >= 2
        else float("nan")
    )
    return MeanResult(
        value=mean,
        n=n,
        total=total,
        standard_deviation=spread,
        n_omitted=n_omitted,
        _cell_values=cell_values,
        _cell_counts=cell_counts.astype(np.int64),
    )


def purchase_frequency(customer_ids: object, /) -> MeanResult:
    """Average number of orders per customer.

    Parameters
    ----------
    customer_ids : array_like
        One entry per order: the id (integer or string) of the customer who
        placed it.

    Returns
    -------
    MeanResult
        ``value`` = orders / customers, ``n`` = customers, ``total`` = orders;
        ``.confidence_interval()`` is the t interval of the mean number of
        orders per customer.

    Raises
    ------
    ValueError
        If there are no orders or an id is missing.
    TypeError
        If the ids are booleans or of mixed, incomparable types.

    Notes
    -----
    Only customers who ordered at least once appear in an order log, so this
    is orders per *ordering* customer in the log's window.

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> lm.purchase_frequency(["a", "b", "a", "c", "c", "c"])
    MeanResult(value=2.0, ci=[-0.484138, 4.48414], n=3, total=6.0, n_omitted=0)
    """
    counts = _orders_per_customer(customer_ids)
    return _mean_result(counts.astype(np.float64))


def average_order_value(amounts: object, /, *, nan_policy: str = "raise") -> MeanResult:
    """Average order value: total value / number of orders.

    Parameters
    ----------
    amounts : array_like
        One value per order: finite, non-negative numbers (at most 1e100).
    nan_policy : {"raise", "omit", "propagate"}, default "raise"
        What to do with missing amounts: raise an error, drop them (counted in
        ``n_omitted``), or return NaN.

    Returns
    -------
    MeanResult
        ``value`` = mean order value, ``n`` = orders, ``total`` = revenue;
        ``.confidence_interval()`` is the Student t interval of the mean.

    Raises
    ------
    ValueError
        If there are no orders, an amount is negative or infinite, or one is
        missing under ``nan_policy="raise"``.
    TypeError
        If the amounts are not numeric.

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> result = lm.average_order_value([20.0, 35.0, 50.0, 15.0])
    >>> result
    MeanResult(value=30.0, ci=[4.84055, 55.1594], n=4, total=120.0, n_omitted=0)
    >>> low, high = result.confidence_interval()
    >>> round(low, 2), round(high, 2)
    (4.84, 55.16)
    """
    policy = check_nan_policy(nan_policy)
    values = as_1d_array(amounts, name="amounts").astype(np.float64, copy=False)
    if values.shape[0] == 0:
        raise ValueError("`amounts` must contain at least one order; got an empty array")
    missing = np.isnan(values)
    bad = ~missing & (~np.isfinite(values) | (values < 0))
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"`amounts` must be finite and non-negative; found {values[position]} "
            f"at position {position}"
        )
    # Amounts past 1e100 would square (variances, intervals) past the float range.
    too_large = ~missing & (values > 1e100)
    if too_large.any():
        position = int(np.flatnonzero(too_large)[0])
        raise ValueError(
            f"`amounts` must be at most 1e100 (rescale them); found {values[position]} "
            f"at position {position}"
        )
    n_omitted = 0
    if missing.any():
        if policy == "raise":
            position = int(np.flatnonzero(missing)[0])
            raise ValueError(
                f"`amounts` contains missing values (first at position {position}); "
                "pass nan_policy='omit' to drop them or 'propagate' to return NaN"
            )
        if policy == "propagate":
            nan = float("nan")
            return MeanResult(value=nan, n=int((~missing).sum()), total=nan, standard_deviation=nan)
        n_omitted = int(missing.sum())
        values = values[~missing]
        if values.shape[0] == 0:
            raise ValueError(
                f"`amounts` has no non-missing values left after omitting {n_omitted} "
                "missing values"
            )
    return _mean_result(values, n_omitted=n_omitted)
