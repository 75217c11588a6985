"""Synthetic data sets to try the estimator on without downloading anything.

:func:`make_panel` draws a panel of hourly (or daily, ...) series in the long
layout that :class:`~sktsmixer.TSMixerRegressor` reads with
``series_column=``: one row per series and time step, a target with daily and
weekly cycles, a known-ahead covariate that drives it and a static column that
sets each series' level.
"""

import numbers

import numpy as np
import pandas as pd
from scipy.signal import lfilter
from sklearn.utils import check_random_state

__all__ = ["make_panel"]

# Temperature above which cooling adds load, as in electricity demand curves.
_COMFORT = 18.0


def make_panel(
    n_series=3,
    n_steps=24 * 7 * 6,
    *,
    freq="h",
    start="2025-01-06",
    covariates=True,
    noise=0.03,
    random_state=None,
):
    """Make a panel of synthetic electricity-load series with covariates.

    Each series is the load of one region. Its level is set by the region's
    population (a static column); on top of the level sit a daily cycle
    (low at night, high in the evening, from the hour of the timestamps), a
    weekly cycle (weekends lower) and the effect of the temperature, which
    adds load both when it is cold (heating) and when it is hot (cooling).
    The temperature has its own daily cycle plus a slow random drift that is
    shared in part by all regions; since weather forecasts are published
    ahead, it is a *known-ahead* covariate (``future_columns``). Where the
    drift goes over the next day cannot be read from the past of the load,
    so a model that is given the temperature of the forecast hours forecasts
    better than one that is not.

    Parameters
    ----------
    n_series : int, default=3
        Number of series (regions), at least 1.
    n_steps : int, default=1008
        Number of time steps of every series (six weeks of hours by
        default), at least 2.
    freq : str or pandas offset, default="h"
        Step of the time index, any frequency :func:`pandas.date_range`
        accepts. The daily cycle follows the hour of the day, so it is flat
        for daily or coarser data; the weekly cycle follows the day of week.
    start : str or timestamp, default="2025-01-06"
        First timestamp of every series (a Monday).
    covariates : bool, default=True
        Whether to include the ``temperature`` (known-ahead) and
        ``population`` (static) columns. The load depends on the temperature
        either way; without the column it is an unexplained drift.
    noise : float, default=0.03
        Standard deviation of the multiplicative noise on the load, as a
        fraction of the region's level. Must be non-negative.
    random_state : int, numpy.random.RandomState instance or None, default=None
        Seeds the populations, the weather and the noise. Pass an int for the
        same panel on every call.

    Returns
    -------
    panel : pandas.DataFrame
        Long DataFrame of ``n_series * n_steps`` rows, series after series,
        each series sorted by time, indexed by a :class:`pandas.DatetimeIndex`
        named ``"time"`` (repeated once per series). Columns:

        - ``series`` (str): the region, ``"region_0"``, ``"region_1"``, ...;
        - ``load`` (float): the target, in MW;
        - ``temperature`` (float, if ``covariates``): degrees Celsius;
        - ``population`` (float, if ``covariates``): thousands of inhabitants,
          constant within a series.

    See Also
    --------
    sktsmixer.TSMixerRegressor : fit it with ``series_column="series"``,
        ``target_columns=["load"]``, ``future_columns=["temperature"]`` and
        ``static_columns=["population"]``.

    Examples
    --------
    >>> from sktsmixer.datasets import make_panel
    >>> panel = make_panel(n_series=2, n_steps=48, random_state=0)
    >>> panel.shape
    (96, 4)
    >>> list(panel.columns)
    ['series', 'load', 'temperature', 'population']
    >>> panel.index[:2].tolist()
    [Timestamp('2025-01-06 00:00:00'), Timestamp('2025-01-06 01:00:00')]
    >>> panel.groupby("series")["population"].nunique().tolist()
    [1, 1]
    """
    n_series = _check_count(n_series, "n_series", 1)
    n_steps = _check_count(n_steps, "n_steps", 2)
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not noise >= 0:
        raise ValueError(f"noise must be a non-negative number, got {noise!r}.")
    try:
        times = pd.date_range(start=start, periods=n_steps, freq=freq, name="time")
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"make_panel could not make a time index from start={start!r} and freq={freq!r} "
            f"({error}); pass a pandas frequency such as 'h', '30min' or 'D' and a date."
        ) from error
    rng = check_random_state(random_state)

    hour = np.asarray(times.hour + times.minute / 60, dtype=float)
    weekend = np.asarray(times.day_of_week >= 5)
    # Evening peak, night trough: two harmonics of the day.
    daily = 0.2 * np.sin(2 * np.pi * (hour - 12) / 24) + 0.05 * np.sin(4 * np.pi * (hour - 5) / 24)
    weekly = np.where(weekend, -0.12, 0.03)
    # Weather: a slow drift shared by all regions plus a local one, so that
    # the temperature is neither a constant nor predictable from the calendar.
    common = _slow_walk(rng, n_steps, scale=4.0)

    populations = rng.uniform(50.0, 800.0, size=n_series).round(1)
    frames = []
    for k, population in enumerate(populations):
        local_offset = rng.normal(0.0, 2.0)
        temperature = (
            8.0
            + local_offset
            + 4.0 * np.sin(2 * np.pi * (hour - 9) / 24)
            + common
            + _slow_walk(rng, n_steps, scale=2.0)
        )
        # Heating below the comfort temperature, cooling (less steep) above.
        weather = 0.025 * np.maximum(_COMFORT - temperature, 0) + 0.015 * np.maximum(
            temperature - _COMFORT, 0
        )
        level = 2.0 * population
        shape = 1.0 + daily + weekly + weather
        load = level * (shape + rng.normal(0.0, noise, n_steps))
        columns = {"series": f"region_{k}", "load": load}
        if covariates:
            columns["temperature"] = temperature.round(2)
            columns["population"] = population
        frames.append(pd.DataFrame(columns, index=times))
    return pd.concat(frames)


def _slow_walk(rng, n_steps, scale):
    """Weather-like drift: an AR(1) process that forgets over about three days of steps.

    Mean-reverting (unlike a random walk), so long panels stay in a plausible
    range; ``scale`` is its stationary standard deviation in degrees.
    """
    phi = np.exp(-1.0 / 72)
    shocks = rng.normal(0.0, scale * np.sqrt(1 - phi**2), n_steps)
    shocks[0] = rng.normal(0.0, scale)  # start in the stationary distribution
    return lfilter([1.0], [1.0, -phi], shocks)


def _check_count(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)
