"""Many series in one global model: long frames, gaps, statics, time splits."""

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV

from sktsmixer import PanelTimeSeriesSplit, TSMixerRegressor
from sktsmixer.data import scaling as preparation
from sktsmixer.data.scaling import valid_window_ends

HORIZON = 4


def small(**params):
    defaults = dict(
        input_size=8,
        horizon=HORIZON,
        target_columns=["y"],
        series_column="store",
        n_blocks=1,
        ff_dim=16,
        dropout=0.0,
        epochs=30,
        patience=5,
        learning_rate=3e-3,
        random_state=0,
    )
    return TSMixerRegressor(**{**defaults, **params})


def signed_panel(n_series=8, n_rows=160, seed=0):
    """y = sign x promo + noise per store, the sign given only by a static
    column; promo is random and known ahead. Levels differ by 1000x."""
    rng = np.random.default_rng(seed)
    frames = []
    for s in range(n_series):
        sign = 1.0 if s % 2 else -1.0
        level = 10.0 ** (s % 4)
        start = pd.Timestamp("2024-01-01") + pd.Timedelta(days=3 * s)
        index = pd.date_range(start, periods=n_rows, freq="D", name="day")
        promo = rng.standard_normal(n_rows)
        y = level * (5 + sign * promo + 0.1 * rng.standard_normal(n_rows))
        frames.append(
            pd.DataFrame(
                {"store": f"s{s}", "y": y, "promo": promo, "sign": sign, "size": level},
                index=index,
            )
        )
    return pd.concat(frames)


def split_by_time(panel, n_test):
    """Last n_test rows of every store are test rows."""
    rank = panel.groupby("store").cumcount(ascending=False)
    return panel[rank >= n_test], panel[rank < n_test]


def scaled_mse(est, test):
    """MSE of the 1-step-ahead forecast, each store in units of its level."""
    predicted = est.predict(test)
    errors = []
    for store, rows in test.groupby("store", sort=False):
        position = np.flatnonzero((test["store"] == store).to_numpy())
        y = rows["y"].to_numpy() / rows["size"].iloc[0]
        p = predicted[position, 0] / rows["size"].iloc[0]
        errors.append((p[:-HORIZON] - y[1 : len(y) - HORIZON + 1]) ** 2)
    return float(np.mean(np.concatenate(errors)))


@pytest.fixture(scope="session")
def panel():
    return signed_panel()


@pytest.fixture(scope="session")
def global_with_statics(panel):
    train, _ = split_by_time(panel, 40)
    est = small(future_columns=["promo"], static_columns=["sign", "size"])
    return est.fit(train)


@pytest.mark.slow
def test_statics_help_and_global_beats_local(global_with_statics, panel):
    train, test = split_by_time(panel, 40)
    without = small(future_columns=["promo"], static_columns=["size"]).fit(train)
    mse_with = scaled_mse(global_with_statics, test)
    mse_without = scaled_mse(without, test)
    assert mse_with < 0.5 * mse_without, (mse_with, mse_without)
    # One model per store on its own 120 rows, same configuration.
    local = []
    for store in ["s0", "s1"]:
        one = small(future_columns=["promo"], series_column=None).fit(
            train[train["store"] == store].drop(columns=["store", "sign", "size"])
        )
        rows = test[test["store"] == store].drop(columns=["store", "sign", "size"])
        y = rows["y"].to_numpy() / test.loc[test["store"] == store, "size"].iloc[0]
        p = one.predict(rows)[:, 0] / test.loc[test["store"] == store, "size"].iloc[0]
        local.append(np.mean((p[:-HORIZON] - y[1 : len(y) - HORIZON + 1]) ** 2))
    two_stores = test[test["store"].isin(["s0", "s1"])]
    assert scaled_mse(global_with_statics, two_stores) < np.mean(local), local


def test_predict_keeps_the_row_order_of_x(global_with_statics, panel):
    _, test = split_by_time(panel, 40)
    series_major = global_with_statics.predict(test)
    time_major = test.reset_index().sort_values(["day", "store"], kind="stable")
    shuffled_rows = global_with_statics.predict(time_major.set_index("day"))
    back = pd.Series(
        np.arange(len(test)), index=pd.MultiIndex.from_frame(test.reset_index()[["store", "day"]])
    )
    order = back.loc[list(zip(time_major["store"], time_major["day"], strict=True))].to_numpy()
    finite = np.isfinite(series_major[order]).all(axis=1)
    np.testing.assert_allclose(shuffled_rows[finite], series_major[order][finite], rtol=1e-5)


def test_multiindex_panel_equals_series_column(global_with_statics, panel):
    _, test = split_by_time(panel, 40)
    long = global_with_statics.predict(test)
    indexed = test.reset_index().set_index(["store", "day"])
    est = global_with_statics
    multi = TSMixerRegressor(**{**est.get_params(), "series_column": None})
    multi.__dict__.update({k: v for k, v in est.__dict__.items() if k.endswith("_") or k[0] == "_"})
    np.testing.assert_allclose(multi.predict(indexed), long, rtol=1e-6)


def test_forecast_is_long_and_indexed_by_series_and_time(global_with_statics, panel):
    train, test = split_by_time(panel, 40)
    history = train
    future = test.groupby("store").head(HORIZON)[["store", "promo"]]
    forecast = global_with_statics.forecast(history, future=future, coverage=0.8)
    assert forecast.index.names == ["store", "day"]
    assert len(forecast) == 8 * HORIZON
    for store, rows in forecast.groupby(level="store"):
        expected = test[test["store"] == store].index[:HORIZON]
        np.testing.assert_array_equal(rows.index.get_level_values("day"), expected)
    assert (forecast["y_lower"] <= forecast["y"]).all() and (
        forecast["y"] <= forecast["y_upper"]
    ).all()
    # A store missing from future is named.
    with pytest.raises(ValueError, match="series 's3'"):
        global_with_statics.forecast(history, future=future[future["store"] != "s3"])


def test_unseen_series_are_predicted_with_their_own_scale(global_with_statics):
    new = signed_panel(n_series=2, n_rows=60, seed=5).assign(store=["new0"] * 60 + ["new1"] * 60)
    new["y"] *= 50.0
    predicted = global_with_statics.predict(new)
    tail = new.groupby("store").cumcount(ascending=False).to_numpy() < HORIZON
    assert np.isfinite(predicted[~tail]).all() and np.isnan(predicted[tail]).all()
    level = new.groupby("store")["y"].transform("mean").to_numpy()
    assert np.all(np.abs(predicted[:50, 0] / level[:50] - 1) < 1.0)


@pytest.mark.slow
def test_unsorted_panel_names_the_series_and_gaps_are_handled():
    panel = signed_panel(n_series=3, n_rows=80)
    shuffled = pd.concat(
        [
            panel[panel.store == "s0"],
            panel[panel.store == "s1"].iloc[::-1],
            panel[panel.store == "s2"],
        ]
    )
    with pytest.raises(ValueError, match="series 's1'.*out of time order.*sort_index"):
        small(epochs=1).fit(shuffled)
    duplicated = pd.concat([panel, panel[panel.store == "s2"].iloc[[3]]])
    with pytest.raises(ValueError, match="series 's2'.*duplicated"):
        small(epochs=1).fit(duplicated)
    # Gaps: drop 10% of the rows at random, plus a whole week of one store.
    rng = np.random.default_rng(0)
    gappy = panel[rng.random(len(panel)) > 0.1]
    gappy = gappy[
        ~((gappy.store == "s1") & (gappy.index >= "2024-01-20") & (gappy.index < "2024-01-27"))
    ]
    est = small(epochs=2, future_columns=["promo"]).fit(gappy)
    predicted = est.predict(gappy)
    assert predicted.shape == (len(gappy), HORIZON)
    # Every row whose horizon lies inside its store has a forecast.
    last_rows = gappy.groupby("store").tail(1).index
    tail = np.zeros(len(gappy), dtype=bool)
    for store in ["s0", "s1", "s2"]:
        rows = np.flatnonzero((gappy.store == store).to_numpy())
        end = gappy.index[rows[-1]]
        tail[rows] = gappy.index[rows] > end - pd.Timedelta(days=HORIZON)
    assert len(last_rows) == 3
    assert np.isfinite(predicted[~tail]).all()


def test_windows_never_cross_series_or_read_mostly_gaps():
    present = np.ones(30, dtype=bool)
    present[22:27] = False  # a gap inside the second block
    offsets = np.array([0, 12, 30])
    target_offsets = np.arange(1, 3)
    ends, codes = valid_window_ends(present, offsets, 4, target_offsets, present)
    starts = ends - 3
    assert (offsets[codes] <= starts).all() and (ends + 2 < offsets[codes + 1]).all()
    assert present[ends].all()
    for end in ends:
        assert present[end - 3 : end + 1].sum() >= 2
    assert 24 not in ends and 26 not in ends


def test_window_ends_are_the_same_when_computed_in_runs_of_blocks(monkeypatch):
    # Big panels are scanned a few blocks at a time; the result must not change.
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 40, size=25)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    present = rng.random(offsets[-1]) > 0.2
    observed = present & (rng.random(offsets[-1]) > 0.3)
    target_offsets = np.arange(1, 4)
    whole = valid_window_ends(present, offsets, 6, target_offsets, observed)
    assert len(whole[0]) > 50
    for chunk_rows in (1, 7, 60, 10_000):
        monkeypatch.setattr(preparation, "CHUNK_ROWS", chunk_rows)
        ends, codes = valid_window_ends(present, offsets, 6, target_offsets, observed)
        np.testing.assert_array_equal(ends, whole[0])
        np.testing.assert_array_equal(codes, whole[1])


def cyclic_panel(n_series=3, n_rows=160, period=8, seed=1):
    """y = 5 + sin(2 pi t / period + phase) + noise, a phase per store.

    One level for all: the score's variance is the cycle's, not the stores'."""
    rng = np.random.default_rng(seed)
    frames = []
    for s in range(n_series):
        t = np.arange(n_rows)
        cycle = np.sin(2 * np.pi * t / period + rng.uniform(0, 2 * np.pi))
        y = 5 + cycle + 0.05 * rng.standard_normal(n_rows)
        index = pd.date_range("2024-01-01", periods=n_rows, freq="D", name="day")
        frames.append(pd.DataFrame({"store": f"s{s}", "y": y}, index=index))
    return pd.concat(frames)


@pytest.mark.slow
def test_grid_search_with_the_panel_splitter_in_parallel():
    # A cycle of 8 steps: one row cannot tell a rising step from a falling
    # one (the best 2-step forecast from it is flat), eight rows show the
    # whole cycle. The folds must pick 8 by a wide margin.
    search = GridSearchCV(
        small(epochs=15),
        {"input_size": [1, 8]},
        cv=PanelTimeSeriesSplit(n_splits=2, test_size=20, series_column="store"),
        n_jobs=2,
    )
    search.fit(cyclic_panel())
    scores = dict(
        zip(
            search.cv_results_["param_input_size"],
            search.cv_results_["mean_test_score"],
            strict=True,
        )
    )
    assert search.best_params_["input_size"] == 8
    assert scores[8] > 0.8 and scores[8] - scores[1] > 0.3, scores


@pytest.mark.slow
@pytest.mark.parametrize("loss", ["squared_error", "quantile"])
def test_windows_gathered_in_numpy_train_as_in_the_graph(panel, monkeypatch, loss):
    """Big series are not copied into the backend (windows gathered in NumPy,
    batch by batch): the same fit, with the same windows, as the in-graph path."""
    from sktsmixer.training import trainer as _training

    train, test = split_by_time(panel, 40)
    train = train.copy()
    train.loc[train.index[::7], "y"] = np.nan  # missing targets: the mask path too
    params = dict(future_columns=["promo"], static_columns=["sign", "size"], epochs=3, loss=loss)
    in_graph = small(**params).fit(train)
    monkeypatch.setattr(_training, "GATHER_IN_NUMPY_BYTES", 0)
    calls = []
    original = _training.GatheredWindows.__getitem__
    monkeypatch.setattr(
        _training.GatheredWindows,
        "__getitem__",
        lambda self, i: calls.append(i) or original(self, i),
    )
    gathered = small(**params).fit(train)
    assert calls, "the NumPy-gathered batches were not used"
    np.testing.assert_allclose(gathered.history_["loss"], in_graph.history_["loss"], rtol=1e-4)
    np.testing.assert_allclose(
        gathered.history_["val_loss"], in_graph.history_["val_loss"], rtol=1e-4
    )
    np.testing.assert_allclose(gathered.predict(test), in_graph.predict(test), rtol=1e-3, atol=1e-3)
