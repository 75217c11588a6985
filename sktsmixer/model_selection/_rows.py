"""The series key and time grid of the rows of ``X``, read from ``X`` itself.

Backtests and their scores name every forecast by its series and time. The
labels come from the rows of ``X`` (its columns or index levels), so a key of
several columns keeps those columns; the time grid (its step, and the gaps of
every series) is the estimator's own, found by ``parse_panel`` on a frame
that holds only one integer code per series.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sktsmixer.data.panel import parse_panel

# Columns every backtest frame has: a series key may not take their names.
RESERVED = ("origin", "step", "time", "target", "forecast", "actual", "lower", "upper")


@dataclass
class Rows:
    """Where every row of ``X`` lies: its series, block and position on the grid.

    Attributes
    ----------
    key_names : list
        Output names of the key columns: ``[]`` for one series, ``["series"]``
        for a one-column key, the column names of a compound key.
    keys : list of Index
        One per key column, the label of every row of ``X``.
    labels : Index
        The time label of every row of ``X`` (positions for an array).
    panel : Panel
        The grid (one placeholder column): ``rows``, ``offsets``, ``step``.
    block, position : ndarray of int
        Series block and position inside it of every row of ``X``.
    """

    key_names: list
    keys: list
    labels: pd.Index
    panel: object
    block: np.ndarray
    position: np.ndarray

    @property
    def lengths(self):
        """Grid length of the block of every row."""
        return self.panel.lengths[self.block]

    def values(self, X, columns):
        """Columns of ``X`` laid on the grid: ``(n_grid_rows, len(columns))``, NaN in gaps."""
        if isinstance(X, pd.DataFrame):
            missing = [c for c in columns if c not in X.columns]
            if missing:
                raise ValueError(f"X has no column(s) {missing}; it has {list(X.columns)}.")
            data = X[list(columns)].to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            data = np.asarray(X, dtype=np.float64)[:, list(columns)]
        grid = np.full((self.panel.offsets[-1], len(columns)), np.nan)
        grid[self.panel.rows] = data
        return grid


def row_keys(X, series_column):
    """Output key names, key labels per row, and time labels per row of ``X``."""
    if not isinstance(X, pd.DataFrame):
        if series_column is not None:
            raise ValueError(
                f"series_column={series_column!r} needs X as a DataFrame (long format)."
            )
        return [], [], pd.RangeIndex(len(X))
    index = X.index
    multi = isinstance(index, pd.MultiIndex)
    if series_column is None:
        if not multi:
            return [], [], index
        if index.nlevels != 2:
            raise ValueError(
                f"X has a {index.nlevels}-level MultiIndex; a panel needs two levels "
                "(series, time), or the estimator's series_column."
            )
        return ["series"], [index.get_level_values(0)], index.get_level_values(1)
    compound = isinstance(series_column, (list, tuple))
    names = list(series_column) if compound else [series_column]
    compound = len(names) > 1  # a one-column list is that column, as for the estimator
    keys = []
    for name in names:
        if name in X.columns:
            keys.append(pd.Index(X[name]))
        elif multi and name in index.names:
            keys.append(index.get_level_values(name))
        else:
            raise ValueError(
                f"The series column {name!r} is neither a column of X ({list(X.columns)}) "
                f"nor an index level ({list(index.names)})."
            )
    times = index
    if multi:
        rest = [i for i, level in enumerate(index.names) if level not in names]
        if len(rest) != 1:
            raise ValueError(
                f"X's MultiIndex levels {list(index.names)} must be the series key {names} "
                "and one time level."
            )
        times = index.get_level_values(rest[0])
    key_names = names if compound else ["series"]
    clash = [name for name in key_names if name in RESERVED]
    if clash:
        raise ValueError(
            f"The series key column(s) {clash} clash with the backtest's own columns "
            f"{list(RESERVED)}; rename them in X."
        )
    return key_names, keys, times


def locate_rows(X, series_column, calendar=None):
    """The :class:`Rows` of ``X`` for an estimator with this ``series_column``.

    ``calendar`` is the estimator's business calendar (``calendar_``, or
    its ``calendar`` parameter before a fit); None: a continuous clock.
    """
    key_names, keys, labels = row_keys(X, series_column)
    n = len(labels)
    if keys:
        codes, _ = pd.factorize(keys[0] if len(keys) == 1 else pd.MultiIndex.from_arrays(keys))
        if (codes < 0).any():
            raise ValueError("The series key of X holds missing labels; drop or fill those rows.")
        frame = pd.DataFrame({"_code": codes, "_value": np.zeros(n)}, index=pd.Index(labels))
        panel, _, _ = parse_panel(frame, "_code", calendar=calendar)
    elif isinstance(X, pd.DataFrame):
        frame = pd.DataFrame({"_value": np.zeros(n)}, index=labels)
        panel, _, _ = parse_panel(frame, calendar=calendar)
    else:
        panel, _, _ = parse_panel(np.zeros((n, 1)))
    block = np.searchsorted(panel.offsets, panel.rows, side="right") - 1
    position = panel.rows - panel.offsets[block]
    return Rows(key_names, keys, pd.Index(labels), panel, block, position)


def target_times(rows, selected, horizon):
    """Time labels of the ``horizon`` steps after each row of ``selected``, as one flat
    Index (row-major: all steps of the first row, then the next).

    Beyond the end of a series the labels continue its grid; without a
    regular time index (an array: row positions continue; any other index:
    labels of rows inside ``X`` only) they are missing.
    """
    panel, steps = rows.panel, np.arange(1, horizon + 1)
    position, block = rows.position[selected], rows.block[selected]
    if panel.index_kind is None:
        if isinstance(rows.labels, pd.RangeIndex):  # an array: rows are positions
            return pd.Index((np.asarray(rows.labels[selected])[:, None] + steps).ravel())
        lookup = np.full(panel.offsets[-1], None, dtype=object)
        lookup[panel.rows] = np.asarray(rows.labels, dtype=object)
        target = position[:, None] + steps
        length = panel.lengths[block][:, None]
        grid = panel.offsets[block][:, None] + np.minimum(target, length - 1)
        return pd.Index(np.where(target < length, lookup[grid], None).ravel(), dtype=object)
    origins = rows.labels[selected]
    if panel.index_kind == "integer":
        return pd.Index((np.asarray(origins)[:, None] + panel.step * steps).ravel())
    try:
        if panel.calendar is not None:  # business hours: per block, as the offsets
            raise TypeError
        step = pd.Timedelta(panel.step)
    except (TypeError, ValueError):  # calendar offsets (months, business days): per block
        where = np.empty((len(selected), horizon), dtype=np.int64)
        pieces, offset = [], 0
        for b in np.unique(block):
            mine = np.flatnonzero(block == b)
            pieces.append(panel.block_times(b, 0, horizon))
            where[mine] = offset + position[mine][:, None] + steps
            offset += len(pieces[-1])
        times = pieces[0].append(pieces[1:]) if len(pieces) > 1 else pieces[0]
        return times.take(where.ravel())
    # Fixed steps are absolute durations (as the estimator's forecast index).
    return pd.DatetimeIndex(origins.repeat(horizon)) + pd.to_timedelta(
        np.tile(steps, len(selected)) * step
    )


def truth(rows, grid_values, selected, horizon):
    """The values ``(len(selected), horizon, n_columns)`` on the steps after ``selected``."""
    panel = rows.panel
    block, steps = rows.block[selected], np.arange(1, horizon + 1)
    target = rows.position[selected][:, None] + steps
    length = panel.lengths[block][:, None]
    grid = panel.offsets[block][:, None] + np.minimum(target, length - 1)
    out = grid_values[grid]
    out[target >= length] = np.nan
    return out
