"""The data contract: how what the user passes becomes arrays with column roles.

``X`` is one series (an array, or a DataFrame indexed by time) or a panel of
many series in one long DataFrame (a ``series_column``, or a ``(series,
time)`` MultiIndex). Each series is laid on its regular time grid: a time
step missing from ``X`` (a gap) becomes a row of NaN, so no window ever reads
across a gap without knowing it. The series are concatenated into one array,
one *block* per series, and windows are later cut inside blocks only.

Column roles: ``static_columns`` are per-series constants (one row per
series), every other column is time-varying (*dynamic*); among those,
``target_columns`` are forecast and ``future_columns`` are known ahead.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_array

from sktsmixer.data.calendars import session_calendar, session_positions
from sktsmixer.data.categorical import categorical_dtype, category_codes, learn_categories
from sktsmixer.data.keys import _split_series_and_time, key_names, series_key
from sktsmixer.data.scaling import CHUNK_ROWS, _block_runs

__all__ = ["Panel", "parse_panel", "column_positions", "key_names", "series_key"]


@dataclass
class Panel:
    """Series laid on their time grids, concatenated block by block.

    Attributes
    ----------
    labels : list
        Series labels, in order of first appearance in ``X`` (``[None]`` for
        a single series without a series column; tuples for a compound key).
    offsets : ndarray of shape (n_series + 1,)
        Block ``i`` is rows ``offsets[i]:offsets[i + 1]`` of ``dynamic``.
    dynamic : ndarray of shape (n_grid_rows, n_dynamic)
        Time-varying columns; NaN where a value or a whole row is missing.
    present : ndarray of bool, shape (n_grid_rows,)
        Whether the grid row is a row of ``X`` (False in gaps).
    rows : ndarray of int, shape (n_rows_of_X,)
        Grid row of every row of ``X``, in ``X``'s order.
    static : ndarray of shape (n_series, n_static)
    starts : list
        First time label of every block (None without a time index).
    step : Timedelta, DateOffset, int or None
        The regular step of the time index (None: rows are steps).
    index_kind : {"datetime", "integer", None}
    time_name : hashable
        Name of the time index (or level).
    categories : dict
        Categories of every categorical value column (name -> Index), as
        learned from ``X`` or as given to ``parse_panel``.
    unseen : dict
        Values of categorical columns not among the given categories.
    calendar : SessionCalendar or None
        The business calendar the rows are laid on (None: a continuous
        clock of ``step``); see :mod:`sktsmixer.data.calendars`.
    """

    labels: list
    offsets: np.ndarray
    dynamic: np.ndarray
    present: np.ndarray
    rows: np.ndarray
    static: np.ndarray
    starts: list
    step: object
    index_kind: object
    time_name: object = None
    categories: dict = field(default_factory=dict)
    unseen: dict = field(default_factory=dict)
    calendar: object = None

    @property
    def lengths(self):
        return np.diff(self.offsets)

    def block_times(self, i, lead=0, trail=0):
        """Time labels of block ``i`` extended by ``lead`` and ``trail`` steps."""
        n = lead + int(self.lengths[i]) + trail
        if self.calendar is not None:
            return self.calendar.range(self.starts[i], n, shift=-lead)
        if self.index_kind == "datetime":
            start = self.starts[i] - lead * self.step
            return pd.date_range(start, periods=n, freq=self.step)
        if self.index_kind == "integer":
            start = self.starts[i] - lead * self.step
            return pd.RangeIndex(start, start + n * self.step, self.step)
        return None

    def next_label(self, i):
        """The time label that follows the last row of block ``i``."""
        if self.index_kind is None:
            return None
        if self.calendar is not None:
            return self.calendar.range(self.starts[i], 1, shift=int(self.lengths[i]))[0]
        return self.starts[i] + int(self.lengths[i]) * self.step


def column_positions(spec, names, n_columns, parameter):
    """Positions in ``names`` of the columns a parameter lists.

    Names select DataFrame columns, integers select positions (arrays).
    """
    if spec is None:
        return []
    if isinstance(spec, (str, int, np.integer)):
        spec = [spec]
    positions = []
    for column in spec:
        if not isinstance(column, (int, np.integer)) or isinstance(column, bool):
            if column in names:
                positions.append(names.index(column))
                continue
        elif 0 <= column < n_columns and all(isinstance(n, (int, np.integer)) for n in names):
            positions.append(int(column))
            continue
        role = parameter.replace("_columns", " column")
        raise ValueError(
            f"Unknown {role} {column!r} in {parameter}={spec!r}; X has columns {names}."
        )
    if len(set(positions)) != len(positions):
        raise ValueError(f"{parameter} must name distinct columns, got {spec!r}.")
    return positions


def parse_panel(
    X, series_column=None, static_columns=None, dtype=None, categories=None, calendar=None
):
    """Check ``X`` and lay its series on their time grids.

    Parameters
    ----------
    X : ndarray or DataFrame
    series_column : str, list or None
        Column or index level naming the series, or several (a compound key).
    static_columns : list or None
        Columns constant within each series.
    dtype : dtype or None
        Float dtype of the arrays (default: float32 for float32 input,
        float64 otherwise).
    categories : dict or None
        None: learn the categories of the text and ``category`` columns of
        ``X``. A dict (name -> Index), those learned in ``fit``: their codes
        are read with them (see :mod:`sktsmixer.data.categorical`).
    calendar : "auto", SessionCalendar or None
        None: a continuous clock. "auto": a business calendar when the
        timestamps show one (:func:`sktsmixer.data.calendars.infer_calendar`),
        else a continuous clock. A calendar: lay the rows on it.

    Returns
    -------
    panel : Panel
    names : list
        Names of the value columns of ``X`` (positions for an array),
        without the series column.
    dynamic_names : list
        Names of the time-varying columns, in ``X``'s order.
    """
    X_in = X
    if not isinstance(X, (pd.DataFrame, pd.Series)):
        X = check_array(
            X, dtype=np.float64, ensure_all_finite="allow-nan", ensure_2d=False, allow_nd=True
        )
    if isinstance(X, pd.Series) or X.ndim == 1:
        raise ValueError(
            "X must be 2-D with one row per time step and one column per variable; got a "
            "1-D series. Reshape your data: pass a one-column DataFrame (series.to_frame()) "
            "or array.reshape(-1, 1)."
        )
    if not isinstance(X, pd.DataFrame):
        if X.ndim != 2:
            raise ValueError(
                f"X must be 2-D (rows = time steps, columns = variables); got an array of "
                f"shape {X.shape}. A panel goes in a long DataFrame with a series_column."
            )
        if series_column is not None:
            raise ValueError(
                f"series_column={series_column!r} needs X as a DataFrame (long format, one "
                "row per series and time step)."
            )
        X = pd.DataFrame(check_array(X, dtype=np.float64, ensure_all_finite="allow-nan"))
    if len(X) == 0:  # as check_array says it for arrays
        raise ValueError(
            f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 is "
            "required: X has no rows."
        )
    labels, times, values = _split_series_and_time(X, series_column)
    names = list(values.columns)
    categorical = _check_value_dtypes(values, categories)
    if categories is None:
        categories = {name: learn_categories(values[name], name) for name in categorical}
    unseen = {}
    static_pos = column_positions(static_columns, names, len(names), "static_columns")
    dynamic_pos = [i for i in range(len(names)) if i not in static_pos]
    if not dynamic_pos:
        raise ValueError("X needs at least one time-varying column besides static_columns.")
    if dtype is None:
        dtypes = {values.dtypes.iloc[i] for i in dynamic_pos}
        dtype = np.float32 if dtypes == {np.dtype("float32")} else np.float64
    codes, uniques = pd.factorize(labels) if labels is not None else (None, [None])
    if codes is not None and (codes < 0).any():
        raise ValueError("The series column holds missing labels; drop or fill those rows.")
    n_series = len(uniques)
    # ``order`` sorts the rows by series (stably); None when they already are,
    # which spares per-row int64 copies on big panels.
    order = None
    if codes is not None and not (codes[1:] >= codes[:-1]).all():
        order = np.argsort(codes, kind="stable")
    if codes is None:
        bounds = np.array([0, len(X)])
    else:
        bounds = np.searchsorted(_take(codes, order), np.arange(n_series + 1))
    del codes
    kind, step = _time_step(times, order, bounds, list(uniques))
    if not isinstance(X_in, pd.DataFrame):
        kind, step = None, None  # an array's rows are steps without labels
    calendar = session_calendar(calendar, times, order, bounds, kind, step)
    if calendar is not None:
        starts, positions, lengths = session_positions(times, order, bounds, calendar, uniques)
        step = calendar.step
    else:
        starts, positions, lengths = _grid_positions(
            times, order, bounds, kind, step, list(uniques)
        )
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    if offsets[-1] >= np.iinfo(np.int32).max:
        # Windows are named by int32 rows inside the compiled graph.
        raise ValueError(
            f"X spans {offsets[-1]:,} time steps over its series (gaps included), more than "
            f"the {np.iinfo(np.int32).max:,} one fit can index. Fit on a subset of the "
            "series or of the time range."
        )
    for first, stop in _block_runs(bounds, CHUNK_ROWS):  # in place: no per-row temporaries
        positions[bounds[first] : bounds[stop]] += np.repeat(
            offsets[first:stop], np.diff(bounds[first : stop + 1])
        )
    # int32 fits (checked above) and halves an array kept for the whole fit.
    if order is None:
        rows = positions.astype(np.int32)
    else:
        rows = np.empty(len(X), dtype=np.int32)
        rows[order] = positions
    del positions
    dynamic = np.full((offsets[-1], len(dynamic_pos)), np.nan, dtype=dtype)
    for j, i in enumerate(dynamic_pos):
        column = _numeric(values.iloc[:, i], names[i], dtype, categories, unseen)
        if np.isinf(column).any():
            raise ValueError(
                f"Column {names[i]!r} of X holds infinite values; replace them (NaN marks a "
                "missing value)."
            )
        if np.isnan(column).all():
            raise ValueError(
                f"Column {names[i]!r} of X holds only NaN: there is nothing to learn from it. "
                "Drop it or fill it."
            )
        dynamic[rows, j] = column
    present = np.zeros(offsets[-1], dtype=bool)
    present[rows] = True
    static = _static_table(
        values, static_pos, names, order, bounds, list(uniques), categories, unseen
    )
    panel = Panel(
        list(uniques),
        offsets,
        dynamic,
        present,
        rows,
        static,
        starts,
        step,
        kind,
        getattr(times, "name", None),
        {name: categories[name] for name in names if name in categories},
        unseen,
        calendar,
    )
    return panel, names, [names[i] for i in dynamic_pos]


def _numeric(column, name, dtype, categories, unseen):
    """A value column as floats: category codes for a categorical column."""
    if name in categories:
        return category_codes(column, categories[name], name, unseen).astype(dtype, copy=False)
    return column.to_numpy(dtype=dtype, na_value=np.nan)


def _check_value_dtypes(values, categories):
    """Refuse timestamps; return the names of the categorical columns."""
    dates = [c for c, t in values.dtypes.items() if pd.api.types.is_datetime64_any_dtype(t)]
    if dates:
        raise ValueError(
            f"Column(s) {dates} of X hold timestamps. Set the time as the index "
            "(X.set_index(column)); time_features='auto' then derives calendar features."
        )
    categorical = [c for c, t in values.dtypes.items() if categorical_dtype(t)]
    other = [
        c
        for c, t in values.dtypes.items()
        if c not in categorical
        and not (pd.api.types.is_numeric_dtype(t) or pd.api.types.is_bool_dtype(t))
    ]
    if other:
        raise ValueError(
            f"Column(s) {other} of X hold values that are neither numbers, booleans, text "
            "nor categories; convert them (e.g. .astype(float) or .astype('category'))."
        )
    if categories is not None:
        new = [c for c in categorical if c not in categories]
        if new:
            raise ValueError(
                f"Column(s) {new} of X hold text or categories, but were numeric in fit. "
                "Pass them with the dtype they had in fit."
            )
    return categorical


def _take(values, order):
    """``values`` in series order (itself when already sorted)."""
    return values if order is None else values[order]


def _describe(label):
    return "X" if label is None else f"series {label!r}"


def _time_step(times, order, bounds, labels):
    """Kind of time index and its regular step, checking order and duplicates."""
    if isinstance(times, pd.DatetimeIndex) or pd.api.types.is_datetime64_any_dtype(times):
        kind, ticks = "datetime", np.asarray(pd.DatetimeIndex(times).as_unit("ns").asi8)
    elif pd.api.types.is_integer_dtype(getattr(times, "dtype", None)):
        kind, ticks = "integer", np.asarray(times, dtype=np.int64)
    else:
        if len(labels) > 1:
            raise ValueError(
                "A panel needs a DatetimeIndex or integer time (index or index level) to "
                "align its series; got an index of dtype "
                f"{getattr(times, 'dtype', type(times))}."
            )
        return None, None
    sorted_ticks = _take(ticks, order)
    diffs = np.diff(sorted_ticks)
    inside = np.ones(len(diffs), dtype=bool)
    inside[bounds[1:-1] - 1] = False  # differences across two series
    bad = np.flatnonzero(inside & (diffs <= 0))
    if len(bad):
        series = labels[np.searchsorted(bounds, bad[0], side="right") - 1]
        what = "duplicated" if diffs[bad[0]] == 0 else "out of time order"
        at = bad[0] + 1 if order is None else order[bad[0] + 1]
        raise ValueError(
            f"The time index of {_describe(series)} has rows {what} (at "
            f"{times[at]}). Sort it (X.sort_index()) and drop duplicated time "
            "steps (X[~X.index.duplicated()] or drop_duplicates) first."
        )
    if kind == "datetime" and isinstance(times, pd.DatetimeIndex) and times.freq is not None:
        return kind, times.freq
    if not inside.any():
        return kind, (pd.Timedelta(1, "h") if kind == "datetime" else 1)
    # The steps are the differences inside series; they are checked in place
    # in ``diffs`` rather than copied out (per-row int64 arrays on big panels).
    step = int(diffs.min(where=inside, initial=np.iinfo(np.int64).max))
    diffs[~inside] = step
    np.remainder(diffs, step, out=diffs)
    if not diffs.any():
        return kind, (pd.Timedelta(step, unit="ns") if kind == "datetime" else step)
    if kind == "datetime":
        longest = int(np.argmax(np.diff(bounds)))
        block = pd.DatetimeIndex(sorted_ticks[bounds[longest] : bounds[longest + 1]])
        freq = pd.infer_freq(block) if len(block) >= 3 else None
        if freq is not None:
            return kind, pd.tseries.frequencies.to_offset(freq)
    raise ValueError(
        "The time index is not regular: steps between rows are not multiples of one step "
        f"(smallest step {step}). Resample the series to a regular frequency first "
        "(X.resample(...).mean())."
    )


def _grid_positions(times, order, bounds, kind, step, labels):
    """Start label, grid position of every row (sorted order) and grid length per block."""
    n_series, n_rows = len(bounds) - 1, int(bounds[-1])
    if kind is None:
        return [None], np.arange(n_rows), np.array([n_rows])
    ordered = _take(pd.Index(times), order)
    if kind == "datetime":
        ordered = pd.DatetimeIndex(ordered)
    starts = [ordered[bounds[i]] for i in range(n_series)]
    if isinstance(step, (pd.Timedelta, int)) or kind == "integer":
        ticks = (
            ordered.as_unit("ns").asi8
            if kind == "datetime"
            else np.asarray(ordered, dtype=np.int64)
        )
        unit = step.value if kind == "datetime" else int(step)
        positions = np.empty(n_rows, dtype=np.int64)
        # A run of blocks at a time: the int64 temporaries stay CHUNK_ROWS long.
        for first, stop in _block_runs(bounds, CHUNK_ROWS):
            lo, hi = bounds[first], bounds[stop]
            block_starts = np.repeat(ticks[bounds[first:stop]], np.diff(bounds[first : stop + 1]))
            offsets = ticks[lo:hi] - block_starts
            off_grid = np.flatnonzero(offsets % unit)
            if len(off_grid):
                series = labels[np.searchsorted(bounds, lo + off_grid[0], "right") - 1]
                raise ValueError(
                    f"The timestamps of {_describe(series)} are not on a regular grid of step "
                    f"{step}; resample X to a regular frequency first."
                )
            positions[lo:hi] = offsets // unit
    else:  # calendar offsets (months, business days): place rows on date_range grids
        positions = np.empty(n_rows, dtype=np.int64)
        for i in range(n_series):
            block = ordered[bounds[i] : bounds[i + 1]]
            grid = pd.date_range(block[0], block[-1], freq=step)
            where = grid.get_indexer(block)
            if (where < 0).any():
                raise ValueError(
                    f"The timestamps of {_describe(labels[i])} are not on a regular "
                    f"{step.freqstr} grid; resample X first."
                )
            positions[bounds[i] : bounds[i + 1]] = where
    last = positions[bounds[1:] - 1] if n_rows else np.zeros(n_series, dtype=np.int64)
    return starts, positions, last + 1


def _static_table(values, static_pos, names, order, bounds, labels, categories, unseen):
    n_series = len(bounds) - 1
    table = np.empty((n_series, len(static_pos)))
    for j, i in enumerate(static_pos):
        column = values.iloc[:, i]
        # A float column keeps its dtype (float64 holds it exactly, and its
        # per-row copy would be twice as big); others are read as float64.
        floating = isinstance(column.dtype, np.dtype) and column.dtype.kind == "f"
        dtype = column.dtype if floating else np.float64
        column = _take(_numeric(column, names[i], dtype, categories, unseen), order)
        if not np.isfinite(column).all():
            raise ValueError(f"Static column {names[i]!r} holds NaN or infinite values.")
        first = column[bounds[:-1]]
        # Constant within a block <=> equal to the previous row of the block.
        changes = column[1:] != column[:-1]
        changes[bounds[1:-1] - 1] = False  # first rows of blocks
        if changes.any():
            series = labels[np.searchsorted(bounds, np.flatnonzero(changes)[0], "right") - 1]
            raise ValueError(
                f"Static column {names[i]!r} is not constant within {_describe(series)}; "
                "static_columns hold one value per series. Treat it as a time-varying "
                "column instead (remove it from static_columns)."
            )
        table[:, j] = first
    return table
