"""Text and category columns as static, known-ahead and past inputs."""

import pickle
import warnings

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from sktsmixer import TSMixerRegressor
from sktsmixer.data.categorical import MAX_ONEHOT_CATEGORIES, resolve_encodings
from sktsmixer.data.panel import parse_panel
from sktsmixer.layers.categorical import CategoricalChannels

HORIZON = 2


def small(**params):
    defaults = dict(
        input_size=8,
        horizon=HORIZON,
        target_columns=["y"],
        series_column="shop",
        time_features=None,
        n_blocks=1,
        ff_dim=16,
        dropout=0.0,
        epochs=30,
        patience=5,
        learning_rate=3e-3,
        random_state=0,
    )
    return TSMixerRegressor(**{**defaults, **params})


def tiny_panel(n_series=4, n_rows=40, seed=0):
    """Every kind of column: a category static, a text future, a string past, a bool."""
    rng = np.random.default_rng(seed)
    frames = []
    for s in range(n_series):
        index = pd.date_range("2024-01-01", periods=n_rows, freq="D", name="day")
        frames.append(
            pd.DataFrame(
                {
                    "shop": f"s{s}",
                    "y": 5 + rng.standard_normal(n_rows),
                    "kind": "ab"[s % 2],
                    "promo_type": rng.choice(["none", "bogo", "discount"], n_rows),
                    "weather": rng.choice(["sun", "rain"], n_rows),
                    "holiday": rng.random(n_rows) < 0.2,
                },
                index=index,
            )
        )
    frame = pd.concat(frames)
    # 'c' is declared but never used: the dtype's categories are the ones learned.
    frame["kind"] = pd.Categorical(frame["kind"], categories=["c", "a", "b"])
    frame["weather"] = frame["weather"].astype("string")
    return frame


def tiny(**params):
    defaults = dict(
        target_columns=None,
        static_columns=["kind"],
        future_columns=["promo_type"],
        ff_dim=8,
        epochs=1,
        early_stopping=False,
    )
    return small(**{**defaults, **params})


def next_rows(frame, horizon=HORIZON):
    future = frame.groupby("shop").tail(horizon).copy()
    future.index = future.index + horizon * pd.Timedelta(days=1)
    return future


@pytest.fixture(scope="module")
def panel():
    return tiny_panel()


@pytest.fixture(scope="module")
def fitted(panel):
    return tiny().fit(panel)


def test_categories_encodings_and_roles_are_learned(fitted):
    assert list(fitted.categories_) == ["kind", "promo_type", "weather"]
    assert list(fitted.categories_["kind"]) == ["c", "a", "b"]
    assert list(fitted.categories_["promo_type"]) == ["bogo", "discount", "none"]
    assert fitted.categorical_encoding_ == {
        "kind": ("onehot", 3),
        "promo_type": ("onehot", 3),
        "weather": ("onehot", 2),
    }
    # Categories are inputs, a boolean is a number (and so a default target).
    assert fitted.target_names_ == ["y", "holiday"]
    weather = fitted._dynamic_names.index("weather")
    assert (fitted.series_mean_[:, weather] == 0).all()
    assert (fitted.series_scale_[:, weather] == 1).all()
    encoder = fitted.encoder_
    assert encoder.static_mean_.tolist() == [0.0] and encoder.static_scale_.tolist() == [1.0]
    layers = {layer.name: layer for layer in fitted.model_.layers}
    assert layers["static_categories"].output_channels == 3
    assert layers["past_categories"].categoricals == [
        [fitted._dynamic_names.index("promo_type"), 3, 0],
        [weather, 2, 0],
    ]


def test_booleans_are_numbers_and_codes_follow_the_categories(panel):
    frame = panel.assign(maybe=pd.array([True, None] * (len(panel) // 2), dtype="boolean"))
    parsed, _, dynamic = parse_panel(frame, "shop", ["kind"])
    assert "holiday" not in parsed.categories and "maybe" not in parsed.categories
    holiday = parsed.dynamic[:, dynamic.index("holiday")]
    np.testing.assert_array_equal(holiday, panel["holiday"].to_numpy(dtype=float))
    maybe = parsed.dynamic[:, dynamic.index("maybe")]
    assert set(maybe[::2]) == {1.0} and np.isnan(maybe[1::2]).all()
    weather = parsed.dynamic[:, dynamic.index("weather")]
    expected = np.where(panel["weather"].to_numpy() == "rain", 1.0, 2.0)  # sorted: rain, sun
    np.testing.assert_array_equal(weather, expected)
    np.testing.assert_array_equal(parsed.static[:, 0], [2, 3, 2, 3])  # a, b after c


def test_unseen_categories_predict_with_one_warning_naming_them(fitted, panel):
    changed = panel.copy()
    changed["kind"] = changed["kind"].astype(object)
    changed.loc[changed["shop"] == "s0", "kind"] = "zzz"
    changed["weather"] = changed["weather"].where(changed.index < "2024-02-05", "hail")
    future = next_rows(panel).assign(promo_type="mega")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        forecast = fitted.forecast(changed, future=future)
        predicted = fitted.predict(changed, future=future)
    messages = [str(w.message) for w in caught if "not seen in fit" in str(w.message)]
    assert len(messages) == 2, messages  # one per call
    for name, value in [("kind", "zzz"), ("weather", "hail"), ("promo_type", "mega")]:
        assert f"'{name}'" in messages[0] and value in messages[0]
    assert np.isfinite(forecast.to_numpy()).all()
    assert np.isfinite(predicted).all()
    # Unknown is its own code: it changes the forecast of the series it reaches only.
    base = fitted.forecast(panel, future=next_rows(panel))
    moved = ~np.isclose(forecast["y"], base["y"])
    shops = forecast.index.get_level_values("shop")
    assert moved[shops == "s0"].any()


def test_unknown_code_is_a_zero_vector():
    layer = CategoricalChannels(3, [[0, 2, 0], [2, 5, 4]], seed=0)
    codes = keras.ops.convert_to_tensor([[0.0, 7.5, 0.0], [1.0, -1.0, 3.0], [2.0, 0.0, 5.0]])
    out = keras.ops.convert_to_numpy(layer(codes))
    np.testing.assert_array_equal(out[:, 0], [7.5, -1.0, 0.0])  # the kept channel first
    np.testing.assert_array_equal(out[:, 1:3], [[0, 0], [1, 0], [0, 1]])  # one-hot, 0 unknown
    table = keras.ops.convert_to_numpy(layer.tables[1])
    np.testing.assert_array_equal(out[0, 3:], 0.0)  # unknown embedding
    np.testing.assert_allclose(out[1, 3:], table[2])
    np.testing.assert_allclose(out[2, 3:], table[4])
    rebuilt = CategoricalChannels.from_config(layer.get_config())
    assert rebuilt.output_channels == layer.output_channels == 1 + 2 + 4


def test_category_dtype_round_trips_through_pickle(fitted, panel):
    loaded = pickle.loads(pickle.dumps(fitted))
    assert loaded.categories_["kind"].equals(fitted.categories_["kind"])
    future = next_rows(panel)
    np.testing.assert_allclose(
        loaded.predict(panel, future=future),
        fitted.predict(panel, future=future),
        rtol=1e-5,
        atol=1e-5,
    )
    pd.testing.assert_frame_equal(
        loaded.forecast(panel, future=future), fitted.forecast(panel, future=future), atol=1e-5
    )
    # The same values as text read the same codes.
    as_text = panel.assign(kind=panel["kind"].astype(str), weather=panel["weather"].astype(object))
    np.testing.assert_allclose(
        loaded.predict(as_text, future=future), loaded.predict(panel, future=future), atol=1e-6
    )


def test_auto_encoding_embeds_many_categories():
    many = {"item": pd.Index([f"i{k}" for k in range(100)])}
    assert resolve_encodings(many, "auto") == {"item": ("embedding", 20)}
    few = {"item": pd.Index(range(MAX_ONEHOT_CATEGORIES))}
    assert resolve_encodings(few, "auto") == {"item": ("onehot", MAX_ONEHOT_CATEGORIES)}
    assert resolve_encodings(many, "onehot") == {"item": ("onehot", 100)}
    assert resolve_encodings(few, {"item": 3}) == {"item": ("embedding", 3)}


@pytest.mark.slow
def test_embedding_sizes_follow_the_parameter(panel):
    est = tiny(categorical_embedding={"kind": 4, "weather": "onehot"}).fit(panel)
    assert est.categorical_encoding_["kind"] == ("embedding", 4)
    assert est.categorical_encoding_["promo_type"] == ("onehot", 3)
    layers = {layer.name: layer for layer in est.model_.layers}
    assert tuple(layers["static_categories"].tables[0].shape) == (3, 4)


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(categorical_embedding=0), InvalidParameterError),
        (dict(categorical_embedding="big"), InvalidParameterError),
        (dict(categorical_embedding=2.5), InvalidParameterError),
        (dict(categorical_embedding={"y": 3}), r"names \['y'\], which are not categorical"),
        (dict(categorical_embedding={"kind": "wide"}), r"for column 'kind' must be"),
        (dict(target_columns=["y", "weather"]), r"categorical column\(s\) \['weather'\]"),
    ],
)
def test_bad_categorical_parameters_are_named(panel, params, match):
    error = match if isinstance(match, type) else ValueError
    with pytest.raises(error, match=None if isinstance(match, type) else match):
        tiny(**params).fit(panel)


def test_categories_need_fit_without_y_and_a_frame_for_future(fitted, panel):
    one = panel[panel["shop"] == "s0"].drop(columns=["shop", "kind"])
    with pytest.raises(ValueError, match=r"\['promo_type', 'weather'\] of X hold text.*y=None"):
        TSMixerRegressor(input_size=8, epochs=1, time_features=None).fit(one, one["y"].to_numpy())
    with pytest.raises(ValueError, match="hold categories: pass future= as a DataFrame"):
        fitted.forecast(panel[panel["shop"] == "s0"], future=np.zeros((HORIZON, 1)))
    only_text = panel[["shop", "weather"]]
    with pytest.raises(ValueError, match="no numeric time-varying column left"):
        tiny(static_columns=None, future_columns=None).fit(only_text)
    with pytest.raises(ValueError, match=r"\['y'\] of X hold text or categories, but were numeric"):
        fitted.predict(panel.assign(y=panel["y"].astype(str)))


def response_panel(n_series=9, n_rows=140, seed=0):
    """y = 5 + effect[kind] x promo + noise: only the text static says how a
    series answers its (numeric, known-ahead) promotion."""
    rng = np.random.default_rng(seed)
    effect = {"up": 1.0, "down": -1.0, "flat": 0.0}
    frames = []
    for s in range(n_series):
        kind = list(effect)[s % 3]
        index = pd.date_range("2024-01-01", periods=n_rows, freq="D", name="day")
        promo = rng.standard_normal(n_rows)
        y = 5 + effect[kind] * promo + 0.1 * rng.standard_normal(n_rows)
        frames.append(
            pd.DataFrame({"shop": f"s{s}", "y": y, "promo": promo, "kind": kind}, index=index)
        )
    return pd.concat(frames)


def held_out_mse(est, frame, n_test):
    """MSE of the one-step-ahead forecasts made on the last n_test rows of every series."""
    rank = frame.groupby("shop").cumcount(ascending=False).to_numpy()
    test = rank < n_test
    predicted = est.predict(frame)[:, 0]
    truth = frame.groupby("shop")["y"].shift(-1).to_numpy()
    keep = test & np.isfinite(truth) & np.isfinite(predicted)
    return float(np.mean((predicted[keep] - truth[keep]) ** 2))


def split(frame, n_test):
    rank = frame.groupby("shop").cumcount(ascending=False)
    return frame[rank >= n_test]


@pytest.fixture(scope="module")
def responses():
    return response_panel()


@pytest.fixture(scope="module")
def without_static(responses):
    return small(future_columns=["promo"]).fit(split(responses.drop(columns="kind"), 40))


@pytest.mark.slow
@pytest.mark.parametrize("encoding", ["auto", 2])
def test_a_categorical_static_that_decides_the_response_helps(responses, without_static, encoding):
    est = small(future_columns=["promo"], static_columns=["kind"], categorical_embedding=encoding)
    est.fit(split(responses, 40))
    kind = "onehot" if encoding == "auto" else "embedding"
    assert est.categorical_encoding_["kind"][0] == kind
    mse_with = held_out_mse(est, responses, 40)
    mse_without = held_out_mse(without_static, responses.drop(columns="kind"), 40)
    assert mse_with < 0.5 * mse_without, (mse_with, mse_without)


def promotion_series(n_rows=500, seed=0):
    """y = 5 + shift[promotion type] + noise; the type is random and known ahead."""
    rng = np.random.default_rng(seed)
    shift = {"none": 0.0, "discount": 2.0, "clearance": -2.0}
    kinds = rng.choice(list(shift), n_rows, p=[0.5, 0.25, 0.25])
    y = 5 + np.array([shift[k] for k in kinds]) + 0.2 * rng.standard_normal(n_rows)
    index = pd.date_range("2024-01-01", periods=n_rows, freq="D", name="day")
    return pd.DataFrame({"shop": "s0", "y": y, "promotion": kinds}, index=index)


@pytest.mark.slow
def test_a_categorical_future_column_helps():
    frame = promotion_series()
    train = split(frame, 100)
    with_type = small(future_columns=["promotion"]).fit(train)
    without = small().fit(train.drop(columns="promotion"))
    mse_with = held_out_mse(with_type, frame, 100)
    mse_without = held_out_mse(without, frame.drop(columns="promotion"), 100)
    assert mse_with < 0.3 * mse_without, (mse_with, mse_without)
