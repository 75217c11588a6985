"""Business calendars: series observed in opening hours on weekdays (sktsmixer.data.calendars)."""

import os
import pathlib
import pickle

import numpy as np
import pandas as pd
import pytest

from sktsmixer import TSMixerRegressor
from sktsmixer._sklearn_compat import InvalidParameterError
from sktsmixer.data.calendars import SessionCalendar, infer_calendar
from sktsmixer.data.panel import parse_panel
from sktsmixer.data.scaling import valid_window_ends
from sktsmixer.model_selection import backtest, backtest_scores

REPO = pathlib.Path(__file__).resolve().parents[1]
SLOTS = 169  # 07:00 to 21:00 every 5 minutes, both included
MON_FRI = (0, 1, 2, 3, 4)


def profile():
    """The within-day shape of the calls: a morning and an afternoon peak."""
    t = np.arange(SLOTS) / (SLOTS - 1)
    return 20 + 60 * np.exp(-(((t - 0.25) / 0.1) ** 2)) + 40 * np.exp(-(((t - 0.7) / 0.12) ** 2))


def call_centre(n_days=30, start="2024-01-01", seed=0, drop_days=(), tz=None):
    """Counts every 5 minutes 07:00-21:00 on weekdays (2024-01-01 is a Monday)."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range(start, periods=n_days)
    days = days.delete(list(drop_days))
    slots = pd.to_timedelta(np.arange(SLOTS) * 5 + 7 * 60, unit="min")
    index = pd.DatetimeIndex((days.values[:, None] + slots.values).ravel())
    if tz is not None:
        index = index.tz_localize(tz)
    calls = rng.poisson(np.tile(profile(), len(days))).astype(float)
    return pd.DataFrame({"calls": calls}, index=index.rename("time"))


# ---------------------------------------------------------------- inference


def test_call_centre_calendar_is_inferred_and_leaves_no_gaps():
    X = call_centre(30)
    panel, _, _ = parse_panel(X, calendar="auto")
    assert panel.calendar == SessionCalendar("5min", "07:00", "21:00", MON_FRI)
    assert panel.calendar.slots_per_day == SLOTS
    # Nights and weekends are not rows of the grid: no gaps, 30 sessions.
    assert panel.present.all()
    assert panel.lengths.tolist() == [30 * SLOTS]
    # On the continuous clock they are: Monday 07:00 to Friday 21:00 six
    # weeks later is 39 days and 14 hours of 5-minute slots, mostly empty.
    clock, _, _ = parse_panel(X)
    assert clock.calendar is None
    assert clock.lengths.tolist() == [39 * 288 + 14 * 12 + 1]
    assert clock.present.sum() == 30 * SLOTS


def test_next_label_and_times_continue_on_the_next_session():
    X = call_centre(30)  # Monday 2024-01-01 to Friday 2024-02-09
    panel, _, _ = parse_panel(X, calendar="auto")
    assert panel.next_label(0) == pd.Timestamp("2024-02-12 07:00")  # Monday
    times = panel.block_times(0, lead=2, trail=2)
    assert list(times[:3]) == [
        pd.Timestamp("2023-12-29 20:55"),  # the Friday before the data
        pd.Timestamp("2023-12-29 21:00"),
        pd.Timestamp("2024-01-01 07:00"),
    ]
    tuesday, _, _ = parse_panel(X.loc[:"2024-01-02 21:00"], calendar=panel.calendar)
    assert tuesday.next_label(0) == pd.Timestamp("2024-01-03 07:00")


def test_holiday_is_a_gap_on_the_session_grid():
    X = call_centre(30, drop_days=[12])  # Wednesday 2024-01-17 missing
    panel, _, _ = parse_panel(X, calendar="auto")
    assert panel.calendar == SessionCalendar("5min", "07:00", "21:00", MON_FRI)
    assert panel.lengths.tolist() == [30 * SLOTS]
    missing = panel.block_times(0)[~panel.present]
    assert len(missing) == SLOTS
    assert set(missing.normalize()) == {pd.Timestamp("2024-01-17")}


def test_missing_rows_inside_sessions_stay_gaps():
    X = call_centre(30)
    X = X.drop(X.index[[100, 101, 2000]])
    panel, _, _ = parse_panel(X, calendar="auto")
    assert panel.calendar is not None
    assert (~panel.present).sum() == 3


def test_business_days_of_daily_data():
    X = pd.DataFrame({"y": np.arange(60.0)}, index=pd.bdate_range("2024-01-01", periods=60))
    X.index.freq = None  # as read from a file: no frequency attached
    panel, _, _ = parse_panel(X, calendar="auto")
    assert panel.calendar == SessionCalendar("1D", weekdays=MON_FRI)
    assert panel.present.all()
    assert X.index[-1].day_name() == "Friday"
    assert panel.next_label(0) == X.index[-1] + pd.Timedelta(3, "D")


def test_time_zone_sessions_are_local_hours_across_daylight_saving():
    X = call_centre(30, start="2024-02-26", tz="America/New_York")  # DST starts 2024-03-10
    panel, _, _ = parse_panel(X, calendar="auto")
    assert panel.calendar == SessionCalendar("5min", "07:00", "21:00", MON_FRI)
    assert panel.present.all()
    after = panel.next_label(0)
    assert after.tz is not None and (after.hour, after.minute) == (7, 0)


def test_panel_series_share_the_calendar():
    frames = [call_centre(20, seed=s).assign(centre=f"c{s}") for s in range(3)]
    frames[1] = frames[1].iloc[SLOTS * 3 :]  # starts on a Thursday
    X = pd.concat(frames)
    panel, _, _ = parse_panel(X, "centre", calendar="auto")
    assert panel.calendar == SessionCalendar("5min", "07:00", "21:00", MON_FRI)
    assert panel.lengths.tolist() == [20 * SLOTS, 17 * SLOTS, 20 * SLOTS]
    assert panel.present.all()
    # Rows in time order, the series interleaved: the same grid.
    mixed, _, _ = parse_panel(X.sort_index(kind="stable"), "centre", calendar="auto")
    assert mixed.calendar == panel.calendar
    assert mixed.labels == ["c0", "c2", "c1"]  # in order of first appearance
    assert mixed.lengths.tolist() == [20 * SLOTS, 20 * SLOTS, 17 * SLOTS]
    assert mixed.present.all()
    assert [mixed.next_label(i) for i in range(3)] == [panel.next_label(i) for i in (0, 2, 1)]


# ------------------------------------------------------ regular data unaffected


@pytest.mark.parametrize(
    "index",
    [
        pd.date_range("2024-01-01", periods=24 * 40, freq="h"),
        pd.date_range("2024-01-01", periods=24 * 40, freq="h").delete([5, 50, 51, 700]),
        pd.date_range("2024-01-01 10:00", periods=10, freq="h"),  # less than a day
        pd.date_range("2024-01-01", periods=500, freq="D"),
        pd.date_range("2024-01-01", periods=400, freq="15min"),
    ],
    ids=["hourly", "hourly-with-gaps", "ten-hours", "daily", "15min"],
)
def test_regular_data_keeps_the_continuous_clock(index):
    X = pd.DataFrame({"y": np.arange(len(index), dtype=float)}, index=index)
    auto, _, _ = parse_panel(X, calendar="auto")
    plain, _, _ = parse_panel(X)
    assert auto.calendar is None
    np.testing.assert_array_equal(auto.present, plain.present)
    assert auto.next_label(0) == plain.next_label(0)


def test_arrays_and_integer_time_get_no_calendar():
    assert parse_panel(np.ones((50, 1)), calendar="auto")[0].calendar is None
    X = pd.DataFrame({"y": np.ones(50)}, index=pd.RangeIndex(50))
    assert parse_panel(X, calendar="auto")[0].calendar is None
    with pytest.raises(ValueError, match="needs X indexed by a DatetimeIndex"):
        parse_panel(X, calendar=SessionCalendar("1h", "08:00", "17:00"))


# ------------------------------------------------------------------ irregular


def test_session_with_a_break_falls_back_to_the_continuous_clock():
    X = call_centre(30)
    lunch = (X.index.hour == 12) | ((X.index.hour == 13) & (X.index.minute == 0))
    X = X[~lunch]
    panel, _, _ = parse_panel(X, calendar="auto")
    assert panel.calendar is None
    assert not panel.present.all()  # the nights are gaps, as without calendars


def test_sparse_sessions_fall_back_to_the_continuous_clock():
    X = call_centre(30)
    X = X.iloc[np.random.default_rng(0).random(len(X)) < 0.5]  # half the slots
    assert parse_panel(X, calendar="auto")[0].calendar is None


def test_rows_off_a_given_calendar_raise():
    X = call_centre(10)
    late = pd.DataFrame({"calls": [3.0]}, index=pd.DatetimeIndex(["2024-01-12 22:00"]))
    X = pd.concat([X, late])
    with pytest.raises(ValueError, match="off its session calendar.*2024-01-12 22:00"):
        parse_panel(X, calendar=SessionCalendar("5min", "07:00", "21:00"))
    saturday = pd.DataFrame({"calls": [3.0]}, index=pd.DatetimeIndex(["2024-01-13 08:00"]))
    with pytest.raises(ValueError, match="off its session calendar"):
        parse_panel(pd.concat([call_centre(10), saturday]), calendar=SessionCalendar("5min"))


def test_closures_need_evidence():
    # Monday to Thursday only: the weekend is never inside the data, so it
    # is not taken as closed; the nights are.
    X = call_centre(4)
    panel, _, _ = parse_panel(X, calendar="auto")
    assert panel.calendar.weekdays == tuple(range(7))
    assert panel.calendar.slots_per_day == SLOTS
    # One day: nothing shows the evening is closed.
    assert parse_panel(call_centre(1), calendar="auto")[0].calendar is None


def test_session_calendar_checks_its_arguments():
    with pytest.raises(ValueError, match="must divide a day"):
        SessionCalendar("7min")
    with pytest.raises(ValueError, match="whole number of steps"):
        SessionCalendar("5min", "07:00", "06:00")
    with pytest.raises(ValueError, match="weekdays"):
        SessionCalendar("1h", weekdays=(7,))
    assert infer_calendar(np.array([0], dtype=np.int64), "1h") is None


# ----------------------------------------------------------------- estimator


def test_calendar_parameter_is_checked_and_defaults_for_old_pickles():
    with pytest.raises(InvalidParameterError, match="calendar"):
        TSMixerRegressor(calendar="weekdays").fit(np.ones((40, 1)))
    state = TSMixerRegressor().__getstate__()
    del state["calendar"]
    old = TSMixerRegressor.__new__(TSMixerRegressor)
    old.__setstate__(state)
    assert old.calendar is None


@pytest.fixture(scope="module")
def fitted():
    """A model of 25 business days of calls, and the 5 days after them."""
    X = call_centre(30)
    train, test = X.iloc[: 25 * SLOTS], X.iloc[25 * SLOTS :]
    est = TSMixerRegressor(
        input_size=SLOTS,
        horizon=SLOTS,
        epochs=8,
        steps_per_epoch=40,
        learning_rate=3e-3,
        random_state=0,
    )
    return est.fit(train), train, test


@pytest.mark.slow
def test_forecast_after_friday_is_mondays_session(fitted):
    est, train, _ = fitted
    assert est.calendar_ == SessionCalendar("5min", "07:00", "21:00", MON_FRI)
    assert est.season_length_ == SLOTS
    assert train.index[-1] == pd.Timestamp("2024-02-02 21:00")  # a Friday
    forecast = est.forecast(train)
    expected = pd.date_range("2024-02-05 07:00", "2024-02-05 21:00", freq="5min")
    assert forecast.index.equals(expected.rename("time"))
    tuesday = train.loc[:"2024-01-30 21:00"]
    assert est.forecast(tuesday).index[0] == pd.Timestamp("2024-01-31 07:00")
    assert est.forecast(tuesday).index[-1] == pd.Timestamp("2024-01-31 21:00")


def test_windows_count_sessions_not_nights():
    X = call_centre(25)
    horizon = np.arange(1, SLOTS + 1)
    grid, _, _ = parse_panel(X, calendar="auto")
    ends, _ = valid_window_ends(grid.present, grid.offsets, SLOTS, horizon, grid.present)
    # A day of input and a day ahead from every row of the session grid.
    assert len(ends) == 25 * SLOTS - 2 * SLOTS + 1
    clock, _, _ = parse_panel(X)
    ends, _ = valid_window_ends(clock.present, clock.offsets, SLOTS, horizon, clock.present)
    assert len(ends) < 0.6 * (25 * SLOTS - 2 * SLOTS + 1)  # nights cut the windows


@pytest.mark.slow
def test_calendar_model_learns_the_within_day_profile(fitted):
    est, train, test = fitted
    truth = profile()
    on_calendar = est.forecast(train)["calls"].to_numpy()
    clock = TSMixerRegressor(**{**est.get_params(), "calendar": None}).fit(train)
    assert clock.calendar_ is None
    continuous = clock.forecast(train)["calls"].to_numpy()  # 21:05 Friday onwards
    flat = np.abs(truth - train["calls"].mean()).mean()
    mae_calendar = np.abs(on_calendar - truth).mean()
    mae_continuous = np.abs(continuous - truth).mean()
    assert mae_calendar < 0.5 * flat
    assert mae_calendar < 0.5 * mae_continuous


@pytest.mark.slow
def test_context_continues_on_the_calendar(fitted):
    est, train, test = fitted
    later = test.iloc[:12]  # Monday 07:00 to 07:55, right after the training data
    whole = pd.concat([train, later])
    continued = est.forecast(later)
    np.testing.assert_allclose(continued, est.forecast(whole), rtol=1e-4, atol=1e-3)
    padded = est.set_params(context="pad").forecast(later)
    est.set_params(context="auto")
    assert not np.allclose(continued, padded)


@pytest.mark.slow
def test_predictions_on_new_data_must_lie_on_the_calendar(fitted):
    est, train, _ = fitted
    night = train.copy()
    night.index = night.index + pd.Timedelta(12, "h")
    with pytest.raises(ValueError, match="off its session calendar"):
        est.predict(night)


@pytest.mark.slow
def test_backtest_times_and_actuals_line_up_on_the_calendar(fitted):
    est, train, test = fitted
    X = pd.concat([train, test])
    frame = backtest(est, X, origins=3)
    origins = sorted(frame["origin"].unique())
    assert origins[-1] == pd.Timestamp("2024-02-08 21:00")  # the last with a whole day ahead
    friday = frame[frame["origin"] == pd.Timestamp("2024-02-02 20:55")]
    assert friday.empty  # not among the last 3 origins
    last = frame[frame["origin"] == origins[-1]]
    assert last["time"].tolist() == list(test.loc["2024-02-09"].index)
    np.testing.assert_array_equal(last["actual"], test.loc["2024-02-09", "calls"])
    row = X.index.get_loc(origins[-1])
    np.testing.assert_allclose(last["forecast"], est.predict(X)[row], rtol=1e-5)
    # Across a weekend: origin Friday 20:55 forecasts Friday 21:00, then Monday.
    weekend = backtest(est, X, origins=[pd.Timestamp("2024-02-02 20:55")])
    assert weekend["time"].iloc[:2].tolist() == [
        pd.Timestamp("2024-02-02 21:00"),
        pd.Timestamp("2024-02-05 07:00"),
    ]
    np.testing.assert_array_equal(
        weekend["actual"].iloc[1:], X.loc["2024-02-05", "calls"].iloc[: SLOTS - 1]
    )
    # MASE scaled by the seasonal naive forecast of the session before (lag
    # 169 slots on the calendar, where the continuous clock would find nights).
    scores = backtest_scores(frame, by=(), train=train, season_length=SLOTS)
    calls = train["calls"].to_numpy()
    naive = np.abs(calls[SLOTS:] - calls[:-SLOTS]).mean()
    np.testing.assert_allclose(scores["mase"].iloc[0], scores["mae"].iloc[0] / naive)


@pytest.mark.slow
def test_regular_hourly_fit_is_identical_with_and_without_calendars():
    t = np.arange(24 * 20)
    index = pd.date_range("2024-01-01", periods=len(t), freq="h")
    X = pd.DataFrame({"y": np.sin(2 * np.pi * t / 24)}, index=index).drop(index=index[30:32])
    params = dict(input_size=24, horizon=6, epochs=2, random_state=0)
    auto = TSMixerRegressor(calendar="auto", **params).fit(X)
    plain = TSMixerRegressor(calendar=None, **params).fit(X)
    assert auto.calendar_ is None
    np.testing.assert_array_equal(auto.predict(X), plain.predict(X))
    assert auto.forecast(X).index.equals(plain.forecast(X).index)


@pytest.mark.slow
def test_fitted_calendar_survives_pickle(fitted):
    est, train, _ = fitted
    again = pickle.loads(pickle.dumps(est))
    assert again.calendar_ == est.calendar_
    assert again.forecast(train).index.equals(est.forecast(train).index)


@pytest.mark.slow
def test_known_ahead_values_are_given_for_the_next_session():
    X = call_centre(25)
    X["promo"] = (X.index.dayofweek == 2).astype(float)  # Wednesdays
    est = TSMixerRegressor(
        input_size=SLOTS, horizon=SLOTS, future_columns=["promo"], epochs=1, random_state=0
    ).fit(X)
    monday = pd.date_range("2024-02-05 07:00", "2024-02-05 21:00", freq="5min", name="time")
    future = pd.DataFrame({"promo": np.zeros(SLOTS)}, index=monday)
    forecast = est.forecast(X, future=future)
    assert forecast.index.equals(monday) and np.isfinite(forecast["calls"]).all()
    night = future.set_axis(pd.date_range("2024-02-02 21:05", periods=SLOTS, freq="5min"))
    with pytest.raises(ValueError, match="off its session calendar"):
        est.forecast(X, future=night)


def test_bank_calls_data_lies_on_its_business_calendar():
    root = pathlib.Path(os.environ.get("SKTSMIXER_DATA", REPO.parent / "shared" / "data"))
    path = root / "suite" / "bank_calls.csv"
    if not path.is_file():
        pytest.skip(f"bank_calls.csv not found at {path}; set SKTSMIXER_DATA to run this test")
    X = pd.read_csv(path, parse_dates=["ds"]).set_index("ds")[["y"]]
    panel, _, _ = parse_panel(X, calendar="auto")
    assert panel.calendar == SessionCalendar("5min", "07:00", "21:00", MON_FRI)
    assert panel.present.all() and panel.lengths.tolist() == [len(X)]
    assert X.index[-1] == pd.Timestamp("2003-10-24 21:00")  # a Friday
    assert panel.next_label(0) == pd.Timestamp("2003-10-27 07:00")
