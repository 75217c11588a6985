"""Settings decided from the data (``"auto"``): each rule on its own, then in a fit."""

import numpy as np
import pandas as pd
import pytest

from sktsmixer import TSMixerRegressor
from sktsmixer.adaptive import (
    CHECK_EVERY,
    MAX_INPUT_SIZE,
    MAX_STEPS,
    auto_dropout,
    auto_input_size,
    auto_schedule,
    estimate_season_length,
    season_lengths,
    wants_calendar,
)


@pytest.mark.parametrize(
    "step, period",
    [
        (pd.Timedelta("5min"), 288),
        (pd.Timedelta("30min"), 48),
        (pd.Timedelta("1h"), 24),
        (pd.Timedelta("1D"), 7),
        (pd.offsets.Week(), 52),
        (pd.offsets.MonthBegin(), 12),
        (pd.offsets.MonthEnd(), 12),
        (pd.offsets.QuarterBegin(startingMonth=1), 4),
        (pd.offsets.YearBegin(), 1),
    ],
)
def test_season_length_by_frequency(step, period):
    assert season_lengths(step)[0] == period


def test_the_cycle_is_at_least_the_season_and_fits_a_window():
    for step in ("5min", "30min", "1h", "1D"):
        period, cycle = season_lengths(pd.Timedelta(step))
        assert period <= cycle <= max(MAX_INPUT_SIZE, period)


@pytest.mark.parametrize("period", [7, 12, 37, 169])
def test_season_estimated_from_autocorrelation(period):
    rng = np.random.default_rng(period)
    t = np.arange(30 * period)
    values = 5 + np.sin(2 * np.pi * t / period) + 0.2 * rng.standard_normal(len(t))
    # A sine's autocorrelation is flat at its peak: noise may move it by a step.
    assert abs(estimate_season_length([values[:, None]]) - period) <= period // 100


def test_no_season_in_noise_or_in_short_series():
    rng = np.random.default_rng(0)
    assert estimate_season_length([rng.standard_normal((3000, 2))]) == 1
    assert estimate_season_length([np.arange(5.0)[:, None]]) == 1
    assert estimate_season_length([np.full((100, 1), np.nan)]) == 1


def test_input_size_covers_the_cycle_and_twice_the_horizon_within_the_data():
    assert auto_input_size(24, 24, 168, [10_000]) == 168
    assert auto_input_size(96, 24, 168, [10_000]) == 192
    assert auto_input_size(400, 24, 168, [10_000]) == MAX_INPUT_SIZE
    # Short series: half of what is left after the horizon, at least a season.
    assert auto_input_size(18, 12, 24, [60] * 5) == 21
    assert auto_input_size(8, 4, 12, [30]) == 11
    assert auto_input_size(8, 4, 12, [14]) == 4


def test_dropout_falls_with_the_number_of_windows():
    rates = [auto_dropout(n) for n in (100, 2_000, 10_000, 50_000, 10**6)]
    assert rates == sorted(rates, reverse=True)
    assert rates[0] > rates[-1]


def test_schedule_is_a_step_budget_only_for_auto_epochs():
    epochs, per_epoch, patience = auto_schedule(10**5, "auto", "auto", None, "auto")
    assert per_epoch == CHECK_EVERY and epochs * per_epoch == MAX_STEPS
    epochs, per_epoch, _ = auto_schedule(10**5, "auto", 300, None, "auto")
    assert epochs * per_epoch == 300
    # Explicit epochs: exactly as given, whole passes.
    assert auto_schedule(10**5, 7, "auto", None, 3) == (7, None, 3)
    assert auto_schedule(50, 7, 100, None, 3) == (2, None, 3)


def monthly_panel(n_series=6, n_months=60, seed=0):
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n_series):
        months = pd.date_range("2015-01-01", periods=n_months - 3 * i, freq="MS")
        level = 10 * (i + 1)
        season = np.sin(2 * np.pi * (months.month - 1) / 12)
        values = level + 3 * season + rng.standard_normal(len(months))
        frames.append(pd.DataFrame({"shop": f"s{i}", "time": months, "sales": values}))
    return pd.concat(frames).set_index("time")


@pytest.mark.slow
def test_short_monthly_panel_gets_a_seasonal_window():
    est = TSMixerRegressor(horizon=6, series_column="shop", random_state=0).fit(monthly_panel())
    assert est.season_length_ == 12
    assert 12 <= est.input_size_ <= 24
    # A full grid without covariates: the window carries the year's cycle.
    assert est.time_feature_names_ == []
    assert est.epochs_ * (est.steps_per_epoch_ or 1) >= 1


def business_hours(n_days=30, seed=0):
    """5-minute counts, 07:00-21:00 on weekdays only (169 rows a day)."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2024-01-01", periods=n_days)
    stamps = [
        day + pd.Timedelta(hours=7) + pd.Timedelta(minutes=5 * k)
        for day in days
        for k in range(169)
    ]
    slot = np.tile(np.arange(169), n_days)
    rate = 20 + 15 * np.sin(np.pi * slot / 169)
    return pd.DataFrame({"calls": rng.poisson(rate).astype(float)}, index=pd.DatetimeIndex(stamps))


@pytest.mark.slow
def test_weekday_only_intraday_series_gets_calendar_features():
    data = business_hours()
    # On its business calendar: a session is the season, and the windows,
    # which skip nights and weekends, get the day of the week from the calendar.
    est = TSMixerRegressor(horizon=12, max_steps=50, random_state=0).fit(data)
    assert est.calendar_ is not None and est.season_length_ == 169
    assert {"hour", "dayofweek"} <= set(est.time_feature_names_)
    # On the continuous clock: nights and weekends are gaps in the grid.
    est = TSMixerRegressor(horizon=12, max_steps=50, calendar=None, random_state=0).fit(data)
    assert est.season_length_ == 288
    assert {"hour", "dayofweek"} <= set(est.time_feature_names_)


@pytest.mark.slow
def test_a_long_series_fits_in_a_bounded_number_of_steps():
    rng = np.random.default_rng(0)
    t = np.arange(200_000)
    X = np.sin(2 * np.pi * t / 24)[:, None] + 0.1 * rng.standard_normal((len(t), 1))
    est = TSMixerRegressor(horizon=4, input_size=24, max_steps=120, random_state=0).fit(X)
    # 200,000 windows are 6,250 batches; the budget is 120 steps in checks of 100.
    assert est.steps_per_epoch_ == CHECK_EVERY
    assert est.epochs_ == 2 and est.n_iter_ <= 2
    assert est.dropout_ == auto_dropout(len(t))


def test_explicit_values_are_kept():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 2))
    est = TSMixerRegressor(
        input_size=10, horizon=3, dropout=0.2, epochs=2, early_stopping=False, random_state=0
    ).fit(X)
    assert (est.input_size_, est.dropout_, est.epochs_, est.n_iter_) == (10, 0.2, 2, 2)
    assert est.steps_per_epoch_ is None and est.patience_ == 10
    assert est.model_.input_shape[1] == 10


@pytest.mark.parametrize(
    "param, value", [("input_size", "long"), ("dropout", "high"), ("epochs", 0), ("max_steps", 0)]
)
def test_bad_auto_parameters_raise(param, value):
    with pytest.raises(ValueError, match=param):
        TSMixerRegressor(**{param: value}).fit(np.zeros((100, 1)))


def test_calendar_rule():
    hour = pd.Timedelta("1h")
    full = np.ones(500, dtype=bool)
    gappy = full.copy()
    gappy[::3] = False
    rng = np.random.default_rng(0)
    weather = rng.standard_normal((500, 1))
    hour_of_day = (np.arange(500) % 24).astype(float)[:, None]
    # No covariates on a full grid: none; gaps in the grid: always.
    assert not wants_calendar(full, hour, covariates=False)
    assert wants_calendar(gappy, hour, covariates=False)
    # Covariates: added, unless a known-ahead column already is the calendar.
    assert wants_calendar(full, hour, covariates=True)
    assert wants_calendar(full, hour, covariates=True, known=weather)
    assert not wants_calendar(full, hour, True, np.hstack([weather, hour_of_day]))
    # Checked per series: a column that repeats inside each of two series.
    offsets = np.array([0, 250, 500])
    assert not wants_calendar(full, hour, True, hour_of_day, offsets)
