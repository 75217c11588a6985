"""What lies after the end of ``X``: the known-ahead values given for it, and
the time labels of the forecast rows."""

import numpy as np
import pandas as pd

from sktsmixer.data.keys import key_names
from sktsmixer.data.panel import parse_panel

__all__ = ["continued_times", "future_values", "steps_after"]


def future_values(panel, future, names, horizon, series_column, categories, calendar, unseen=None):
    """Check ``future`` and return its values ``(n_series, horizon, n_future)``, or None.

    Parameters
    ----------
    panel : Panel
        The panel whose series ``future`` continues.
    future : DataFrame, array-like or None
        The next ``horizon`` rows of the known-ahead columns ``names`` after
        every series of ``panel``: a DataFrame in the format of ``X``, or for
        one series an array of shape ``(horizon, len(names))``.
    names : list
        The known-ahead columns.
    horizon : int
    series_column, categories, calendar
        As fitted: how ``future``'s rows are parsed.
    unseen : dict, optional
        Categories of ``future`` not among ``categories`` are added to it.
    """
    if future is None:
        return None
    if not names:
        raise ValueError(
            "future= holds values of future_columns, and this estimator has none; fit it "
            "with future_columns=[...] or drop future=."
        )
    categories = categories or {}
    if not isinstance(future, pd.DataFrame):
        coded = [name for name in names if name in categories]
        if coded:
            raise ValueError(
                f"future_columns {coded} hold categories: pass future= as a DataFrame with "
                "those columns (an array holds no category labels)."
            )
        values = np.asarray(future, dtype=np.float64)
        if len(panel.labels) > 1 or values.shape != (horizon, len(names)):
            raise ValueError(
                f"future must hold the next horizon={horizon} rows of {names}: a DataFrame "
                f"indexed like X, or an array of shape ({horizon}, {len(names)}); got an "
                f"array of shape {values.shape}."
            )
        if not np.isfinite(values).all():
            raise ValueError("future holds NaN or infinite values; pass the known values.")
        return values[None]
    missing = [name for name in names if name not in future.columns]
    if missing:
        raise ValueError(
            f"future lacks the column(s) {missing}; it must hold the future_columns {names} "
            f"for the next {horizon} rows after X."
        )
    keep = names + [c for c in key_names(series_column) if c in future.columns]
    f_panel, _, f_dynamic = parse_panel(
        future[keep],
        series_column,
        categories=categories,
        calendar=calendar,
    )
    if unseen is not None:
        for name, values in f_panel.unseen.items():
            known = unseen.setdefault(name, [])
            known.extend(v for v in values if v not in known)
    found = {label: i for i, label in enumerate(f_panel.labels)}
    out = np.empty((len(panel.labels), horizon, len(names)))
    for i, label in enumerate(panel.labels):
        what = "future" if label is None else f"future of series {label!r}"
        if label not in found:
            raise ValueError(f"future has no rows for series {label!r}; pass {horizon} rows.")
        j = found[label]
        expected = panel.next_label(i)
        if expected is not None and f_panel.starts[j] != expected:
            raise ValueError(
                f"The {what} starts at {f_panel.starts[j]}, but X ends just before "
                f"{expected}: future must continue X's index (its first row at {expected})."
            )
        block = slice(f_panel.offsets[j], f_panel.offsets[j + 1])
        rows = f_panel.dynamic[block][:horizon]
        if len(rows) < horizon or not f_panel.present[block][:horizon].all():
            raise ValueError(
                f"The {what} holds {int(f_panel.present[block][:horizon].sum())} of the "
                f"{horizon} rows needed: pass every one of the next horizon={horizon} steps."
            )
        if not np.isfinite(rows).all():
            raise ValueError(
                f"The {what} holds NaN or infinite values in {names}; pass the known values."
            )
        out[i] = rows[:, [f_dynamic.index(name) for name in names]]
    return out


def steps_after(panel, start, horizon):
    """``horizon`` time labels from ``start`` on the time grid (or calendar) of ``panel``."""
    if panel.calendar is not None:  # business hours and days: on to the next session
        return panel.calendar.range(start, horizon)
    if panel.index_kind == "integer":
        return pd.RangeIndex(start, start + horizon * panel.step, panel.step)
    return pd.date_range(start, periods=horizon, freq=panel.step)


def continued_times(panel, starts, horizon):
    """``horizon`` time labels from each of ``starts``, one flat index for all series.

    Fixed steps are added to all series at once: one small index per series
    would cost more than the forecasts on a panel of tens of thousands.
    """
    if panel.index_kind == "integer":
        return pd.Index((np.asarray(starts)[:, None] + panel.step * np.arange(horizon)).ravel())
    if panel.calendar is not None:
        return panel.calendar.continued(starts, horizon)
    try:
        step = pd.Timedelta(panel.step)
    except (TypeError, ValueError):  # calendar offsets (months, business days)
        pieces = [steps_after(panel, start, horizon) for start in starts]
        return pieces[0].append(pieces[1:]) if len(pieces) > 1 else pieces[0]
    first = pd.DatetimeIndex(starts)
    tz = first.tz
    if tz is not None:  # fixed steps are fixed in UTC, across daylight saving changes
        first = first.tz_convert("UTC").tz_localize(None)
    offsets = step.to_timedelta64() * np.arange(horizon)
    times = pd.DatetimeIndex((first.values[:, None] + offsets).ravel())
    return times if tz is None else times.tz_localize("UTC").tz_convert(tz)
