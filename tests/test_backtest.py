"""backtest and backtest_scores: forecasts at past origins line up with predict and the data."""

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from sktsmixer import TSMixerRegressor
from sktsmixer.model_selection import PanelTimeSeriesSplit, backtest, backtest_scores

INPUT, HORIZON = 6, 3
TINY = dict(input_size=INPUT, horizon=HORIZON, epochs=2, n_blocks=1, ff_dim=8, random_state=0)


def one_series(n=60, start="2024-01-01", freq="D"):
    t = np.arange(n)
    index = pd.date_range(start, periods=n, freq=freq, name="day")
    return pd.DataFrame({"y": np.sin(t / 3) + t / 50, "z": np.cos(t / 4)}, index=index)


def long_panel(n=40):
    """Three series with different starts and lengths, a gap in "b", rows time-major."""
    parts = []
    for i, (label, start) in enumerate([("a", 0), ("b", 3), ("c", 5)]):
        part = one_series(n - start, start=f"2024-01-{1 + start:02d}")
        part["y"] += 2 * i
        part["store"] = label
        parts.append(part)
    panel = pd.concat(parts).sort_index(kind="stable")
    gap = (panel["store"] == "b") & (panel.index == "2024-01-20")
    return panel[~gap]


@pytest.fixture(scope="module")
def fitted_one():
    X = one_series()
    return TSMixerRegressor(**TINY).fit(X), X


@pytest.fixture(scope="module")
def fitted_multiindex():
    """The panel with a (store, day) MultiIndex, rows time-major, no series_column."""
    X = long_panel().set_index("store", append=True).swaplevel().rename_axis(["store", "day"])
    return TSMixerRegressor(**TINY).fit(X), X


@pytest.fixture(scope="module")
def fitted_panel():
    X = long_panel()
    return TSMixerRegressor(series_column="store", **TINY).fit(X), X


def position_of(X, series, times):
    """Row positions of X at (series, time) pairs (series None: one series)."""
    if series is None:
        return X.index.get_indexer(times)
    keys = pd.MultiIndex.from_arrays([X["store"], X.index])
    return keys.get_indexer(pd.MultiIndex.from_arrays([series, times]))


def check_against_predict(frame, est, X, series=None, flat=None):
    """Forecasts equal predict(X) at the origin rows; actuals equal X at the target times.

    ``flat``: X with the series as a "store" column, in X's row order.
    """
    predicted = est.predict(X)
    X = X if flat is None else flat
    n_targets = len(est.target_names_)
    rows = position_of(X, series, frame["origin"])
    assert (rows >= 0).all()
    columns = (frame["step"].to_numpy() - 1) * n_targets + [
        est.target_names_.index(t) for t in frame["target"]
    ]
    np.testing.assert_array_equal(frame["forecast"], predicted[rows, columns])
    truth_rows = position_of(X, series, frame["time"])
    values = X[est.target_names_].to_numpy()
    expected = np.where(
        truth_rows >= 0,
        values[truth_rows, [est.target_names_.index(t) for t in frame["target"]]],
        np.nan,
    )
    np.testing.assert_array_equal(frame["actual"], expected)


# ----------------------------------------------------------------- refit=False


def test_one_series_frame_matches_predict_and_data(fitted_one):
    est, X = fitted_one
    before = X.copy()
    frame = backtest(est, X)
    assert list(frame.columns) == ["origin", "step", "time", "target", "forecast", "actual"]
    assert frame.attrs["series_columns"] == []
    # Every origin with a complete window and its whole horizon inside X.
    origins = frame["origin"].unique()
    assert origins[0] == X.index[INPUT - 1] and origins[-1] == X.index[-HORIZON - 1]
    assert len(origins) == len(X) - INPUT + 1 - HORIZON
    assert len(frame) == len(origins) * HORIZON * 2
    np.testing.assert_array_equal(
        frame["time"] - frame["origin"], pd.to_timedelta(frame["step"], unit="D")
    )
    check_against_predict(frame, est, X)
    assert frame["actual"].notna().all()
    pd.testing.assert_frame_equal(X, before)  # nothing passed is modified


@pytest.mark.slow
def test_array_input_uses_row_positions():
    X = one_series()
    est = TSMixerRegressor(**TINY).fit(X.to_numpy())
    frame = backtest(est, X.to_numpy(), origins=[10, 58])
    assert frame["origin"].unique().tolist() == [10, 58]
    assert frame["target"].unique().tolist() == [0, 1]
    last = frame[frame["origin"] == 58]
    assert last["time"].tolist() == [59, 59, 60, 60, 61, 61]
    # Past the end of the data: no truth.
    assert last["actual"].isna().tolist() == [False, False, True, True, True, True]
    np.testing.assert_allclose(
        frame["forecast"].to_numpy()[:6], est.predict(X.to_numpy())[10], rtol=1e-12
    )


def test_panel_time_major_with_gap(fitted_panel):
    est, X = fitted_panel
    frame = backtest(est, X)
    assert list(frame.columns[:2]) == ["series", "origin"]
    assert frame["series"].unique().tolist() == ["a", "b", "c"]  # first appearance
    check_against_predict(frame, est, X, series=frame["series"])
    # The gap of "b" has no truth; its neighbours have.
    gap = frame[(frame["series"] == "b") & (frame["time"] == "2024-01-20")]
    assert len(gap) and gap["actual"].isna().all()
    assert frame["actual"].isna().sum() == len(gap)
    # Each series starts where its window is complete (the gap counts as a step).
    first = frame.groupby("series")["origin"].min()
    assert first.dt.day.tolist() == [INPUT, 3 + INPUT, 5 + INPUT]


@pytest.mark.parametrize("series_major", [False, True])
def test_multiindex_panel(fitted_panel, fitted_multiindex, series_major):
    est_long, long = fitted_panel
    est, X = fitted_multiindex
    if series_major:
        X = X.sort_index()
    frame = backtest(est, X, origins=4)
    assert frame["series"].unique().tolist() == ["a", "b", "c"]
    assert frame["origin"].nunique() == 4
    flat = X.reset_index(level="store")
    check_against_predict(frame, est, X, series=frame["series"], flat=flat)
    # The same data in the long format gives the same frame (up to the fit).
    other = backtest(est_long, long, origins=4)
    pd.testing.assert_frame_equal(
        frame.drop(columns="forecast"), other.drop(columns="forecast"), check_names=False
    )


def test_origins_list_and_last_n(fitted_panel):
    est, X = fitted_panel
    full = backtest(est, X)
    last = backtest(est, X, origins=3)
    times = np.sort(full["origin"].unique())[-3:]
    pd.testing.assert_frame_equal(
        last, full[full["origin"].isin(times)].reset_index(drop=True), check_exact=True
    )
    picked = backtest(est, X, origins=["2024-01-12", pd.Timestamp("2024-02-09")])
    assert picked["origin"].dt.day.unique().tolist() == [12, 9]
    # 2024-02-09 is the last row of every series: every step lies past the data.
    end = picked[picked["origin"] == "2024-02-09"]
    assert end["actual"].isna().all() and len(end) == 3 * HORIZON * 2
    assert end["time"].max() == pd.Timestamp("2024-02-12")


def test_intervals_and_quantiles_match_the_estimator(fitted_one):
    est, X = fitted_one
    frame = backtest(est, X, origins=[X.index[20], X.index[40]], coverage=0.8, quantiles=[0.9, 0.1])
    assert list(frame.columns[-4:]) == ["lower", "upper", "q0.1", "q0.9"]
    bounds = est.predict_interval(X, coverage=0.8)[[20, 40]]
    np.testing.assert_array_equal(frame["lower"], bounds[..., 0].ravel())
    np.testing.assert_array_equal(frame["upper"], bounds[..., 1].ravel())
    levels = est.predict_quantiles(X, quantiles=[0.1, 0.9])[[20, 40]]
    np.testing.assert_array_equal(frame["q0.1"], levels[..., 0].ravel())
    np.testing.assert_array_equal(frame["q0.9"], levels[..., 1].ravel())
    assert (frame["lower"] < frame["upper"]).all()


@pytest.mark.slow
def test_monthly_calendar_steps():
    X = one_series(36, start="2020-01-31", freq="ME")
    est = TSMixerRegressor(**TINY).fit(X)
    frame = backtest(est, X, origins=[X.index[-1]])
    assert frame["time"].dt.strftime("%Y-%m-%d").unique().tolist() == [
        "2023-01-31",
        "2023-02-28",
        "2023-03-31",
    ]


# ---------------------------------------------------------------------- errors


def test_errors_are_clear(fitted_one):
    est, X = fitted_one
    with pytest.raises(NotFittedError, match="fit it first, or pass refit=k"):
        backtest(TSMixerRegressor(**TINY), X)
    with pytest.raises(ValueError, match=r"origin\(s\) .*2030-01-01.* are not times of rows"):
        backtest(est, X, origins=["2024-01-05", "2030-01-01"])
    for bad in (0, -2, 1.5, True, "2"):
        with pytest.raises(ValueError, match="refit must be False .* or a positive integer k"):
            backtest(est, X, refit=bad)
    with pytest.raises(ValueError, match="origins=99 asks for the last 99 origin times"):
        backtest(est, X, origins=99)
    with pytest.raises(ValueError, match="quantiles must be a sequence of levels in"):
        backtest(est, X, quantiles=[0.5, 1.5])
    with pytest.raises(ValueError, match="No row of X has a complete input window"):
        backtest(est, X.iloc[: INPUT + 1])
    regressor = TSMixerRegressor(**TINY).fit(X[["z"]], X["y"])
    with pytest.raises(ValueError, match="fitted with y=None"):
        backtest(regressor, X[["z"]])


# ----------------------------------------------------------------------- refit


@pytest.mark.slow
def test_refit_trains_on_the_data_known_at_each_origin():
    X = one_series(50)
    est = TSMixerRegressor(**TINY)
    frame = backtest(est, X, origins=3, refit=2)
    origins = np.sort(frame["origin"].unique())
    # Group 1: origins 1-2 from a fit on the rows up to origin 1; group 2: origin 3.
    for first, group in [(origins[0], origins[:2]), (origins[2], origins[2:])]:
        model = TSMixerRegressor(**TINY).fit(X[X.index <= first])
        part = frame[frame["origin"].isin(group)]
        rows = X.index.get_indexer(group)
        np.testing.assert_allclose(part["forecast"], model.predict(X)[rows].ravel(), rtol=1e-6)
    assert not hasattr(est, "model_")  # the estimator itself is not fitted


@pytest.mark.slow
def test_refit_in_two_processes_equals_serial():
    X = long_panel(30)
    est = TSMixerRegressor(series_column="store", **TINY)
    serial = backtest(est, X, origins=4, refit=2, coverage=0.8)
    parallel = backtest(est, X, origins=4, refit=2, coverage=0.8, n_jobs=2)
    pd.testing.assert_frame_equal(serial, parallel)
    assert serial["forecast"].notna().all() and serial["origin"].nunique() == 4


# ------------------------------------------------------------------ compound


@pytest.mark.slow
def test_compound_key_columns_come_from_the_rows_of_X():
    try:
        TSMixerRegressor(series_column=["region", "purpose"])._validate_params()
    except InvalidParameterError:
        pytest.skip("this TSMixerRegressor does not accept a list as series_column yet")
    parts = []
    for i, (region, purpose) in enumerate(
        [("north", "holiday"), ("north", "work"), ("south", "holiday")]
    ):
        part = one_series(30)
        part["y"] += i
        part["region"], part["purpose"] = region, purpose
        parts.append(part)
    X = pd.concat(parts)
    est = TSMixerRegressor(series_column=["region", "purpose"], **TINY).fit(X)
    frame = backtest(est, X, origins=2)
    assert list(frame.columns[:3]) == ["region", "purpose", "origin"]
    assert "series" not in frame.columns
    assert frame.attrs["series_columns"] == ["region", "purpose"]
    keys = frame[["region", "purpose"]].drop_duplicates().to_records(index=False).tolist()
    assert keys == [("north", "holiday"), ("north", "work"), ("south", "holiday")]
    # The offset of each series (0, 1, 2) is in its actuals.
    truth = frame[(frame["target"] == "y")].groupby(["region", "purpose"], sort=False)["actual"]
    np.testing.assert_allclose(np.diff(truth.mean().to_numpy()), [1.0, 1.0])
    scores = backtest_scores(frame, by="series")
    assert scores.index.names == ["region", "purpose", "target"]


# -------------------------------------------------------------------- scores


def hand_frame():
    return pd.DataFrame(
        {
            "series": ["a", "a", "a", "a", "b", "b"],
            "origin": [0, 0, 1, 1, 0, 0],
            "step": [1, 2, 1, 2, 1, 2],
            "target": "y",
            "forecast": [1.0, 2.0, 3.0, 4.0, 10.0, 10.0],
            "actual": [2.0, 4.0, 3.0, np.nan, 13.0, 6.0],
            "lower": [0.0, 1.0, 2.5, 3.0, 9.0, 7.0],
            "upper": [3.0, 3.0, 3.5, 5.0, 14.0, 13.0],
            "q0.1": [0.0, 1.0, 2.0, 3.0, 9.0, 9.0],
        }
    )


def test_scores_by_step_by_hand():
    scores = backtest_scores(hand_frame(), scale=pd.Series({"a": 2.0, "b": 4.0}))
    # step 1 errors: 1, 0, 3 (scaled 1/2, 0, 3/4); step 2: 2, (NaN), -4 (scaled 1, 1)
    assert scores.index.tolist() == [(1, "y"), (2, "y")]
    np.testing.assert_array_equal(scores["n"], [3, 2])
    np.testing.assert_allclose(scores["mae"], [4 / 3, 3.0])
    np.testing.assert_allclose(scores["rmse"], [np.sqrt(10 / 3), np.sqrt(10)])
    np.testing.assert_allclose(scores["mase"], [(0.5 + 0 + 0.75) / 3, 1.0])
    # coverage: step 1 in, in, in; step 2 out (4 > 3), out (6 < 7)
    np.testing.assert_allclose(scores["coverage"], [1.0, 0.0])
    np.testing.assert_allclose(scores["width"], [(3 + 1 + 5) / 3, (2 + 2 + 6) / 3])
    # pinball at 0.1: step 1 diffs 2, 1, 4 -> 0.1 * (2 + 1 + 4) / 3;
    # step 2 diffs 3, -3 -> (0.1 * 3 + 0.9 * 3) / 2
    np.testing.assert_allclose(scores["pinball_q0.1"], [0.7 / 3, 1.5])
    np.testing.assert_allclose(scores["pinball"], scores["pinball_q0.1"])


def test_scores_per_series_overall_and_mase_from_train():
    frame = hand_frame()
    train = pd.DataFrame(
        {"store": ["a"] * 4 + ["b"] * 4, "y": [0.0, 1.0, 3.0, 6.0, 5.0, 5.0, 9.0, 9.0]},
        index=pd.Index([0, 1, 2, 3] * 2, name="t"),
    )
    # Naive (lag 1) in-sample MAE: a: (1 + 2 + 3) / 3 = 2, b: (0 + 4 + 0) / 3 = 4/3;
    # lag 2: a: (3 + 5) / 2 = 4, b: (4 + 4) / 2 = 4.
    per_series = backtest_scores(
        frame, by="series", train=train, series_column="store", season_length=1
    )
    assert per_series.index.tolist() == [("a", "y"), ("b", "y")]
    np.testing.assert_allclose(per_series["mae"], [1.0, 3.5])
    np.testing.assert_allclose(per_series["mase"], [(1 + 2 + 0) / 3 / 2, 3.5 / (4 / 3)])
    seasonal = backtest_scores(frame, by=None, train=train, series_column="store", season_length=2)
    assert seasonal.index.tolist() == ["y"]
    np.testing.assert_allclose(seasonal["mase"], [(1 + 2 + 0 + 3 + 4) / 5 / 4])
    np.testing.assert_array_equal(seasonal["n"], [5])


def test_scores_errors():
    frame = hand_frame()
    with pytest.raises(ValueError, match="pass train= .* with season_length=, or scale="):
        backtest_scores(frame, season_length=4)
    with pytest.raises(ValueError, match="season_length must be a positive integer"):
        backtest_scores(frame, train=frame, season_length=0)
    with pytest.raises(ValueError, match=r"by names column\(s\) \['horizon'\]"):
        backtest_scores(frame, by="horizon")
    with pytest.raises(ValueError, match="backtest frame with a 'actual' column"):
        backtest_scores(frame.drop(columns="actual"))
    with pytest.warns(UserWarning, match="No positive MASE scale"):
        scores = backtest_scores(frame, by="series", scale=pd.Series({"a": 1.0}))
    assert np.isnan(scores.loc[("b", "y"), "mase"])


def test_backtest_and_splitter_live_together():
    # The package keeps the splitter where it was.
    assert PanelTimeSeriesSplit.__module__.startswith("sktsmixer.model_selection")


# ------------------------------------------------------------------ plotting


def plotted_frame():
    """A backtest frame by hand: two series, origins on days 3-5, two steps, intervals."""
    days = pd.date_range("2024-01-01", periods=8, freq="D")
    rows = []
    for series, level in (("a", 0.0), ("b", 10.0)):
        for origin in (2, 3, 4):
            for step in (1, 2):
                time = days[origin + step]
                rows.append((series, days[origin], step, time, "y", level + origin + step / 10))
    frame = pd.DataFrame(rows, columns=["series", "origin", "step", "time", "target", "forecast"])
    frame["actual"] = frame["time"].dt.day + np.where(frame["series"] == "b", 10.0, 0.0)
    frame["lower"], frame["upper"] = frame["forecast"] - 1, frame["forecast"] + 1
    frame.attrs.update(series_columns=["series"], coverage=0.8)
    return frame


def test_from_backtest_draws_the_chosen_origins():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sktsmixer.plotting import ForecastDisplay

    try:
        display = ForecastDisplay.from_backtest(plotted_frame(), series="b", origins=2)
        # The last origin (day 5) is the forecast, with its band and actuals.
        np.testing.assert_allclose(display.forecast_line_.get_ydata(), [14.1, 14.2])
        np.testing.assert_allclose(display.actual_line_.get_ydata(), [16.0, 17.0])
        # History: the actuals up to the last origin (days 4 and 5 are known from earlier ones).
        np.testing.assert_allclose(display.history_line_.get_ydata(), [14.0, 15.0])
        assert display.band_ is not None
        (earlier,) = display.origin_lines_
        np.testing.assert_allclose(earlier.get_ydata(), [13.1, 13.2])
        labels = [t.get_text() for t in display.ax_.get_legend().get_texts()]
        assert labels == ["history", "forecast", "80% interval", "actual", "earlier forecasts"]
        one = ForecastDisplay.from_backtest(plotted_frame(), series="a", origins=["2024-01-03"])
        np.testing.assert_allclose(one.forecast_line_.get_ydata(), [2.1, 2.2])
        assert one.origin_lines_ == []
        with pytest.raises(ValueError, match="covers 2 series: pass series="):
            ForecastDisplay.from_backtest(plotted_frame())
        with pytest.raises(ValueError, match="are not origins of the backtest"):
            ForecastDisplay.from_backtest(plotted_frame(), series="a", origins=["2024-01-08"])
        with pytest.raises(ValueError, match="series 'c' is not in the backtest"):
            ForecastDisplay.from_backtest(plotted_frame(), series="c")
    finally:
        plt.close("all")


def test_backtest_of_an_estimator_with_the_default_window():
    """input_size="auto": the origins need the window fit chose (input_size_)."""
    X = one_series(n=80)
    params = {k: v for k, v in TINY.items() if k != "input_size"}
    est = TSMixerRegressor(**params).fit(X)
    assert est.get_params()["input_size"] == "auto"
    frame = backtest(est, X)
    check_against_predict(frame, est, X)
    # The first origin is the first row whose whole window lies in X.
    assert frame["origin"].min() == X.index[est.input_size_ - 1]
