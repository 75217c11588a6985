"""``backtest``: forecasts at many past origins beside the truth, in one call."""

import numbers

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from sktsmixer.model_selection._rows import locate_rows, target_times, truth

__all__ = ["backtest"]


def backtest(
    estimator,
    X,
    *,
    future=None,
    origins=None,
    refit=False,
    coverage=None,
    quantiles=None,
    n_jobs=None,
    verbose=0,
    pre_dispatch="2*n_jobs",
):
    """Forecasts made at past origins of ``X``, beside what happened, in a long DataFrame.

    An *origin* is a row of ``X``: the forecast made there reads the data up
    to and including that row and forecasts the ``horizon`` steps after it
    (see ``TSMixerRegressor.predict``).

    Parameters
    ----------
    estimator : TSMixerRegressor
        A forecaster (fitted with ``y=None`` for ``refit=False``).
    X : DataFrame or array-like
        One series or a long panel, in the estimator's format (any row
        order). It holds the inputs of every forecast and the truth.
    future : DataFrame or ndarray, default=None
        Known-ahead values after the end of ``X``, as in ``predict``; only
        forecasts whose horizon runs past ``X`` read them.
    origins : None, int or sequence of time labels, default=None
        None: every row whose input window of ``input_size`` rows lies in its
        series in ``X`` and whose whole horizon lies in the series too, so
        every forecast has its truth (but where ``X`` has gaps or NaN).
        An int ``n``: the last ``n`` of those origin times (a time is an
        origin of every series eligible there). A sequence: these times
        (index labels of ``X``; row positions for an array); every row of
        ``X`` at one of them is an origin, wherever its window and horizon
        lie, and steps past the end of its series have ``actual`` NaN.
    refit : False or int, default=False
        False: the fitted ``estimator`` forecasts every origin in one
        ``predict(X, future)`` pass (plus ``predict_interval`` and
        ``predict_quantiles`` when asked). An int ``k``: the origin times are
        taken in order by groups of ``k``; for every group a
        ``sklearn.base.clone`` of ``estimator`` is fitted on the rows of
        ``X`` (of all series) up to and including the group's first origin
        time, the data known when that forecast is made, and forecasts the
        group's origins. The fits run through ``joblib.Parallel``.
    coverage : float in (0, 1) or None, default=None
        Adds ``lower`` and ``upper``: ``predict_interval`` of that coverage.
    quantiles : sequence of float or None, default=None
        Adds one column per level, named ``f"q{level:g}"`` (``q0.1``,
        ``q0.5``, ...), in increasing order: ``predict_quantiles`` of these
        levels.
    n_jobs : int or None, default=None
        Number of parallel refits (``refit=k`` only); None means 1 unless in
        a ``joblib.parallel_config`` context (a Dask backend runs them on a
        cluster as it does ``GridSearchCV``'s fits), -1 all processors.
    verbose : int, default=0
        Progress messages of ``joblib.Parallel``.
    pre_dispatch : int or str, default="2*n_jobs"
        Number of refits dispatched ahead, as in ``joblib.Parallel``.

    Returns
    -------
    frame : DataFrame
        One row per origin, step and target, sorted by series (in order of
        first appearance in ``X``), origin, step and target, with columns:

        * ``series``: the series label, for a panel with a one-column key
          (``series_column`` or the first level of a ``(series, time)``
          MultiIndex); with a key of several columns, those columns under
          their own names instead; absent for one series;
        * ``origin``: the time label of the origin row (its position for an
          array);
        * ``step``: 1 to ``horizon``, steps ahead;
        * ``time``: the time forecast, ``origin`` plus ``step`` steps of the
          series' grid;
        * ``target``: the name of the target column (``target_names_``);
        * ``forecast``: the point forecast;
        * ``actual``: the value of ``X`` at that time, NaN where ``X`` has
          none;
        * ``lower``, ``upper``: with ``coverage``;
        * ``q<level>``: with ``quantiles``.

        ``frame.attrs["series_columns"]`` lists the key columns (``[]`` for
        one series) and ``frame.attrs["coverage"]`` is ``coverage``;
        :func:`backtest_scores` and ``ForecastDisplay.from_backtest`` read
        them.

    See Also
    --------
    backtest_scores : The error table of a backtest.
    sktsmixer.plotting.ForecastDisplay.from_backtest : Plot a backtest.
    PanelTimeSeriesSplit : Time-ordered folds for ``GridSearchCV``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sktsmixer import TSMixerRegressor
    >>> from sktsmixer.model_selection import backtest, backtest_scores
    >>> time = pd.date_range("2024-01-01", periods=120, freq="D", name="day")
    >>> X = pd.DataFrame({"y": np.sin(np.arange(120) / 3)}, index=time)
    >>> est = TSMixerRegressor(input_size=8, horizon=3, epochs=2, random_state=0)
    >>> frame = backtest(est.fit(X), X, origins=2)
    >>> frame.columns.tolist()
    ['origin', 'step', 'time', 'target', 'forecast', 'actual']
    >>> frame[["origin", "step", "time"]].head(3).astype(str).to_numpy().tolist()
    [['2024-04-25', '1', '2024-04-26'], ['2024-04-25', '2', '2024-04-27'], \
['2024-04-25', '3', '2024-04-28']]
    >>> backtest_scores(frame).index.tolist()
    [(1, 'y'), (2, 'y'), (3, 'y')]
    """
    refit = _check_refit(refit)
    if not refit:
        check_is_fitted(
            estimator,
            msg="backtest(refit=False) forecasts with the fitted estimator, and this "
            "%(name)s is not fitted yet: fit it first, or pass refit=k to fit a clone "
            "on the data before every k-th origin.",
        )
    params = estimator.get_params(deep=False)
    horizon, input_size = params["horizon"], params["input_size"]
    if not isinstance(input_size, numbers.Integral):
        # input_size="auto": the window the fit chose; before any fit (a
        # refit's clones choose theirs) every row may be an origin, since
        # windows reaching before a series' start are completed anyway.
        input_size = int(getattr(estimator, "input_size_", 1))
    # The estimator's business calendar; a refit infers it from X as its clones do.
    calendar = params.get("calendar") if refit else getattr(estimator, "calendar_", None)
    rows = locate_rows(X, params.get("series_column"), calendar)
    clock = rows.position if rows.panel.index_kind is None else rows.labels
    selected = _select(rows, clock, origins, input_size, horizon)
    levels = _check_quantiles(quantiles)
    if not refit:
        names, parts = _forecast_rows(estimator, X, future, selected, coverage, levels)
    else:
        groups = _refit_groups(clock, selected, refit)
        parallel = Parallel(n_jobs=n_jobs, verbose=verbose, pre_dispatch=pre_dispatch)
        results = parallel(
            delayed(_fit_and_forecast)(
                clone(estimator), _take(X, train), X, future, chosen, coverage, levels
            )
            for train, chosen in groups
        )
        names = results[0][0]
        parts = {key: np.concatenate([part[key] for _, part in results]) for key in results[0][1]}
        selected = np.concatenate([chosen for _, chosen in groups])
    # Series in order of first appearance, then time.
    order = np.lexsort((np.asarray(clock)[selected], rows.block[selected]))
    selected = selected[order]
    parts = {key: value[order] for key, value in parts.items()}
    return _frame(rows, X, selected, names, parts, horizon, coverage)


def _check_refit(refit):
    if refit is False or refit is None:
        return 0
    if isinstance(refit, bool) or not isinstance(refit, numbers.Integral) or refit < 1:
        raise ValueError(
            "refit must be False (forecast every origin with the fitted estimator) or a "
            f"positive integer k (refit a clone every k origins), got {refit!r}."
        )
    return int(refit)


def _check_quantiles(quantiles):
    if quantiles is None:
        return []
    levels = np.atleast_1d(np.asarray(quantiles, dtype=np.float64))
    if levels.ndim != 1 or not len(levels) or np.any((levels <= 0) | (levels >= 1)):
        raise ValueError(f"quantiles must be a sequence of levels in (0, 1), got {quantiles!r}.")
    return [float(q) for q in np.unique(levels)]


def _select(rows, clock, origins, input_size, horizon):
    """Positions, among the rows of ``X``, of the origins asked."""
    clock = pd.Index(clock)
    if origins is None or (isinstance(origins, numbers.Integral) and not isinstance(origins, bool)):
        eligible = (rows.position >= input_size - 1) & (rows.position + horizon < rows.lengths)
        if not eligible.any():
            raise ValueError(
                f"No row of X has a complete input window (input_size={input_size} rows) "
                f"and its whole horizon ({horizon} steps) inside its series: pass a longer "
                "X, or the origins to forecast from (origins=[times])."
            )
        if origins is None:
            return np.flatnonzero(eligible)
        times = clock[eligible].unique().sort_values()
        if origins < 1 or origins > len(times):
            raise ValueError(
                f"origins={origins} asks for the last {origins} origin times, and X has "
                f"{len(times)} with a complete input window and the whole horizon inside "
                f"X: pass an integer between 1 and {len(times)}."
            )
        return np.flatnonzero(eligible & clock.isin(times[-origins:]))
    if isinstance(origins, (str, pd.Timestamp)) or np.isscalar(origins):
        origins = [origins]
    labels = rows.labels
    try:
        wanted = pd.DatetimeIndex(origins) if isinstance(labels, pd.DatetimeIndex) else None
        wanted = pd.Index(list(origins)) if wanted is None else wanted
        found = wanted.isin(labels)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"origins must be time labels of X's rows (index of dtype {labels.dtype}); "
            f"could not compare {list(origins)[:5]} with them: {exc}"
        ) from exc
    if not found.all():
        raise ValueError(
            f"origin(s) {list(wanted[~found][:5])} are not times of rows of X; an origin "
            f"must be a time label of X (from {labels.min()} to {labels.max()})."
        )
    return np.flatnonzero(labels.isin(wanted))


def _refit_groups(clock, selected, k):
    """``(training rows, origin rows)`` of every refit: ``k`` origin times each."""
    clock = pd.Index(clock)
    times = clock[selected]
    distinct = times.unique().sort_values()
    groups = []
    for start in range(0, len(distinct), k):
        chunk = distinct[start : start + k]
        train = np.flatnonzero(clock <= chunk[0])  # the data known at the first origin
        groups.append((train, selected[times.isin(chunk)]))
    return groups


def _take(X, rows):
    return X.iloc[rows] if isinstance(X, pd.DataFrame) else np.asarray(X)[rows]


def _fit_and_forecast(estimator, X_train, X, future, selected, coverage, levels):
    estimator.fit(X_train)
    return _forecast_rows(estimator, X, future, selected, coverage, levels)


def _forecast_rows(estimator, X, future, selected, coverage, levels):
    """Target names and ``(len(selected), horizon, n_targets)`` forecasts at ``selected``."""
    if getattr(estimator, "target_indices_", ()) is None:
        raise ValueError(
            "backtest needs a forecaster fitted with y=None (forecasting columns of X); "
            "this estimator was fitted with y."
        )
    names = list(estimator.target_names_)
    shape = (len(selected), estimator.horizon, len(names))
    point = np.asarray(estimator.predict(X, future=future))
    parts = {"forecast": point[selected].reshape(shape)}
    if coverage is not None:
        bounds = np.asarray(estimator.predict_interval(X, coverage=coverage, future=future))
        parts["lower"] = bounds[selected, :, 0].reshape(shape)
        parts["upper"] = bounds[selected, :, 1].reshape(shape)
    if levels:
        values = np.asarray(estimator.predict_quantiles(X, quantiles=levels, future=future))
        for i, level in enumerate(levels):
            parts[f"q{level:g}"] = values[selected, :, i].reshape(shape)
    return names, parts


def _frame(rows, X, selected, names, parts, horizon, coverage):
    n_targets = len(names)
    each = np.repeat(selected, horizon * n_targets)  # the origin row of every frame row
    columns = {name: key.take(each) for name, key in zip(rows.key_names, rows.keys, strict=True)}
    columns["origin"] = rows.labels.take(each)
    columns["step"] = np.tile(np.repeat(np.arange(1, horizon + 1), n_targets), len(selected))
    columns["time"] = target_times(rows, selected, horizon).repeat(n_targets)
    columns["target"] = np.tile(np.asarray(names, dtype=object), len(selected) * horizon)
    actual = truth(rows, rows.values(X, names), selected, horizon)
    columns["forecast"] = parts.pop("forecast").ravel()
    columns["actual"] = actual.ravel()
    columns.update({key: value.ravel() for key, value in parts.items()})
    frame = pd.DataFrame(columns)
    frame.attrs["series_columns"] = list(rows.key_names)
    frame.attrs["coverage"] = coverage  # labels the interval of a plot
    frame.attrs["calendar"] = rows.panel.calendar  # the grid of train= in backtest_scores
    return frame
