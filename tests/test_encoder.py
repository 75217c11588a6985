"""The fitted data encoder on its own: no model is built or trained here."""

import ast
import pathlib

import numpy as np
import pandas as pd
import pytest

from sktsmixer.data import Forecasts, PanelEncoder, parse_panel

INPUT, HORIZON = 6, 3


def frame(n_rows=(40, 30), start="2024-01-01", seed=0):
    """A panel of hourly series with different levels, lengths and a known-ahead column."""
    rng = np.random.default_rng(seed)
    parts = []
    for k, n in enumerate(n_rows):
        index = pd.date_range(start, periods=n, freq="h", name="time")
        parts.append(
            pd.DataFrame(
                {
                    "series": f"s{k}",
                    "load": 100 * (k + 1) + 10 * rng.standard_normal(n),
                    "temp": rng.standard_normal(n),
                },
                index=index,
            )
        )
    return pd.concat(parts).reset_index().set_index(["series", "time"])


def encoder(**kwargs):
    params = dict(
        input_size=INPUT,
        horizon=HORIZON,
        dynamic_names=["load", "temp"],
        static_names=[],
        target_indices=np.array([0]),
        future_indices=np.array([1]),
        time_feature_names=["hour"],
        series_column="series",
    )
    return PanelEncoder(**{**params, **kwargs})


def panel_of(X, calendar=None):
    return parse_panel(X, "series", calendar=calendar)[0]


def test_training_and_prediction_windows_read_the_same_values():
    X = frame()
    enc = encoder()
    training = enc.fit_transform(panel_of(X))
    ends, codes = training.train
    # the same rows of X, laid out for prediction (no context: pad)
    windows = enc.transform(panel_of(X), context="pad")
    layout = training.layout
    assert layout == windows.layout and layout.named
    for end, code in zip(ends, codes, strict=True):
        position = end - panel_of(X).offsets[code]
        row = np.flatnonzero((windows.blocks == code) & (windows.positions == position))[0]
        fitted = layout.numpy_inputs(training.series, end[None], code[None])
        predicted = layout.numpy_inputs(windows.series, windows.ends[row : row + 1], code[None])
        for name in ("past", "future"):
            np.testing.assert_allclose(predicted[name], fitted[name], rtol=1e-6, atol=1e-6)


def test_statistics_come_from_the_rows_training_windows_read():
    X = frame(n_rows=(60,))
    enc = encoder()
    training = enc.fit_transform(panel_of(X), holdout=(0.25, "set early_stopping=False"))
    train_ends, _ = training.train
    held_out, _ = training.validation
    assert train_ends.max() + HORIZON < held_out.min() + 1  # no shared target row
    read = X["load"].to_numpy()[: train_ends.max() + HORIZON + 1]
    assert enc.series_mean_[0, 0] == pytest.approx(read.mean())
    assert enc.series_mean_[0, 0] != pytest.approx(X["load"].mean())


def test_scaled_outputs_map_back_to_the_units_of_every_series():
    X = frame()
    enc = encoder()
    enc.fit_transform(panel_of(X))
    windows = enc.transform(panel_of(X), context="pad")
    rng = np.random.default_rng(1)
    raw = rng.standard_normal((len(windows.ends), HORIZON, 1))
    forecasts = Forecasts(enc, windows, raw.copy())
    values = forecasts.unscale(forecasts.point())
    np.testing.assert_allclose(forecasts.scale_targets(values), forecasts.raw, atol=1e-9)
    # series 1 is on a level of 200, series 0 of 100: zero maps to each mean
    zero = Forecasts(enc, windows, np.zeros_like(raw)).unscale(np.zeros_like(raw))
    for code in (0, 1):
        level = zero[windows.blocks == code].mean()
        assert level == pytest.approx(enc.series_mean_[code, 0])
        assert abs(level - 100 * (code + 1)) < 10


def test_an_unseen_series_is_scaled_by_its_own_statistics():
    enc = encoder()
    enc.fit_transform(panel_of(frame()))
    new = frame(n_rows=(30,), seed=3).rename(index={"s0": "new"}, level="series")
    new["load"] += 1000
    windows = enc.transform(panel_of(new), context="pad")
    assert windows.mean[0, 0] == pytest.approx(new["load"].mean())
    assert windows.mean[0, 0] > 1000


def test_gaps_are_filled_as_inputs_and_masked_as_targets():
    X = frame(n_rows=(40,))
    X = X.drop(X.index[20:24])  # four hours missing
    enc = encoder()
    training = enc.fit_transform(panel_of(X))
    assert training.target_mask is not None
    mask = training.target_mask[:, 0]
    assert mask[20:24].tolist() == [0, 0, 0, 0] and mask[:20].all()
    # filled forward: the gap repeats the last observed (scaled) value
    load = training.series[:, 0]
    assert np.allclose(load[20:24], load[19])
    # no training window has a target row entirely in the gap
    ends, _ = training.train
    targets = ends[:, None] + np.arange(1, HORIZON + 1)
    assert mask[targets].any(axis=1).all()


def test_a_continuation_of_the_fitted_data_reads_its_end_as_context():
    X = frame(n_rows=(40,))
    enc = encoder()
    training = enc.fit_transform(panel_of(X.iloc[:30]))
    windows = enc.transform(panel_of(X.iloc[30:]), context="auto")
    first = windows.layout.numpy_inputs(windows.series, windows.ends[:1], np.array([0]))
    end_of_fit = training.series[30 - INPUT + 1 : 30, 0]
    np.testing.assert_allclose(first["past"][0, :-1, 0], end_of_fit, rtol=1e-6)
    # padded instead: the first row repeated
    padded = enc.transform(panel_of(X.iloc[30:]), context="pad")
    past = padded.layout.numpy_inputs(padded.series, padded.ends[:1], np.array([0]))["past"]
    assert np.allclose(past[0, :, 0], past[0, -1, 0])


def test_known_ahead_values_are_checked_and_read_on_the_horizon():
    X = frame()
    enc = encoder()
    enc.fit_transform(panel_of(X))
    last = panel_of(X)
    index = pd.MultiIndex.from_product([["s0", "s1"], range(HORIZON)], names=["series", "step"])
    times = [last.next_label(i) + pd.Timedelta(hours=h) for i in (0, 1) for h in range(3)]
    future = pd.DataFrame(
        {"temp": np.arange(6.0)},
        index=pd.MultiIndex.from_arrays(
            [index.get_level_values("series"), pd.DatetimeIndex(times, name="time")]
        ),
    )
    values = enc.future_values(last, future)
    assert values.shape == (2, HORIZON, 1)
    assert values[1, :, 0].tolist() == [3.0, 4.0, 5.0]
    with pytest.raises(ValueError, match="future must continue X's index"):
        enc.future_values(last, future.iloc[1:])  # s0 would start an hour late
    windows = enc.transform(last, values, last_only=True)
    assert not windows.needs_future.any()
    unknown = enc.transform(panel_of(X), None, last_only=True)
    assert unknown.needs_future.all()


def test_the_forecast_index_continues_every_series():
    X = frame()
    enc = encoder()
    enc.fit_transform(panel_of(X))
    index = enc.forecast_index(panel_of(X))
    assert index.names == ["series", "time"]
    assert list(index.get_level_values("series")) == ["s0"] * 3 + ["s1"] * 3
    assert index.get_level_values("time")[0] == pd.Timestamp("2024-01-01") + pd.Timedelta(hours=40)


def test_the_data_package_imports_no_model_and_no_training_code():
    package = pathlib.Path(__file__).parents[1] / "sktsmixer" / "data"
    forbidden = ("keras", "tensorflow", "jax", "torch", "sktsmixer.training", "sktsmixer.models")
    found = []
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            found += [(path.name, n) for n in names if n.startswith(forbidden)]
            found += [(path.name, n) for n in names if n.startswith("sktsmixer.layers")]
    assert found == []
