"""Known-ahead, static and calendar covariates (TSMixer-Ext inside the estimator)."""

import copy
import pickle
import subprocess
import sys

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit

from sktsmixer import TSMixerRegressor

HORIZON = 6
N_TRAIN = 1500


def demand_frame(n_rows=1800, seed=0):
    """Hourly demand = 3 x temperature (a random walk, so only known ahead)
    + a weekend drop (a week is longer than the window) + noise."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2024-01-01", periods=n_rows, freq="h", name="time")
    temperature = np.zeros(n_rows)
    for t in range(1, n_rows):
        temperature[t] = 0.8 * temperature[t - 1] + rng.standard_normal()
    weekend = (index.day_of_week >= 5).astype(float)
    demand = 20 + 3 * temperature - 4 * weekend + 0.3 * rng.standard_normal(n_rows)
    return pd.DataFrame({"demand": demand, "temperature": temperature}, index=index)


def small(**params):
    defaults = dict(
        input_size=24,
        horizon=HORIZON,
        target_columns=["demand"],
        n_blocks=1,
        ff_dim=16,
        dropout=0.0,
        epochs=25,
        patience=5,
        learning_rate=3e-3,
        random_state=0,
    )
    return TSMixerRegressor(**{**defaults, **params})


@pytest.fixture(scope="session")
def demand():
    return demand_frame()


@pytest.fixture(scope="session")
def with_covariates(demand):
    est = small(future_columns=["temperature"], time_features=["hour", "dayofweek", "dayofyear"])
    return est.fit(demand.iloc[:N_TRAIN])


def future_truth(values, horizon):
    windows = np.lib.stride_tricks.sliding_window_view(values[1:], horizon)
    return windows


@pytest.mark.slow
def test_known_ahead_and_calendar_inputs_are_learned(with_covariates, demand):
    without = small().fit(demand.iloc[:N_TRAIN])
    test = demand.iloc[N_TRAIN:]
    truth = future_truth(test["demand"].to_numpy(), HORIZON)
    n = len(truth)
    mse_with = np.mean((with_covariates.predict(test)[:n] - truth) ** 2)
    mse_without = np.mean((without.predict(test)[:n] - truth) ** 2)
    assert mse_with < 0.3 * mse_without, (mse_with, mse_without)
    assert with_covariates.time_feature_names_ == ["hour", "dayofweek", "dayofyear"]
    assert with_covariates.score(test) > 0.9


def test_predict_is_nan_only_where_the_future_is_unknown(with_covariates, demand):
    test = demand.iloc[N_TRAIN : N_TRAIN + 100]
    predicted = with_covariates.predict(test)
    assert np.isfinite(predicted[:-HORIZON]).all()
    assert np.isnan(predicted[-HORIZON:]).all()
    future = demand.iloc[N_TRAIN + 100 : N_TRAIN + 100 + HORIZON]
    completed = with_covariates.predict(test, future=future)
    assert np.isfinite(completed).all()
    np.testing.assert_allclose(completed[:-HORIZON], predicted[:-HORIZON], rtol=1e-6)
    # The last row with future= is exactly forecast()'s answer.
    forecast = with_covariates.forecast(test, future=future)
    np.testing.assert_allclose(completed[-1], forecast["demand"].to_numpy(), rtol=1e-6)


def test_forecast_returns_a_time_indexed_frame(with_covariates, demand):
    history = demand.iloc[:N_TRAIN]
    future = demand.iloc[N_TRAIN : N_TRAIN + HORIZON][["temperature"]]
    forecast = with_covariates.forecast(history, future=future)
    pd.testing.assert_index_equal(forecast.index, future.index)
    assert list(forecast.columns) == ["demand"]
    assert np.isfinite(forecast.to_numpy()).all()
    # An array of the right shape is accepted too.
    from_array = with_covariates.forecast(history, future=future.to_numpy())
    np.testing.assert_allclose(from_array.to_numpy(), forecast.to_numpy())


@pytest.mark.parametrize(
    "make_future, match",
    [
        (lambda f: None, r"pass future=.*next 6 rows"),
        (lambda f: f.iloc[:3], r"3 of the 6 rows"),
        (lambda f: f.rename(columns={"temperature": "temp"}), r"lacks the column.*temperature"),
        (lambda f: f.assign(temperature=np.nan), r"NaN"),
        (lambda f: f.shift(1, freq="h"), r"must continue X's index"),
        (lambda f: f.to_numpy()[:4], r"shape \(6, 1\)"),
    ],
)
def test_bad_future_is_rejected_with_what_to_pass(with_covariates, demand, make_future, match):
    history = demand.iloc[:N_TRAIN]
    future = demand.iloc[N_TRAIN : N_TRAIN + HORIZON][["temperature"]]
    with pytest.raises(ValueError, match=match):
        with_covariates.forecast(history, future=make_future(future))


@pytest.mark.slow
def test_future_on_a_model_without_future_columns_is_rejected(demand):
    est = small(epochs=1, time_features=["hour"]).fit(demand.iloc[:300])
    forecast = est.forecast(demand.iloc[:300])  # time features need no future
    assert len(forecast) == HORIZON
    with pytest.raises(ValueError, match="has none"):
        est.forecast(demand.iloc[:300], future=demand.iloc[300:306])


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(future_columns=["humidity"]), r"Unknown future column 'humidity'"),
        (dict(future_columns=["demand"]), r"both"),
        (dict(static_columns=["temperature"]), r"not constant"),
        (dict(time_features=["fortnight"]), r"time_features must list"),
    ],
)
def test_bad_roles_are_rejected(demand, params, match):
    with pytest.raises(ValueError, match=match):
        small(**params).fit(demand.iloc[:300])


def test_time_features_need_a_datetime_index(demand):
    with pytest.raises(ValueError, match="DatetimeIndex"):
        small(time_features=["hour"]).fit(demand.iloc[:300].to_numpy())
    # "auto" (the default) reads no calendar where there is none.
    est = small(time_features="auto", target_columns=[0], epochs=1).fit(
        demand.iloc[:300].to_numpy()
    )
    assert est.time_feature_names_ == []


def test_covariates_need_forecasting_mode(demand):
    y = demand["demand"].shift(-1).to_numpy()[:300]
    with pytest.raises(ValueError, match="future_columns need fit\\(X\\) with y=None"):
        TSMixerRegressor(future_columns=["temperature"]).fit(demand.iloc[:300], y)


@pytest.mark.slow
def test_persistence_of_a_covariate_model(with_covariates, demand, tmp_path):
    test = demand.iloc[N_TRAIN : N_TRAIN + 60]
    expected = with_covariates.predict(test)
    # Identical up to float32 round-off (oneDNN may order sums differently per graph).
    np.testing.assert_allclose(copy.deepcopy(with_covariates).predict(test), expected, rtol=1e-6)
    path = tmp_path / "est.pkl"
    path.write_bytes(pickle.dumps(with_covariates))
    test.to_pickle(tmp_path / "test.pkl")
    test_path, out_path = str(tmp_path / "test.pkl"), str(tmp_path / "p.npy")
    code = (
        "import pickle, numpy as np, pandas as pd; "
        f"est = pickle.loads(open({str(path)!r}, 'rb').read()); "
        f"np.save({out_path!r}, est.predict(pd.read_pickle({test_path!r})))"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    np.testing.assert_allclose(np.load(tmp_path / "p.npy"), expected, rtol=1e-6)
    # The Keras model alone survives save/load.
    with_covariates.model_.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    inputs = {
        "past": np.random.default_rng(0).standard_normal((4, 24, 2 + 6)).astype("float32"),
        "future": np.random.default_rng(1).standard_normal((4, HORIZON, 1 + 6)).astype("float32"),
    }
    np.testing.assert_allclose(
        loaded.predict_on_batch(inputs), with_covariates.model_.predict_on_batch(inputs), rtol=1e-6
    )


@pytest.mark.slow
def test_covariate_parameters_are_searchable(demand):
    search = GridSearchCV(
        small(epochs=10, time_features="auto"),
        {"future_columns": [None, ["temperature"]]},
        cv=TimeSeriesSplit(n_splits=2),
    )
    search.fit(demand.iloc[:900])
    assert search.best_params_ == {"future_columns": ["temperature"]}
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
