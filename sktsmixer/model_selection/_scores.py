"""``backtest_scores``: the error table of a backtest frame."""

import numbers
import re
import warnings

import numpy as np
import pandas as pd

from sktsmixer.model_selection._rows import locate_rows

__all__ = ["backtest_scores"]

_QUANTILE_COLUMN = re.compile(r"^q(\d*\.?\d+(?:[eE]-?\d+)?)$")


def backtest_scores(
    frame, *, by=("step",), season_length=None, train=None, series_column=None, scale=None
):
    """Errors of a backtest per horizon step, per series, or overall.

    Every score is a mean over the rows of ``frame`` in a group whose
    ``actual`` and forecast (or bounds, or quantile) are known; rows with a
    NaN ``actual`` (beyond the data, or gaps) are left out. Targets are never
    mixed: ``"target"`` is always the last grouping column.

    Parameters
    ----------
    frame : DataFrame
        A frame returned by :func:`backtest` (at least the columns
        ``target``, ``forecast`` and ``actual``, and those of ``by``).
    by : str or sequence of str, default=("step",)
        Columns to group by, e.g. ``("step",)`` per horizon step,
        ``("series",)`` per series (for a key of several columns,
        ``"series"`` stands for all of them, or name some of them),
        ``("series", "step")``, ``("origin",)``; ``()`` or None for one row
        per target over the whole backtest.
    season_length : int or None, default=None
        With ``train``: the lag ``m`` of the seasonal naive forecast that
        scales MASE (1 for the naive forecast; 12 for monthly data with a
        yearly season, ...).
    train : DataFrame or array-like, default=None
        Data the model was trained on, in the format of ``backtest``'s ``X``
        (with the same series). The MASE scale of every series and target is
        its in-sample mean absolute error of the seasonal naive forecast,
        ``mean |y[t] - y[t - season_length]|`` over the pairs of time steps
        observed in ``train`` (gaps are skipped, not bridged); steps are
        counted on the estimator's business calendar when it has one (169
        for the day before, in data observed 07:00-21:00 every 5 minutes).
    series_column : str, list or None, default=None
        The estimator's ``series_column``, to read the series of ``train``.
    scale : float, Series or DataFrame, default=None
        The MASE scales given directly, instead of ``train``: one float for
        every series and target; a Series indexed by the series label (a
        MultiIndex for a key of several columns), or, for one series, by the
        target; a DataFrame indexed by series with one column per target.

    Returns
    -------
    scores : DataFrame
        Indexed by the ``by`` columns and ``"target"``, with columns:

        * ``n``: number of (forecast, actual) pairs;
        * ``mae``, ``rmse``: mean absolute and root mean squared error;
        * ``mase``: mean of the absolute errors, each divided by the scale
          of its series and target (with ``train`` or ``scale``); below 1 the
          forecast beats the in-sample seasonal naive forecast. A series
          without scale, or with scale 0, gets NaN (with a warning);
        * ``pinball_q<level>`` for every quantile column ``q<level>`` of
          ``frame``, and ``pinball``, their mean over the levels (a
          discretised CRPS);
        * ``coverage``: fraction of actuals inside ``[lower, upper]``, and
          ``width``: mean ``upper - lower``, when ``frame`` has those.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sktsmixer.model_selection import backtest_scores
    >>> frame = pd.DataFrame({"origin": [0, 0, 1, 1], "step": [1, 2, 1, 2],
    ...                       "target": "y", "forecast": [1.0, 2.0, 3.0, 4.0],
    ...                       "actual": [2.0, 2.0, 1.0, np.nan]})
    >>> backtest_scores(frame, scale=2.0).round(3)  # doctest: +NORMALIZE_WHITESPACE
                 n  mae   rmse  mase
    step target
    1    y       2  1.5  1.581  0.75
    2    y       1  0.0  0.000  0.00
    """
    for column in ("target", "forecast", "actual"):
        if column not in getattr(frame, "columns", ()):
            raise ValueError(
                f"frame must be a backtest frame with a {column!r} column; got "
                f"{type(frame).__name__} with columns {list(getattr(frame, 'columns', []))}."
            )
    keys = list(frame.attrs.get("series_columns", ["series"] if "series" in frame else []))
    groups = _groups(by, keys, frame)
    actual = frame["actual"].to_numpy(dtype=np.float64, na_value=np.nan)
    error = actual - frame["forecast"].to_numpy(dtype=np.float64, na_value=np.nan)
    known = np.isfinite(error)
    rows = frame[groups].copy()
    rows["n"] = known.astype(np.int64)
    rows["mae"] = np.where(known, np.abs(error), np.nan)
    rows["rmse"] = np.where(known, error**2, np.nan)
    row_scale = _row_scale(frame, keys, season_length, train, series_column, scale)
    if row_scale is not None:
        rows["mase"] = rows["mae"] / row_scale
    losses = []
    for column, level in _quantile_columns(frame):
        diff = actual - frame[column].to_numpy(dtype=np.float64, na_value=np.nan)
        rows[f"pinball_{column}"] = np.maximum(level * diff, (level - 1) * diff)
        losses.append(rows[f"pinball_{column}"].to_numpy())
    if losses:
        rows["pinball"] = np.mean(losses, axis=0)  # NaN where any level is missing
    if {"lower", "upper"} <= set(frame.columns):
        lower, upper = (
            frame[c].to_numpy(dtype=np.float64, na_value=np.nan) for c in ("lower", "upper")
        )
        bounded = np.isfinite(lower) & np.isfinite(upper)
        inside = (lower <= actual) & (actual <= upper)
        rows["coverage"] = np.where(bounded & np.isfinite(actual), inside, np.nan)
        rows["width"] = np.where(bounded, upper - lower, np.nan)
    grouped = rows.groupby(groups, sort=True, observed=True, dropna=False)
    scores = grouped.mean()
    scores["n"] = grouped["n"].sum()
    scores["rmse"] = np.sqrt(scores["rmse"])
    return scores


def _groups(by, keys, frame):
    if by is None:
        by = ()
    elif isinstance(by, str):
        by = (by,)
    groups = []
    for column in by:
        expanded = keys if column == "series" and "series" not in frame.columns else [column]
        if column == "series" and not expanded:
            raise ValueError("by='series' needs a panel backtest; this frame has one series.")
        groups += [c for c in expanded if c not in groups]
    missing = [c for c in groups if c not in frame.columns]
    if missing:
        raise ValueError(f"by names column(s) {missing} that frame lacks: {list(frame.columns)}.")
    return [c for c in groups if c != "target"] + ["target"]


def _quantile_columns(frame):
    found = []
    for column in frame.columns:
        match = _QUANTILE_COLUMN.match(str(column))
        if match and 0 < float(match.group(1)) < 1:
            found.append((column, float(match.group(1))))
    return found


def _row_scale(frame, keys, season_length, train, series_column, scale):
    """The MASE scale of every row of ``frame`` (None when MASE is not asked)."""
    if train is not None and scale is not None:
        raise ValueError(
            "Give the MASE scale by train= (with season_length=) or by scale=, not both."
        )
    if train is None and scale is None:
        if season_length is not None:
            raise ValueError(
                "MASE divides by the seasonal naive error on the training data: pass "
                "train= (the data the model was fitted on) with season_length=, or scale=."
            )
        return None
    if train is not None:
        if (
            isinstance(season_length, bool)
            or not isinstance(season_length, numbers.Integral)
            or season_length < 1
        ):
            raise ValueError(
                f"season_length must be a positive integer with train=, got {season_length!r}."
            )
        table = _naive_scales(
            train,
            series_column,
            keys,
            frame["target"].unique(),
            season_length,
            frame.attrs.get("calendar"),
        )
    elif isinstance(scale, numbers.Real) and not isinstance(scale, bool):
        table = pd.DataFrame({"target": frame["target"].unique(), "scale": float(scale)})
    else:
        table = _scale_table(scale, keys)
    on = keys + ["target"] if "target" in table.columns else keys
    row_scale = frame[keys + ["target"]].merge(table, how="left", on=on)["scale"]
    row_scale = row_scale.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~(row_scale > 0)
    if bad.any():
        where = frame.loc[bad, keys + ["target"]].drop_duplicates().head(5)
        warnings.warn(
            f"No positive MASE scale for {len(where)}+ series/targets (first: "
            f"{where.to_dict('records')}); their MASE is NaN. A scale of 0 is a series that "
            "the seasonal naive forecast fits exactly in train.",
            UserWarning,
            stacklevel=3,
        )
        row_scale = np.where(bad, np.nan, row_scale)
    return row_scale


def _scale_table(scale, keys):
    """Long ``(keys..., target, scale)`` table from a Series or DataFrame of scales."""
    if isinstance(scale, pd.DataFrame):
        if not keys:
            raise ValueError(
                "A DataFrame scale= is per series; this frame has one series: "
                "pass a float or a Series indexed by target."
            )
        long = scale.rename_axis(index=keys, columns="target").stack().rename("scale")
        return long.reset_index()
    if isinstance(scale, pd.Series):
        if not keys:
            return scale.rename_axis("target").rename("scale").reset_index()
        # No target column: the scale of a series applies to all its targets.
        return scale.rename_axis(keys).rename("scale").reset_index()
    raise ValueError(
        "scale must be a positive float, a Series or a DataFrame of scales, got "
        f"{type(scale).__name__}."
    )


def _naive_scales(train, series_column, keys, targets, season_length, calendar=None):
    """``(keys..., target, scale)``: the in-sample seasonal naive MAE of every series.

    Steps are counted on the backtest's grid (its business ``calendar``, if any).
    """
    rows = locate_rows(train, series_column, calendar)
    if list(rows.key_names) != list(keys):
        raise ValueError(
            f"train's series key {rows.key_names} is not the backtest's {keys}: pass "
            "series_column= as the estimator's, and train in the format of backtest's X."
        )
    values = rows.values(train, list(targets))
    offsets = rows.panel.offsets
    n_blocks = len(offsets) - 1
    block = np.repeat(np.arange(n_blocks), np.diff(offsets))
    later = np.flatnonzero(np.arange(len(block)) - offsets[block] >= season_length)
    diff = np.abs(values[later] - values[later - season_length])
    known = np.isfinite(diff)
    total = np.zeros((n_blocks, len(targets)))
    count = np.zeros((n_blocks, len(targets)))
    np.add.at(total, block[later], np.where(known, diff, 0.0))
    np.add.at(count, block[later], known)
    with np.errstate(invalid="ignore", divide="ignore"):
        scales = total / count
    _, first_row = np.unique(rows.block, return_index=True)  # a row of X of every block
    table = {
        name: np.repeat(np.asarray(key.take(first_row)), len(targets))
        for name, key in zip(keys, rows.keys, strict=True)
    }
    table["target"] = np.tile(np.asarray(targets, dtype=object), n_blocks)
    table["scale"] = scales.ravel()
    return pd.DataFrame(table)
