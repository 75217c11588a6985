"""Seasons and calendars read from the data (no model, no Keras).

What ``fit`` learns about the rhythm of the data before it chooses a window:
the season length of a time step or, without a calendar, the one the
autocorrelation shows; whether the data lies on a calendar of its own; and
whether calendar features would tell the model something its inputs do not.
The estimator's ``"auto"`` settings (:mod:`sktsmixer.adaptive`) build on these.
"""

import numpy as np

from sktsmixer.data.time_features import _step_seconds

__all__ = [
    "CALENDAR_GAPS",
    "MAX_INPUT_SIZE",
    "estimate_season_length",
    "has_calendar_gaps",
    "panel_season",
    "panel_wants_calendar",
    "season_lengths",
    "wants_calendar",
]

# The paper's longest window; longer ones cost time for little gain.
MAX_INPUT_SIZE = 512
# Share of the time grid missing from the data above which the series is
# taken to be observed on a calendar of its own (opening hours, weekdays).
CALENDAR_GAPS = 0.1


def season_lengths(step):
    """The seasonal period and the longest useful cycle for a time step.

    Parameters
    ----------
    step : pandas.Timedelta or DateOffset
        The regular step of a ``DatetimeIndex``.

    Returns
    -------
    period : int
        Steps in one season: the day for sub-daily data (24 hourly, 48
        half-hourly), the week for daily data, the year for weekly, monthly
        and quarterly data, 1 for yearly data.
    cycle : int
        Steps in the longest cycle an input window should cover: a week for
        sub-daily data (capped by ``MAX_INPUT_SIZE``, but at least a day), four weeks
        for daily data, a year for weekly data, two years for monthly data,
        three for quarterly data.

    Examples
    --------
    >>> import pandas as pd
    >>> season_lengths(pd.Timedelta("1h"))
    (24, 168)
    >>> season_lengths(pd.offsets.MonthBegin())
    (12, 24)
    """
    seconds = _step_seconds(step)
    day, week = 86_400, 7 * 86_400
    if seconds < day:
        per_day = max(1, round(day / seconds))
        return per_day, max(min(7 * per_day, MAX_INPUT_SIZE), per_day)
    if seconds < week:
        return 7, 28
    if seconds < 28 * day:
        return 52, 52
    if seconds < 80 * day:
        return 12, 24
    if seconds < 360 * day:
        return 4, 12
    return 1, 8


def has_calendar_gaps(present):
    """Whether ``time_features="auto"`` adds calendar features.

    Only when more than ``CALENDAR_GAPS`` of the time grid is missing, as in
    data observed on opening hours or weekdays: a window then crosses nights
    and weekends of unknown length, and the position of a row in it no
    longer tells its time of day or week. On a full grid the plain model
    learns the cycles from the window itself; on the suite's tuning blocks,
    calendar features there made the forecasts worse (relMASE 0.86 -> 1.14 on
    ETTh1, 0.84 -> 0.95 on EPF, seed 0).

    Parameters
    ----------
    present : ndarray of bool
        Whether each row of the time grid is a row of the data.

    Returns
    -------
    bool
    """
    present = np.asarray(present, dtype=bool)
    return bool(len(present)) and 1 - present.mean() > CALENDAR_GAPS


def wants_calendar(present, step, covariates, known=None, offsets=None, calendar=None):
    """The ``time_features="auto"`` rule: whether calendar features are added.

    They are added to data with a ``DatetimeIndex`` when

    * it is laid on a business calendar (see :mod:`sktsmixer.data.calendars`):
      a window skips nights and weekends, so its rows no longer tell the
      day of the week, or
    * more than ``CALENDAR_GAPS`` of its time grid is missing (see
      :func:`has_calendar_gaps`), or
    * the model reads known-ahead or static inputs (TSMixer-Ext, whose
      horizon-side mixing sees each future step only through its inputs)
      and no known-ahead column already repeats exactly with the season or
      the week (an hour or weekday column the user passed).

    On a full grid without covariates the plain model learns the cycles from
    the window and calendar inputs made its forecasts worse on the benchmark
    suite's tuning blocks (relMASE 0.86 -> 1.14 on ETTh1); on EPF, whose
    known-ahead inputs include hour and weekday columns, adding them cost
    0.77 -> 0.83; on a synthetic panel with a temperature forecast and no
    calendar column, leaving them out raised the error from 38 to 61 MW.

    Parameters
    ----------
    present : ndarray of bool
        Whether each row of the time grid is a row of the data.
    step : pandas.Timedelta or DateOffset
    covariates : bool
        Whether the model reads known-ahead or static inputs.
    known : ndarray of shape (n_grid_rows, n_known) or None
        The known-ahead columns on the grid.
    offsets : ndarray of int or None
        Where each series starts on the grid (``known`` is checked per
        series).
    calendar : SessionCalendar or None
        The business calendar the grid follows, if any.

    Returns
    -------
    bool
    """
    if calendar is not None or has_calendar_gaps(present):
        return True
    if not covariates:
        return False
    if known is None or not known.shape[1]:
        return True
    period, _ = season_lengths(step)
    lags = {lag for lag in (period, 7 * period if _step_seconds(step) < 86_400 else 0) if lag > 1}
    if offsets is None:
        offsets = np.array([0, len(known)])
    for column in known.T:
        if any(_repeats(column, offsets, lag) for lag in lags):
            return False
    return True


def _repeats(column, offsets, lag):
    """Whether ``column`` equals itself ``lag`` rows later on 99% of its observed pairs."""
    same = total = 0
    for start, stop in zip(offsets[:-1], offsets[1:], strict=True):
        values = column[start:stop]
        if len(values) <= lag:
            continue
        a, b = values[lag:], values[:-lag]
        observed = ~(np.isnan(a) | np.isnan(b))
        same += int(np.count_nonzero(a[observed] == b[observed]))
        total += int(np.count_nonzero(observed))
    return total > 0 and same >= 0.99 * total


def estimate_season_length(blocks, max_lag=1000, threshold=0.1):
    """The seasonal period of series without a calendar, from their autocorrelation.

    The autocorrelation function is averaged over the series, once for the
    linearly detrended values and once for their first differences (a trend
    hides the seasonal peaks of the first, noise those of the second). In
    each, every local maximum is scored by its prominence: its height above
    the lowest value in the half period before it. Peaks count when their
    prominence reaches ``threshold`` and they stand above ``threshold`` and
    above what white noise of that many values reaches (``4 / sqrt(n)``);
    the period is the shortest lag whose prominence is at least 80% of the
    best one (the multiples of a season stand about as high as the season).

    Parameters
    ----------
    blocks : list of ndarray of shape (n_rows, n_columns)
        The columns of every series (NaN allowed; the first 50 series count).
    max_lag : int, default=1000
        Longest period looked for (and at most a third of a series).
    threshold : float, default=0.1
        Lowest prominence that counts as a season.

    Returns
    -------
    period : int
        1 when no season stands out.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(2000)
    >>> rng = np.random.default_rng(0)
    >>> x = np.sin(2 * np.pi * t / 37) + 0.3 * rng.standard_normal(2000)
    >>> estimate_season_length([x[:, None]])
    37
    """
    candidates = []  # (prominence, lag)
    for transform in (_detrended, np.diff):
        mean, n_values = _mean_autocorrelation(blocks, transform, max_lag)
        if mean is None or len(mean) < 4:
            continue
        # White noise reaches about 2 / sqrt(n) at some lag: a season must stand higher.
        height = max(threshold, 4 / np.sqrt(n_values))
        peaks = np.flatnonzero((mean[1:-1] > mean[:-2]) & (mean[1:-1] >= mean[2:])) + 1
        for lag in peaks[peaks >= 2]:
            # The trough of a season lies half a period before its peak.
            prominence = mean[lag] - mean[lag // 2 : lag].min()
            if mean[lag] >= height and prominence >= threshold:
                candidates.append((prominence, int(lag)))
    if not candidates:
        return 1
    # Multiples of the season stand about as high: the shortest of the near-best.
    best = max(prominence for prominence, _ in candidates)
    return min(lag for prominence, lag in candidates if prominence >= 0.8 * best)


def _detrended(values):
    t = np.arange(len(values), dtype=np.float64)
    slope, intercept = np.polyfit(t, values, 1)
    return values - (slope * t + intercept)


def _mean_autocorrelation(blocks, transform, max_lag):
    total = count = None
    n_values = 0
    for block in blocks[:50]:  # enough series for a stable average
        block = np.asarray(block, dtype=np.float64)[-20_000:]
        for column in block.T:
            column = column[~np.isnan(column)]
            if len(column) < 9:
                continue
            values = transform(column)
            lags = min(max_lag, len(values) // 3)
            if lags < 3 or not np.std(values) > 0:
                continue
            acf = _autocorrelation(values, lags)
            if total is None:
                total, count = np.zeros(max_lag + 1), np.zeros(max_lag + 1)
            total[: len(acf)] += acf
            count[: len(acf)] += 1
            n_values += len(values)
    if total is None:
        return None, 0
    seen = count > 0
    return total[seen] / count[seen], n_values


def _autocorrelation(values, lags):
    """Autocorrelation at lags 0 ... ``lags`` (by FFT: series of 10^5 rows in milliseconds)."""
    centered = values - values.mean()
    n = len(centered)
    size = 1 << (2 * n - 1).bit_length()
    spectrum = np.fft.rfft(centered, size)
    acov = np.fft.irfft(spectrum * np.conj(spectrum), size)[: lags + 1]
    return acov / acov[0]


def panel_season(panel, y=None, target_indices=None):
    """``(period, cycle)`` of a panel: from its calendar, its time step, or its data.

    Without a calendar or a time step, the period is estimated from the
    autocorrelation of ``y`` (given) or of the ``target_indices`` columns,
    and the cycle is two periods.
    """
    if panel.calendar is not None:  # in slots of its sessions and session days
        return panel.calendar.season_lengths()
    if panel.index_kind == "datetime" and panel.step is not None:
        return season_lengths(panel.step)
    if y is not None:
        blocks = [y.reshape(len(y), -1)]
    else:
        blocks = [
            panel.dynamic[panel.offsets[i] : panel.offsets[i + 1], target_indices]
            for i in range(len(panel.labels))
        ]
    period = estimate_season_length(blocks)
    return period, (2 * period if period > 1 else 1)


def panel_wants_calendar(panel, future_indices):
    """:func:`wants_calendar` for a panel whose columns ``future_indices`` are known ahead.

    Only data on a time index with a regular step can have calendar features.
    """
    if panel.index_kind != "datetime" or panel.step is None:
        return False
    future_indices = list(future_indices)
    known = panel.dynamic[:, future_indices] if future_indices else None
    covariates = bool(future_indices) or panel.static.shape[1] > 0
    return wants_calendar(
        panel.present, panel.step, covariates, known, panel.offsets, panel.calendar
    )
