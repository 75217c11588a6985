"""``ForecastDisplay``: forecasts (and intervals, backtests) beside the truth."""

import numbers

import numpy as np
import pandas as pd

from sktsmixer.plotting._common import as_series, check_matplotlib, style_of

__all__ = ["ForecastDisplay"]


class ForecastDisplay:
    """Forecast plot: past values, point forecast, prediction interval, actuals.

    Build it with :meth:`from_estimator`, :meth:`from_predictions` or
    :meth:`from_backtest`; all
    parameters are stored as attributes. Needs matplotlib
    (``pip install sktsmixer[plot]``).

    Parameters
    ----------
    history : Series
        Past values of one target, indexed by time.
    forecast : Series
        Point forecast, indexed by the future time steps.
    lower, upper : Series or array-like of shape (n_steps,), default=None
        Bounds of the prediction interval; both or neither. Arrays take the
        index of ``forecast``.
    actual : Series or array-like, default=None
        True future values, when known. Arrays take the index of ``forecast``.
    target_name : str, default=None
        Y-axis label; defaults to the name of ``forecast`` or ``history``.
    coverage : float, default=None
        Nominal coverage of the interval, used in its legend label.

    Attributes
    ----------
    history_line_ : matplotlib Line2D
        The past values.
    forecast_line_ : matplotlib Line2D
        The point forecast.
    band_ : matplotlib PolyCollection or None
        The prediction interval; None without ``lower``/``upper``.
    actual_line_ : matplotlib Line2D or None
        The true future values; None without ``actual``.
    origin_lines_ : list of matplotlib Line2D
        Forecasts of the earlier origins, set by :meth:`from_backtest` only
        (an empty list for one origin).
    ax_ : matplotlib Axes
        Axes with the plot.
    figure_ : matplotlib Figure
        Figure containing the plot.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np, pandas as pd
    >>> from sktsmixer.plotting import ForecastDisplay
    >>> time = pd.date_range("2024-01-01", periods=54, freq="h")
    >>> load = pd.Series(np.sin(np.arange(54) / 4), index=time, name="load")
    >>> history, future = load.iloc[:48], load.iloc[48:]
    >>> forecast = future + 0.1
    >>> display = ForecastDisplay.from_predictions(
    ...     history, forecast, lower=forecast - 0.3, upper=forecast + 0.3,
    ...     actual=future, coverage=0.9, n_history=24)
    >>> [t.get_text() for t in display.ax_.get_legend().get_texts()]
    ['history', 'forecast', '90% interval', 'actual']
    >>> matplotlib.pyplot.close("all")
    """

    def __init__(
        self,
        history,
        forecast,
        lower=None,
        upper=None,
        actual=None,
        target_name=None,
        coverage=None,
    ):
        self.history = as_series(history, "history")
        self.forecast = as_series(forecast, "forecast")
        if (lower is None) != (upper is None):
            raise ValueError("Give both lower and upper for the interval, or neither.")
        index = self.forecast.index
        self.lower = None if lower is None else as_series(lower, "lower", index)
        self.upper = None if upper is None else as_series(upper, "upper", index)
        for name, bound in (("lower", self.lower), ("upper", self.upper)):
            if bound is not None and len(bound) != len(index):
                raise ValueError(f"{name} has {len(bound)} values but forecast has {len(index)}.")
        self.actual = None if actual is None else as_series(actual, "actual", index)
        self.target_name = target_name
        self.coverage = coverage

    def plot(
        self,
        ax=None,
        *,
        n_history=None,
        history_kw=None,
        forecast_kw=None,
        band_kw=None,
        actual_kw=None,
    ):
        """Draw the plot.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure and axes when None.
        n_history : int, default=None
            Show only the last ``n_history`` points of the history (all when None).
        history_kw, forecast_kw, band_kw, actual_kw : dict, default=None
            Keywords for ``ax.plot`` (lines) and ``ax.fill_between`` (band),
            overriding the defaults (e.g. ``{"color": "k", "label": "past"}``).

        Returns
        -------
        display : ForecastDisplay
            The display, with the artists stored as attributes.
        """
        plt = check_matplotlib(f"{type(self).__name__}.plot")
        from matplotlib.collections import PolyCollection
        from matplotlib.lines import Line2D

        history = self.history
        if n_history is not None:
            if not isinstance(n_history, numbers.Integral) or n_history < 1:
                raise ValueError(f"n_history must be a positive integer; got {n_history!r}.")
            history = history.iloc[-n_history:]
        if ax is None:
            _, ax = plt.subplots()

        style = style_of({"color": "C0", "label": "history"}, history_kw, Line2D)
        (self.history_line_,) = ax.plot(history.index, history.to_numpy(), **style)
        style = style_of({"color": "C1", "label": "forecast"}, forecast_kw, Line2D)
        (self.forecast_line_,) = ax.plot(self.forecast.index, self.forecast.to_numpy(), **style)
        self.band_ = None
        if self.lower is not None:
            label = "prediction interval"
            if self.coverage is not None:
                label = f"{self.coverage * 100:g}% interval"
            defaults = {"color": "C1", "alpha": 0.25, "linewidth": 0, "label": label}
            self.band_ = ax.fill_between(
                self.forecast.index,
                self.lower.to_numpy(dtype=float),
                self.upper.to_numpy(dtype=float),
                **style_of(defaults, band_kw, PolyCollection),
            )
        self.actual_line_ = None
        if self.actual is not None:
            defaults = {"color": "k", "linestyle": "--", "label": "actual"}
            (self.actual_line_,) = ax.plot(
                self.actual.index, self.actual.to_numpy(), **style_of(defaults, actual_kw, Line2D)
            )
        target = self.target_name or self.forecast.name or self.history.name
        ax.set(xlabel=history.index.name or "time", ylabel=None if target is None else str(target))
        ax.legend()
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_predictions(
        cls,
        history,
        forecast,
        *,
        lower=None,
        upper=None,
        actual=None,
        target_name=None,
        coverage=None,
        ax=None,
        n_history=None,
        **plot_kw,
    ):
        """Plot a forecast given as Series.

        Parameters
        ----------
        history, forecast, lower, upper, actual, target_name, coverage
            As in :class:`ForecastDisplay`.
        ax, n_history
            As in :meth:`plot`.
        **plot_kw
            ``history_kw``, ``forecast_kw``, ``band_kw``, ``actual_kw`` of :meth:`plot`.

        Returns
        -------
        display : ForecastDisplay
        """
        check_matplotlib(f"{cls.__name__}.from_predictions")
        display = cls(history, forecast, lower, upper, actual, target_name, coverage)
        return display.plot(ax, n_history=n_history, **plot_kw)

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        *,
        future=None,
        target=None,
        coverage=None,
        actual=None,
        series=None,
        ax=None,
        n_history=None,
        **plot_kw,
    ):
        """Forecast the steps after ``X`` with ``estimator`` and plot them.

        Parameters
        ----------
        estimator : fitted TSMixerRegressor
            Fitted with ``y=None``; its ``forecast(X, future=, coverage=)`` is called.
        X : DataFrame
            Recent data, oldest first, with a time index (single series) or,
            for a panel, a (series, time) MultiIndex or the estimator's
            ``series_column``. Its target column is drawn as the history.
        future : DataFrame, default=None
            Known-ahead columns for the forecast steps, passed to ``forecast``.
        target : str, default=None
            Target to plot; the first of ``estimator.target_names_`` when None.
        coverage : float, default=None
            Draw the prediction interval of this coverage (e.g. 0.9).
        actual : Series, DataFrame or array-like, default=None
            True future values. A DataFrame is read like ``X``; only the
            points at the forecast's time steps are drawn.
        series : object, default=None
            Series to plot from a panel forecast; required with several series.
        ax, n_history
            As in :meth:`plot`.
        **plot_kw
            ``history_kw``, ``forecast_kw``, ``band_kw``, ``actual_kw`` of :meth:`plot`.

        Returns
        -------
        display : ForecastDisplay
        """
        check_matplotlib(f"{cls.__name__}.from_estimator")
        kwargs = {k: v for k, v in (("future", future), ("coverage", coverage)) if v is not None}
        forecast = estimator.forecast(X, **kwargs)
        if not isinstance(forecast, pd.DataFrame):
            raise ValueError("from_estimator needs X as a DataFrame with a time index.")
        if target is None:
            target = list(getattr(estimator, "target_names_", forecast.columns))[0]
        if target not in forecast.columns:
            raise ValueError(
                f"target {target!r} is not a forecast column: {list(forecast.columns)}."
            )
        if isinstance(forecast.index, pd.MultiIndex):
            # Every level but the last (the time) names the series: one, or a compound key.
            key_levels = list(range(forecast.index.nlevels - 1))
            ids = forecast.index.droplevel(-1).unique()
            if series is None and len(ids) != 1:
                raise ValueError(
                    f"The forecast covers {len(ids)} series: pass series= one of {list(ids)}."
                )
            series = ids[0] if series is None else series
            if series not in ids:
                raise ValueError(f"series {series!r} is not in the forecast: {list(ids)}.")
            forecast = forecast.xs(series, level=key_levels if len(key_levels) > 1 else 0)
        elif series is not None:
            raise ValueError("series= is only for a panel forecast; this one has one series.")
        column = getattr(estimator, "series_column", None)
        history = _series_values(X, target, series, column, "X")
        steps = forecast.index
        if isinstance(actual, (pd.DataFrame, pd.Series)):
            if isinstance(actual, pd.DataFrame):
                actual = _series_values(actual, target, series, column, "actual")
            if actual.index.isin(steps).any():
                actual = actual[actual.index.isin(steps)]
            elif len(actual) == len(steps):
                actual = actual.to_numpy()
            else:
                raise ValueError("actual shares no time step with the forecast.")
        bounds = [f"{target}_lower", f"{target}_upper"]
        lower, upper = (forecast[b] if b in forecast.columns else None for b in bounds)
        display = cls(history, forecast[target], lower, upper, actual, target, coverage)
        return display.plot(ax, n_history=n_history, **plot_kw)

    @classmethod
    def from_backtest(
        cls,
        frame,
        *,
        series=None,
        target=None,
        origins=None,
        ax=None,
        n_history=None,
        origin_kw=None,
        **plot_kw,
    ):
        """Plot a backtest of one series: the actuals and the forecasts of chosen origins.

        The last chosen origin is drawn as a forecast (with its interval when
        ``frame`` has ``lower`` and ``upper``), the actuals up to it as the
        history and those on its horizon as the actual; the forecasts of the
        earlier chosen origins are thinner lines (``origin_lines_``).

        Parameters
        ----------
        frame : DataFrame
            A frame returned by :func:`sktsmixer.model_selection.backtest`.
        series : object or tuple, default=None
            The series to plot (a tuple of labels for a key of several
            columns); required when ``frame`` holds several.
        target : object, default=None
            The target to plot; the first of ``frame["target"]`` when None.
        origins : None, int, or time label or sequence of them, default=None
            None: the last origin; an int ``n``: the last ``n`` origins; or
            the origins themselves (values of ``frame["origin"]``).
        ax, n_history
            As in :meth:`plot`; ``n_history`` counts the actuals drawn
            before the last origin.
        origin_kw : dict, default=None
            Keywords for ``ax.plot`` of the earlier origins' forecasts.
        **plot_kw
            ``history_kw``, ``forecast_kw``, ``band_kw``, ``actual_kw`` of :meth:`plot`.

        Returns
        -------
        display : ForecastDisplay
        """
        plt = check_matplotlib(f"{cls.__name__}.from_backtest")
        from matplotlib.lines import Line2D

        rows, target, chosen = _backtest_rows(frame, series, target, origins)
        truth = rows.dropna(subset=["actual"]).drop_duplicates("time").set_index("time")["actual"]
        truth = truth.sort_index().rename(target)
        last = rows[rows["origin"] == chosen[-1]].sort_values("step").set_index("time")
        bounds = [last[c] if c in last.columns else None for c in ("lower", "upper")]
        display = cls(
            truth[truth.index <= chosen[-1]],
            last["forecast"].rename(target),
            *bounds,
            actual=truth[truth.index.isin(last.index)],
            target_name=target,
            coverage=frame.attrs.get("coverage"),
        )
        if ax is None:
            _, ax = plt.subplots()
        display.plot(ax, n_history=n_history, **plot_kw)
        display.origin_lines_ = []
        color = display.forecast_line_.get_color()
        for i, origin in enumerate(chosen[:-1]):
            part = rows[rows["origin"] == origin].sort_values("step")
            label = "earlier forecasts" if i == 0 else "_nolegend_"
            style = style_of(
                {"color": color, "alpha": 0.5, "linewidth": 1, "label": label}, origin_kw, Line2D
            )
            display.origin_lines_ += ax.plot(part["time"], part["forecast"].to_numpy(), **style)
        if display.origin_lines_:
            ax.legend()
        return display


def _backtest_rows(frame, series, target, origins):
    """The rows of one series and target of a backtest frame, and the origins chosen."""
    needed = {"origin", "step", "time", "target", "forecast", "actual"}
    if not isinstance(frame, pd.DataFrame) or not needed <= set(frame.columns):
        raise ValueError(f"frame must be a backtest frame with the columns {sorted(needed)}.")
    keys = list(frame.attrs.get("series_columns", ["series"] if "series" in frame else []))
    mask = np.ones(len(frame), dtype=bool)
    if keys:
        ids = frame[keys].drop_duplicates()
        labels = [tuple(r) if len(keys) > 1 else r[0] for r in ids.itertuples(index=False)]
        if series is None and len(labels) != 1:
            raise ValueError(
                f"The backtest covers {len(labels)} series: pass series= one of {labels[:10]}."
            )
        series = labels[0] if series is None else series
        wanted = series if len(keys) > 1 else (series,)
        if series not in labels or len(wanted) != len(keys):
            raise ValueError(f"series {series!r} is not in the backtest: {labels[:10]}.")
        for key, value in zip(keys, wanted, strict=True):
            mask &= (frame[key] == value).to_numpy()
    elif series is not None:
        raise ValueError("series= is only for a panel backtest; this one has one series.")
    names = list(pd.unique(frame["target"]))
    target = names[0] if target is None else target
    if target not in names:
        raise ValueError(f"target {target!r} is not a target of the backtest: {names}.")
    rows = frame[mask & (frame["target"] == target).to_numpy()]
    available = np.sort(rows["origin"].unique())
    if origins is None:
        origins = 1
    if isinstance(origins, numbers.Integral) and not isinstance(origins, bool):
        if origins < 1:
            raise ValueError(f"origins must be a positive integer or origins; got {origins!r}.")
        return rows, target, list(available[-origins:])
    listed = [origins] if np.isscalar(origins) or isinstance(origins, pd.Timestamp) else origins
    chosen = pd.Index(listed)
    if isinstance(rows["origin"].dtype, np.dtype) and rows["origin"].dtype.kind == "M":
        chosen = pd.DatetimeIndex(chosen)
    missing = chosen[~chosen.isin(available)]
    if len(missing):
        raise ValueError(
            f"origin(s) {list(missing[:5])} are not origins of the backtest of this series "
            f"(from {available[0]} to {available[-1]})."
        )
    return rows, target, list(chosen.sort_values())


def _series_values(frame, target, series, column, name):
    """Column ``target`` of one series of a (possibly long or MultiIndexed) frame."""
    if target not in frame.columns:
        raise ValueError(f"{name} has no column {target!r}.")
    if series is None:
        return frame[target]
    if isinstance(column, list) and len(column) > 1:  # a compound key: series is a tuple
        keys = frame.reset_index()
        pairs = zip(column, series, strict=True)
        mask = np.logical_and.reduce([keys[c].to_numpy() == v for c, v in pairs])
        rows = frame[mask]
        if isinstance(rows.index, pd.MultiIndex):
            rows = rows.droplevel([c for c in column if c in rows.index.names])
        return rows[target]
    if isinstance(column, list):
        column = column[0]
    if column is not None and column in frame.columns:
        return frame.loc[frame[column] == series, target]
    if isinstance(frame.index, pd.MultiIndex):
        level = column if column in frame.index.names else 0
        return frame.xs(series, level=level)[target]
    raise ValueError(f"Cannot find the series of {name}: give it a (series, time) MultiIndex.")
