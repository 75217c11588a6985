"""``PanelTimeSeriesSplit``: time-ordered cross-validation of a panel of series."""

import numbers
import warnings

import numpy as np
import pandas as pd
from sklearn.model_selection import BaseCrossValidator

__all__ = ["PanelTimeSeriesSplit"]


def _is_time_like(values):
    return (
        isinstance(values.dtype, pd.PeriodDtype)
        or pd.api.types.is_datetime64_any_dtype(values)
        or pd.api.types.is_timedelta64_dtype(values)
    )


def _pick_time_level(index, exclude=None):
    """Position of the time level: the first datetime-like level, else the last one."""
    candidates = [i for i in range(index.nlevels) if i != exclude]
    for i in candidates:
        if _is_time_like(index.levels[i]):
            return i
    return candidates[-1]


class PanelTimeSeriesSplit(BaseCrossValidator):
    """Time series cross-validator for a panel of series in one long DataFrame.

    Like :class:`~sklearn.model_selection.TimeSeriesSplit`, but the folds are
    cut over the sorted unique timestamps of the panel instead of over rows:
    every series is cut at the same timestamps, and later folds are later in
    time. Fold ``i`` tests the ``i``-th of the last ``n_splits`` blocks of
    ``test_size`` timestamps and trains on all rows (of every series) whose
    timestamp lies before that block, minus the ``gap`` timestamps next to it.
    A time step is one unique timestamp of the panel (the union over the
    series), so series with different starts, ends or missing steps are
    handled; a series may have no rows in a fold.

    The returned indices are integer positions into the rows of ``X`` in the
    order of ``X`` (which may be series-major, time-major or shuffled), so
    ``X.iloc[train]`` keeps the order of ``X``.

    A test fold only holds the rows of its test timestamps. A forecaster needs
    the past of each series as input: ``TSMixerRegressor`` takes it from the
    data seen in ``fit`` (see its ``context`` parameter). With ``gap > 0`` the
    test rows do not directly continue the training rows.

    Parameters
    ----------
    n_splits : int, default=5
        Number of splits, at least 2.
    test_size : int or None, default=None
        Number of time steps (unique timestamps) per test fold. None means
        ``n_timestamps // (n_splits + 1)``.
    gap : int, default=0
        Number of time steps left out between the end of each training fold
        and the start of its test fold.
    max_train_size : int or None, default=None
        Maximum number of time steps in a training fold (its latest ones);
        None means no limit.
    series_column : str, int or None, default=None
        Column, or level of a MultiIndex, naming the series. The timestamps
        are then the (datetime-like, else last remaining) index level, or the
        index itself. None: a 2-level MultiIndex is read as (series, time),
        the time level being the datetime-like level or else the last; a
        single-level index is the time of one series, and the splitter
        behaves exactly like ``TimeSeriesSplit`` on a sorted index.
        Timestamps may be datetimes, periods, timedeltas or integers.

    Examples
    --------
    >>> import pandas as pd
    >>> from sktsmixer.model_selection import PanelTimeSeriesSplit
    >>> ds = pd.date_range("2024-01-01", periods=6, freq="D")
    >>> X = pd.DataFrame(
    ...     {"unique_id": ["a"] * 6 + ["b"] * 4, "y": range(10)},
    ...     index=ds.append(ds[1:5]),
    ... )
    >>> cv = PanelTimeSeriesSplit(n_splits=2, test_size=2, series_column="unique_id")
    >>> cv  # doctest: +NORMALIZE_WHITESPACE
    PanelTimeSeriesSplit(gap=0, max_train_size=None, n_splits=2,
                         series_column='unique_id', test_size=2)
    >>> for train, test in cv.split(X):
    ...     print(train, test, X.index[test].strftime("%d").unique().tolist())
    [0 1 6] [2 3 7 8] ['03', '04']
    [0 1 2 3 6 7 8] [4 5 9] ['05', '06']
    """

    def __init__(
        self, n_splits=5, *, test_size=None, gap=0, max_train_size=None, series_column=None
    ):
        self.n_splits = n_splits
        self.test_size = test_size
        self.gap = gap
        self.max_train_size = max_train_size
        self.series_column = series_column

    def get_n_splits(self, X=None, y=None, groups=None):
        """Return the number of splits, ``n_splits`` (the arguments are ignored)."""
        return self.n_splits

    def _timestamps(self, X):
        """The time of each row of ``X`` and, where known, its series."""
        if not isinstance(X, pd.DataFrame):
            raise ValueError(
                f"{type(self).__name__} needs a pandas DataFrame with a time index, "
                f"got {type(X).__name__}."
            )
        index, key, series = X.index, self.series_column, None
        multi = isinstance(index, pd.MultiIndex)
        if key is None:
            if multi and index.nlevels != 2:
                raise ValueError(
                    f"A MultiIndex must have 2 levels (series, time) when series_column "
                    f"is None, got {index.nlevels} levels {list(index.names)}."
                )
            level = _pick_time_level(index) if multi else None
            if multi:
                series = index.get_level_values(1 - level)
        elif key in X.columns:
            series = X[key]
            level = _pick_time_level(index) if multi else None
        elif multi and (key in index.names or isinstance(key, int) and 0 <= key < index.nlevels):
            key = index.names.index(key) if key in index.names else key
            series = index.get_level_values(key)
            level = _pick_time_level(index, exclude=key)
        else:
            raise ValueError(
                f"series_column={key!r} is neither a column nor a level of a MultiIndex of X; "
                f"columns: {list(X.columns)}, index levels: {list(index.names)}."
            )
        times = index if level is None else index.get_level_values(level)
        if not (_is_time_like(times) or pd.api.types.is_integer_dtype(times)):
            raise ValueError(
                f"The timestamps (index{'' if level is None else f' level {level}'}) must be "
                f"datetime-like or integer, got dtype {times.dtype}."
            )
        return times, series

    def split(self, X, y=None, groups=None):
        """Generate integer positions of the training and test rows of each fold.

        Parameters
        ----------
        X : pandas.DataFrame
            The panel, in any row order, indexed by time (with
            ``series_column`` a column) or by a (series, time) MultiIndex.
        y : array-like, default=None
            Always ignored, exists for API compatibility.
        groups : array-like, default=None
            Always ignored, exists for API compatibility.

        Yields
        ------
        train : ndarray of int
            Positions of the training rows, in the order of ``X``.
        test : ndarray of int
            Positions of the test rows, in the order of ``X``.
        """
        if groups is not None:
            warnings.warn(
                f"The groups parameter is ignored by {type(self).__name__}",
                UserWarning,
                stacklevel=2,
            )
        for name, value, low in [("n_splits", self.n_splits, 2), ("gap", self.gap, 0)]:
            if not isinstance(value, numbers.Integral) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {value!r}.")
        for name in ("test_size", "max_train_size"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, numbers.Integral) or value < 1):
                raise ValueError(f"{name} must be None or an integer >= 1, got {value!r}.")
        times, series = self._timestamps(X)
        codes, uniques = pd.factorize(times, sort=True)
        if (codes < 0).any():
            raise ValueError("The timestamps of X contain missing values (NaT or NaN).")
        pairs = pd.MultiIndex.from_arrays([codes, codes if series is None else series])
        if pairs.has_duplicates:
            what = "timestamps; pass series_column" if series is None else "(series, time) pairs"
            raise ValueError(f"X has duplicate {what}.")
        n_times, n_splits, gap = len(uniques), self.n_splits, self.gap
        test_size = self.test_size if self.test_size is not None else n_times // (n_splits + 1)
        if n_splits + 1 > n_times:
            raise ValueError(
                f"Cannot have number of folds={n_splits + 1} greater than the number "
                f"of timestamps={n_times}."
            )
        if n_times - gap - test_size * n_splits <= 0:
            raise ValueError(
                f"Too many splits={n_splits} for number of timestamps={n_times} with "
                f"test_size={test_size} and gap={gap}."
            )
        for test_start in range(n_times - n_splits * test_size, n_times, test_size):
            train_end = test_start - gap
            train_start = max(0, train_end - (self.max_train_size or train_end))
            train = np.flatnonzero((codes >= train_start) & (codes < train_end))
            test = np.flatnonzero((codes >= test_start) & (codes < test_start + test_size))
            yield train, test
