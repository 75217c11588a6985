"""Calendar features computed from a regular ``DatetimeIndex``.

Each feature is a sine/cosine pair of one calendar cycle (hour of the day,
day of the week, ...), so midnight is next to 23:00 and December next to
January. They depend only on the timestamps, hence are known for any future
step and need no input at forecast time.
"""

import numpy as np
import pandas as pd

__all__ = ["TIME_FEATURES", "resolve_time_features", "time_feature_matrix"]

# name -> (value of the timestamps, cycle length)
TIME_FEATURES = {
    "minute": (lambda t: t.minute, 60),
    "hour": (lambda t: t.hour + t.minute / 60, 24),
    "dayofweek": (lambda t: t.day_of_week + t.hour / 24, 7),
    "dayofmonth": (lambda t: t.day - 1, 31),
    "dayofyear": (lambda t: t.day_of_year - 1, 366),
    "month": (lambda t: t.month - 1, 12),
}


def resolve_time_features(spec, step):
    """The feature names for ``time_features=spec`` on data with time ``step``.

    Parameters
    ----------
    spec : None, "auto" or list of str
        ``"auto"`` keeps the cycles longer than one step that the data can
        resolve, but the year for sub-daily data: sub-hourly data gets
        minute, hour and day of week; hourly data hour and day of week;
        daily data day of week, day of month and day of year; coarser data
        month.
    step : pandas offset, Timedelta or None
        The step of the time index (None when it is not a regular
        ``DatetimeIndex``).

    Returns
    -------
    names : list of str
    """
    if spec is None:
        return []
    if step is None or not isinstance(step, (pd.Timedelta, pd.offsets.BaseOffset)):
        raise ValueError(
            f"time_features={spec!r} needs X indexed by a regular DatetimeIndex (or a "
            "(series, time) MultiIndex whose time level is one); set the timestamps as the "
            "index (X.set_index('time')) or pass time_features=None."
        )
    if isinstance(spec, str):
        if spec != "auto":
            raise ValueError(f"time_features must be None, 'auto' or a list, got {spec!r}.")
        seconds = _step_seconds(step)
        # No day of the year for sub-daily data: a few years of hourly rows
        # do not teach an annual cycle, and on electricity prices it made
        # the forecasts worse (relMASE 0.83 -> 1.10).
        if seconds < 3600:
            return ["minute", "hour", "dayofweek"]
        if seconds < 86400:
            return ["hour", "dayofweek"]
        if seconds < 7 * 86400:
            return ["dayofweek", "dayofmonth", "dayofyear"]
        return ["month"]
    names = list(spec)
    unknown = [name for name in names if name not in TIME_FEATURES]
    if unknown or len(set(names)) != len(names) or not names:
        raise ValueError(
            f"time_features must list distinct names from {sorted(TIME_FEATURES)}, got {spec!r}."
        )
    return names


def _step_seconds(step):
    if isinstance(step, pd.Timedelta):
        return step.total_seconds()
    # Calendar offsets (MonthBegin, BusinessDay, ...): the length of one step.
    start = pd.Timestamp("2001-01-01")
    return ((start + step) - start).total_seconds()


def time_feature_matrix(timestamps, names, dtype="float32"):
    """Sine/cosine pairs of ``names`` for ``timestamps``.

    Parameters
    ----------
    timestamps : DatetimeIndex
    names : list of str
    dtype : str, default="float32"

    Returns
    -------
    features : ndarray of shape (len(timestamps), 2 * len(names))
        Columns ``sin(name_0), cos(name_0), sin(name_1), ...``.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.date_range("2024-01-01", periods=3, freq="6h")
    >>> time_feature_matrix(t, ["hour"]).round(3)
    array([[ 0.,  1.],
           [ 1.,  0.],
           [ 0., -1.]], dtype=float32)
    """
    features = np.empty((len(timestamps), 2 * len(names)), dtype=dtype)
    for i, name in enumerate(names):
        value, period = TIME_FEATURES[name]
        angle = 2 * np.pi * np.asarray(value(timestamps), dtype="float64") / period
        features[:, 2 * i] = np.sin(angle)
        features[:, 2 * i + 1] = np.cos(angle)
    return features
