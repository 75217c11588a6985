"""TSMixerRegressor: learning, the data contract, persistence and bad input."""

import copy
import pickle
import subprocess
import sys

import keras
import numpy as np
import pandas as pd
import pytest
from _common import future_matrix
from sklearn.base import clone

from sktsmixer import TSMixerRegressor
from sktsmixer.data.scaling import split_by_series

HORIZON = 12
N_TRAIN = 1000


def small(**params):
    defaults = dict(
        input_size=48,
        horizon=HORIZON,
        n_blocks=1,
        ff_dim=16,
        dropout=0.0,
        epochs=20,
        patience=5,
        learning_rate=3e-3,
        random_state=0,
    )
    return TSMixerRegressor(**{**defaults, **params})


def frame(values, start="2024-01-01"):
    index = pd.date_range(start, periods=len(values), freq="h", name="time")
    return pd.DataFrame(values, index=index, columns=["load", "temp", "price"])


@pytest.fixture(scope="session")
def seasonal_frame(seasonal):
    return frame(seasonal)


@pytest.fixture(scope="session")
def multivariate(seasonal_frame):
    """Mode 1 on all three columns of a DataFrame (fitted once)."""
    return small().fit(seasonal_frame.iloc[:N_TRAIN])


@pytest.fixture(scope="session")
def regression(seasonal):
    """Mode 2: y = the first column 6 steps ahead (NaN where unknown)."""
    y = np.r_[seasonal[6:, 0], [np.nan] * 6]
    est = small(input_size=24).fit(seasonal[:N_TRAIN], y[:N_TRAIN])
    return est, y


# --------------------------------------------------------------- learning


@pytest.mark.slow
def test_multivariate_beats_seasonal_naive(multivariate, seasonal_frame):
    test = seasonal_frame.iloc[N_TRAIN:]
    values = test.to_numpy()
    n_scored = len(test) - HORIZON
    predicted = multivariate.predict(test)[:n_scored]
    truth = future_matrix(values, HORIZON)
    # Seasonal naive: the value one day (24 steps) before each target step.
    full = seasonal_frame.to_numpy()
    rows = N_TRAIN + np.arange(n_scored)[:, None] + np.arange(1, HORIZON + 1) - 24
    naive = full[rows].reshape(n_scored, -1)
    model_mse, naive_mse = np.mean((predicted - truth) ** 2), np.mean((naive - truth) ** 2)
    assert model_mse < 0.7 * naive_mse, (model_mse, naive_mse)


@pytest.mark.slow
def test_small_data_beats_seasonal_naive_in_15_epochs():
    # Issue 10's small-data case: 1,100 rows, one block, ff_dim 16, batch 64,
    # learning rate 1e-3, 15 epochs (255 steps). With a random (Glorot) temporal
    # projection the same fit only matches seasonal naive (ratio 0.88-1.11 over
    # seeds); starting it at zero gets to 0.37-0.47 (benchmarks/convergence.py).
    # Squared error as in that study: the ratio below is one of squared errors.
    from conftest import seasonal_series
    from convergence import N_FIT, N_SCORED_ROWS, ratio_to_naive, scoring_arrays

    values = seasonal_series(n_rows=N_FIT + N_SCORED_ROWS)
    truth, naive = scoring_arrays(values)
    common = dict(epochs=15, seed=0, learning_rate=1e-3, dropout=0.1, loss="squared_error")
    zeros, _, steps = ratio_to_naive(values, truth, naive, glorot=False, **common)
    glorot, _, _ = ratio_to_naive(values, truth, naive, glorot=True, **common)
    assert steps <= 255
    assert zeros < 0.6 and glorot > 0.8, (zeros, glorot)


@pytest.mark.slow
def test_default_estimator_learns_the_small_series():
    # Only input_size and horizon set: the defaults (dropout 0.9, chosen on
    # ETTh1) must still learn a short clean series, early stopping included.
    from conftest import seasonal_series
    from convergence import N_FIT, N_SCORED_ROWS, scoring_arrays

    values = seasonal_series(n_rows=N_FIT + N_SCORED_ROWS)
    truth, naive = scoring_arrays(values)
    est = TSMixerRegressor(input_size=48, horizon=HORIZON, context="continue", random_state=0)
    predicted = est.fit(values[:N_FIT]).predict(values[N_FIT:])[: len(truth)]
    model_mse, naive_mse = np.mean((predicted - truth) ** 2), np.mean((naive - truth) ** 2)
    assert model_mse < 0.8 * naive_mse, (model_mse, naive_mse, est.n_iter_)


@pytest.mark.slow
def test_regression_beats_last_value(regression, seasonal):
    est, y = regression
    rows = slice(N_TRAIN, len(y) - 6)
    predicted = est.predict(seasonal[N_TRAIN:])[: len(y) - 6 - N_TRAIN]
    model_mse = np.mean((predicted - y[rows]) ** 2)
    naive_mse = np.mean((seasonal[rows, 0] - y[rows]) ** 2)
    assert model_mse < 0.5 * naive_mse, (model_mse, naive_mse)
    assert est.score(seasonal[N_TRAIN:], y[N_TRAIN:]) > 0.8


def test_history_records_decreasing_losses(multivariate):
    history = multivariate.history_
    assert len(history["loss"]) == multivariate.n_iter_ == len(history["val_loss"])
    assert history["loss"][-1] < history["loss"][0]
    assert min(history["val_loss"]) < history["val_loss"][0]


@pytest.mark.slow
@pytest.mark.parametrize("weight_averaging", [None, 0.9])
def test_restored_weights_are_the_ones_the_hold_out_scored(weight_averaging, seasonal, monkeypatch):
    # With averaging the hold-out must be scored, and the best weights kept,
    # with the averaged weights in the model: re-scoring the hold-out with
    # the fitted model then gives the best validation loss again. Raw
    # weights restored after averaged ones were scored would not.
    from sktsmixer.training import trainer as _training
    from sktsmixer.training.batches import WindowedTrainer

    seen, read_from = {}, {}
    evaluate, fit_input = WindowedTrainer.evaluate, _training.fit_input

    def recording_fit_input(batches):
        read = fit_input(batches)
        read_from[id(read)] = batches
        return read

    def recording_evaluate(trainer, x=None, *args, **kwargs):
        seen.update(trainer=trainer, batches=read_from.get(id(x), x))
        return evaluate(trainer, x, *args, **kwargs)

    monkeypatch.setattr(_training, "fit_input", recording_fit_input)
    monkeypatch.setattr(WindowedTrainer, "evaluate", recording_evaluate)
    est = small(epochs=8, patience=2, dropout=0.3, weight_averaging=weight_averaging)
    est.fit(seasonal[:600])
    assert seen, "the hold-out was never scored"
    # A new pipeline over the hold-out: the fit's own was released with it.
    rescored = seen["trainer"].evaluate(fit_input(seen["batches"]), verbose=0)
    np.testing.assert_allclose(rescored, min(est.history_["val_loss"]), rtol=1e-5)


@pytest.mark.slow
def test_weight_averaging_keeps_the_average_not_the_last_step(seasonal):
    raw = small(epochs=3, early_stopping=False, dropout=0.3).fit(seasonal[:600])
    averaged = clone(raw).set_params(weight_averaging=0.9).fit(seasonal[:600])
    assert averaged.get_params()["weight_averaging"] == 0.9
    # The same seed draws the same batches and masks: the raw path is shared
    # and only what is kept at the end differs.
    np.testing.assert_allclose(averaged.history_["loss"], raw.history_["loss"], rtol=1e-5)
    difference = np.abs(averaged.predict(seasonal[600:700]) - raw.predict(seasonal[600:700]))
    assert difference.max() > 1e-4


# ---------------------------------------------------------- data contract


def test_prediction_shapes_and_column_order(multivariate, seasonal_frame):
    test = seasonal_frame.iloc[N_TRAIN : N_TRAIN + 100]
    predicted = multivariate.predict(test)
    assert predicted.shape == (100, HORIZON * 3) and predicted.dtype == np.float64
    forecast = multivariate.forecast(test)
    np.testing.assert_allclose(predicted[-1].reshape(HORIZON, 3), forecast.to_numpy(), rtol=1e-5)


def test_forecast_continues_datetime_index(multivariate, seasonal_frame):
    history = seasonal_frame.iloc[:500]
    forecast = multivariate.forecast(history)
    assert list(forecast.columns) == ["load", "temp", "price"]
    expected = pd.date_range(history.index[-1], periods=HORIZON + 1, freq="h")[1:]
    pd.testing.assert_index_equal(forecast.index, expected, check_names=False)
    assert forecast.index.name == "time"


def test_forecast_continues_range_index_and_returns_array_for_arrays(seasonal):
    est = small(target_columns=[2], epochs=2).fit(pd.DataFrame(seasonal[:300]))
    forecast = est.forecast(pd.DataFrame(seasonal[:300]))
    assert list(forecast.index) == list(range(300, 300 + HORIZON))
    assert list(forecast.columns) == [2]
    array_forecast = est.forecast(seasonal[:300])
    assert isinstance(array_forecast, np.ndarray) and array_forecast.shape == (HORIZON, 1)
    np.testing.assert_allclose(array_forecast, forecast.to_numpy())
    assert est.predict(seasonal[:50]).shape == (50, HORIZON)


@pytest.mark.slow
def test_named_target_columns(seasonal_frame):
    est = small(target_columns=["temp", "load"], epochs=2).fit(seasonal_frame.iloc[:400])
    np.testing.assert_array_equal(est.target_indices_, [1, 0])
    forecast = est.forecast(seasonal_frame.iloc[:400])
    assert list(forecast.columns) == ["temp", "load"]
    assert est.predict(seasonal_frame.iloc[400:450]).shape == (50, HORIZON * 2)


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_dataframe_that_continues_fit_uses_fit_context(multivariate, seasonal_frame):
    test = seasonal_frame.iloc[N_TRAIN : N_TRAIN + 60]
    auto = multivariate.predict(test)
    continued = clone(multivariate).set_params(context="continue")
    continued.__dict__.update(
        {k: v for k, v in multivariate.__dict__.items() if k.endswith("_") or k.startswith("_")}
    )
    np.testing.assert_array_equal(auto, continued.predict(test.to_numpy()))
    # The same rows without context: the first windows are padded and differ...
    padded = multivariate.predict(test.to_numpy())
    assert np.abs(padded[:10] - auto[:10]).max() > 1e-3
    # ...but a window that lies entirely inside X is the same either way.
    np.testing.assert_allclose(padded[47:], auto[47:], rtol=1e-6)
    # Continuation uses exactly the last rows of the fit data.
    joined = multivariate.predict(seasonal_frame.iloc[N_TRAIN - 47 : N_TRAIN + 60])[47:]
    np.testing.assert_allclose(joined, auto, rtol=1e-5, atol=1e-6)


def test_score_is_r2_on_future_inside_x(multivariate, seasonal_frame):
    from sklearn.metrics import r2_score

    test = seasonal_frame.iloc[N_TRAIN:]
    truth = future_matrix(test.to_numpy(), HORIZON)
    expected = r2_score(truth, multivariate.predict(test)[: len(truth)])
    assert multivariate.score(test) == pytest.approx(expected)
    assert multivariate.score(test) > 0.5


def test_regression_prediction_shapes(regression, seasonal):
    est, y = regression
    assert est.predict(seasonal[:30]).shape == (30,)
    two = small(input_size=8, epochs=2, early_stopping=False)
    two.fit(seasonal[:200], np.column_stack([y[:200], -y[:200]]))
    assert two.predict(seasonal[:30]).shape == (30, 2)
    assert np.isfinite(est.predict(seasonal[N_TRAIN - 6 : N_TRAIN])).all()


def test_missing_targets_are_masked_not_trained_on(seasonal):
    y = seasonal[:300, 0].copy()
    y_wild = y.copy()
    y[150:] = np.nan
    y_wild[150:] = 1e6  # would dominate the loss if it were trained on
    partial = small(input_size=8, epochs=3, early_stopping=False).fit(seasonal[:300], y)
    sliced = small(input_size=8, epochs=3, early_stopping=False)
    sliced.fit(seasonal[:300], np.where(np.isnan(y), np.nan, y_wild))
    np.testing.assert_array_equal(partial.predict(seasonal[:50]), sliced.predict(seasonal[:50]))
    assert np.abs(partial.predict(seasonal[:300])).max() < 100


@pytest.mark.slow
def test_same_random_state_gives_identical_fits(seasonal):
    first = small(epochs=2, dropout=0.2).fit(seasonal[:400]).predict(seasonal[400:500])
    second = small(epochs=2, dropout=0.2).fit(seasonal[:400]).predict(seasonal[400:500])
    other = (
        small(epochs=2, dropout=0.2, random_state=1).fit(seasonal[:400]).predict(seasonal[400:500])
    )
    np.testing.assert_array_equal(first, second)
    assert np.abs(first - other).max() > 0


def test_warm_start_continues_training(seasonal):
    est = small(epochs=2, warm_start=True, early_stopping=False).fit(seasonal[:400])
    model, before = est.model_, est.predict(seasonal[:100])
    est.fit(seasonal[:400])
    assert est.model_ is model and est.n_iter_ == 2
    assert np.abs(est.predict(seasonal[:100]) - before).max() > 0


def test_fit_leaves_global_state_alone(seasonal):
    np.random.seed(123)
    numpy_state = np.random.get_state()[1].copy()
    floatx, policy = keras.config.floatx(), keras.config.dtype_policy().name
    small(epochs=1, random_state=5).fit(seasonal[:300])
    np.testing.assert_array_equal(np.random.get_state()[1], numpy_state)
    assert keras.config.floatx() == floatx and keras.config.dtype_policy().name == policy


def test_validation_targets_never_overlap_training_targets():
    # two series of different lengths, one after the other in the panel array
    ends = np.concatenate([np.arange(47, 988), np.arange(1047, 1500)])
    codes = np.repeat([0, 1], [988 - 47, 1500 - 1047])
    train, held_out = split_by_series(ends, codes, 2, 0.1, HORIZON)
    assert not (train & held_out).any()
    for code in (0, 1):
        mine = codes == code
        last_train_target = ends[train & mine].max() + HORIZON
        first_validation_target = ends[held_out & mine].min() + 1
        assert last_train_target < first_validation_target
        assert held_out[mine].sum() == int(np.ceil(0.1 * mine.sum()))


@pytest.mark.slow
@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="TensorFlow's graph")
def test_fits_leave_no_dataset_callbacks_in_the_global_graph(seasonal):
    from tensorflow.python.framework import ops

    funcs = ops.get_default_graph()._py_funcs_used_in_graph
    small(epochs=1).fit(seasonal[:300])
    before = len(funcs)
    for _ in range(2):
        small(epochs=1).fit(seasonal[:300])
    assert len(funcs) == before


# ------------------------------------------------------------ persistence


@pytest.mark.slow
def test_pickle_loads_in_a_fresh_process(multivariate, seasonal_frame, tmp_path):
    test = seasonal_frame.iloc[N_TRAIN : N_TRAIN + 50]
    (tmp_path / "est.pkl").write_bytes(pickle.dumps(multivariate))
    test.to_pickle(tmp_path / "X.pkl")
    code = (
        "import pickle, sys, numpy as np, pandas as pd;"
        "est = pickle.load(open(sys.argv[1], 'rb'));"
        "np.save(sys.argv[3], est.predict(pd.read_pickle(sys.argv[2])))"
    )
    subprocess.run(
        [sys.executable, "-c", code, tmp_path / "est.pkl", tmp_path / "X.pkl", tmp_path / "p.npy"],
        check=True,
        cwd=tmp_path,
        timeout=300,
    )
    np.testing.assert_array_equal(np.load(tmp_path / "p.npy"), multivariate.predict(test))


def test_pickle_size_follows_weights_not_data(seasonal):
    short = small(epochs=1, input_size=16).fit(seasonal[:200])
    long = small(epochs=1, input_size=16).fit(np.tile(seasonal, (5, 1)))
    weight_bytes = 4 * short.model_.count_params()
    # Beside the weights, only the interval calibration grows with the data:
    # two float32 values per hold-out window, step and target.
    calibration = long.calibration_
    calibration_bytes = calibration.y_true.nbytes + calibration.y_point.nbytes
    assert calibration.n_calibration_ == pytest.approx(0.1 * len(seasonal) * 5, rel=0.05)
    assert len(pickle.dumps(long)) < 1.3 * len(pickle.dumps(short)) + calibration_bytes
    assert len(pickle.dumps(long)) < 2 * weight_bytes + 200_000 + calibration_bytes


def test_unfitted_estimator_pickles_and_deepcopies():
    est = small(epochs=3)
    assert pickle.loads(pickle.dumps(est)).get_params() == est.get_params()
    assert copy.deepcopy(est).get_params() == est.get_params()


def test_deepcopy_of_fitted_predicts_identically(multivariate, seasonal_frame):
    test = seasonal_frame.iloc[N_TRAIN : N_TRAIN + 30]
    np.testing.assert_array_equal(
        copy.deepcopy(multivariate).predict(test), multivariate.predict(test)
    )


# -------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "params, X, y, match",
    [
        (dict(), np.zeros((60, 3)), None, r"at least 72 rows"),
        (dict(early_stopping=False), np.zeros((59, 3)), None, r"at least 60 rows"),
        (dict(), np.zeros((48, 3)), np.zeros(48), r"at least 49 rows"),
        (dict(), np.zeros((0, 3)), None, r"0 sample"),
        (dict(), np.zeros((100, 3, 2)), None, r"3"),
        (dict(), np.array([[1.0, np.nan]] * 100), None, r"NaN"),
        (dict(), np.array([[1.0, np.inf]] * 100), None, r"infinity"),
        (dict(), np.zeros((100, 2)), np.r_[np.zeros(99), np.inf], r"infinity"),
        (dict(), np.zeros((100, 2)), np.zeros(99), r"100 rows.*99"),
        (dict(target_columns=[5]), np.zeros((100, 3)), None, r"Unknown target column 5"),
        (dict(target_columns="temp"), np.zeros((100, 3)), None, r"Unknown target column 'temp'"),
        (dict(target_columns=0), np.zeros((100, 3)), np.zeros(100), r"target_columns"),
        (dict(dropout=1.0), np.zeros((100, 3)), None, r"dropout"),
        (dict(norm="group"), np.zeros((100, 3)), None, r"norm"),
    ],
)
def test_bad_fit_input_raises_clear_value_error(params, X, y, match):
    with pytest.raises(ValueError, match=match):
        small(**params).fit(X, y)


@pytest.mark.parametrize(
    "column, match",
    [
        (pd.Timedelta("1h"), r"\['city'\].*neither numbers.*astype"),
        (pd.Timestamp("2024-01-01"), r"\['city'\].*timestamps.*set_index"),
    ],
)
def test_non_numeric_columns_are_named_with_the_fix(seasonal_frame, column, match):
    bad = seasonal_frame.iloc[:200].assign(city=column)
    with pytest.raises(ValueError, match=match):
        small().fit(bad)


@pytest.mark.parametrize(
    "make_bad, match",
    [
        (lambda f: f.iloc[::-1], r"out of time order.*sort_index"),
        (lambda f: f.sample(frac=1.0, random_state=0), r"out of time order.*sort_index"),
        (lambda f: pd.concat([f, f.iloc[[5]]]).sort_index(), r"duplicated.*drop_duplicates"),
        (lambda f: f["load"], r"to_frame\(\)"),
        (lambda f: f["load"].to_numpy(), r"to_frame\(\)"),
    ],
)
def test_bad_time_index_or_1d_input_is_rejected(seasonal_frame, make_bad, match):
    original = seasonal_frame.iloc[:200]
    with pytest.raises(ValueError, match=match):
        small().fit(make_bad(original.copy()))


def test_warm_start_refuses_changed_architecture(seasonal):
    est = small(epochs=1, input_size=24, warm_start=True).fit(seasonal[:300])
    for name, value in [("input_size", 12), ("horizon", 6), ("n_blocks", 2), ("ff_dim", 8)]:
        changed = copy.deepcopy(est).set_params(**{name: value})
        with pytest.raises(ValueError, match=f"{name} changed"):
            changed.fit(seasonal[:300])
    # The failed fit left the estimator as it was.
    np.testing.assert_array_equal(changed.predict(seasonal[:50]), est.predict(seasonal[:50]))


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_bad_predict_input(multivariate, seasonal_frame):
    with pytest.raises(ValueError, match="3 features"):
        multivariate.predict(np.zeros((10, 2)))
    with pytest.raises(ValueError, match="only NaN"):
        multivariate.predict(seasonal_frame.iloc[:10].assign(load=np.nan))
    with pytest.raises(ValueError, match="infinite"):
        multivariate.predict(seasonal_frame.iloc[:10].assign(load=np.inf))
    with pytest.raises(ValueError, match="y=None"):
        multivariate.score(seasonal_frame.iloc[:100], np.zeros(100))
    with pytest.raises(ValueError, match="horizon"):
        multivariate.score(seasonal_frame.iloc[:HORIZON])


def test_unfitted_estimator_raises_not_fitted():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        small().predict(np.zeros((10, 3)))


def test_forecast_needs_multivariate_mode(regression, seasonal):
    with pytest.raises(ValueError, match="y=None"):
        regression[0].forecast(seasonal[:100])


def test_inputs_are_not_modified(seasonal_frame):
    X = seasonal_frame.iloc[:300].astype("float32")
    y = X["load"].shift(-3).to_numpy()
    X_before, y_before = X.copy(), y.copy()
    est = small(epochs=1, input_size=12).fit(X, y)
    est.predict(X)
    est.score(X, y)
    pd.testing.assert_frame_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)


# ------------------------------------------------------------------ ETTh1


@pytest.mark.slow
def test_etth1_short_fit_beats_last_value(etth1_path):
    data = pd.read_csv(etth1_path, index_col="date", parse_dates=True).iloc[:4000]
    train, test = data.iloc[:3000], data.iloc[3000:]
    est = TSMixerRegressor(
        input_size=96,
        horizon=24,
        n_blocks=2,
        ff_dim=32,
        dropout=0.1,
        epochs=8,
        patience=3,
        learning_rate=1e-3,
        batch_size=64,
        random_state=0,
    ).fit(train)
    predicted = est.predict(test)[: len(test) - 24]
    truth = future_matrix(test.to_numpy(), 24)
    last_value = np.tile(test.to_numpy()[: len(truth)], 24)
    scale = train.std().to_numpy()
    scaled = lambda a: a / np.tile(scale, 24)  # noqa: E731
    model_mse = np.mean((scaled(predicted) - scaled(truth)) ** 2)
    naive_mse = np.mean((scaled(last_value) - scaled(truth)) ** 2)
    assert model_mse < 0.9 * naive_mse, (model_mse, naive_mse)


def test_warm_start_refuses_to_switch_mode(seasonal):
    est = small(epochs=1, warm_start=True, early_stopping=False).fit(seasonal[:200])
    with pytest.raises(ValueError, match="warm_start"):
        est.fit(seasonal[:200], seasonal[:200, 0])
