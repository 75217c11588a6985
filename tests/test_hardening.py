"""Hardening: interrupted and failing fits, quiet logs, untouched inputs, and
property-based tests of the data contract (hypothesis)."""

import collections
import logging
import os
import subprocess
import sys
import textwrap
import warnings

import keras
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError

from sktsmixer import TSMixerRegressor
from sktsmixer import estimator as estimator_module
from sktsmixer._sklearn_compat import InvalidParameterError
from sktsmixer.training.trainer import Trainer

N_ROWS = 60


def tiny(**params):
    """A model small enough that a fit costs its tracing and little else."""
    defaults = dict(
        input_size=4,
        horizon=2,
        n_blocks=1,
        ff_dim=2,
        dropout=0.0,
        epochs=5,
        patience=10,
        batch_size=2,
        random_state=0,
    )
    return TSMixerRegressor(**{**defaults, **params})


def series(n_rows=N_ROWS, n_columns=2, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n_rows)[:, None]
    return np.sin(2 * np.pi * t / 12 + np.arange(n_columns)) + 0.1 * rng.standard_normal(
        (n_rows, n_columns)
    )


def assert_all_finite(est, X):
    assert np.isfinite(est.predict(X)).all()
    assert np.isfinite(np.asarray(est.forecast(X), dtype=float)).all()
    if est.calibration_ is not None:
        assert np.isfinite(est.predict_interval(X, coverage=0.8)).all()


# ------------------------------------------------------------ interruption


def interrupt_after(monkeypatch, complete_epochs, error=KeyboardInterrupt):
    """Raise ``error`` at the first batch end after ``complete_epochs`` epochs.

    The batch-end hook of ``History`` runs in the training loop's thread
    (Keras dispatches batch callbacks synchronously once one overrides the
    hook), exactly where a Ctrl-C surfaces between two compiled calls. With
    ``batch_size=2`` an epoch has about 25 batches, run as two compiled calls
    of at most 16 steps, so the interrupt falls inside the epoch.
    """
    calls = []

    def on_train_batch_end(self, batch, logs=None):
        calls.append((len(self.epoch), batch))
        if len(self.epoch) == complete_epochs:
            raise error("injected")

    monkeypatch.setattr(keras.callbacks.History, "on_train_batch_end", on_train_batch_end)
    return calls


@pytest.mark.slow
@pytest.mark.parametrize("weight_averaging", [None, 0.9])
def test_interrupt_in_third_epoch_keeps_best_weights(monkeypatch, weight_averaging):
    X = series()
    calls = interrupt_after(monkeypatch, complete_epochs=2)
    est = tiny(weight_averaging=weight_averaging)
    with pytest.warns(UserWarning, match=r"interrupted after 2 complete epoch.*best weights") as w:
        assert est.fit(X) is est
    # One warning of ours, pointing at the caller of fit (a backend may add
    # deprecation notes of its own while the weights are read back).
    ours = [record for record in w if record.category is UserWarning]
    assert [record.filename for record in ours] == [__file__]
    # The last batch end seen is the first compiled call of epoch 3; epochs have more.
    assert calls[-1] == (2, 15) and max(batch for _, batch in calls) > 15
    assert est.n_iter_ == len(est.history_["loss"]) == len(est.history_["val_loss"]) == 2
    assert_all_finite(est, X)
    assert est.predict_interval(X, coverage=0.8).shape == (N_ROWS, 2 * 2, 2)
    monkeypatch.undo()
    # The restored weights are those of the best of the two complete epochs:
    # exactly what an uninterrupted two-epoch fit (which restores its best) ends with.
    reference = tiny(epochs=2, weight_averaging=weight_averaging).fit(X)
    assert est.history_ == reference.history_
    np.testing.assert_array_equal(est.predict(X), reference.predict(X))
    for mine, theirs in zip(est.model_.get_weights(), reference.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)


@pytest.mark.slow
def test_interrupt_without_early_stopping_keeps_current_weights(monkeypatch):
    X = series()
    interrupt_after(monkeypatch, complete_epochs=2)
    est = tiny(early_stopping=False)
    with pytest.warns(UserWarning, match=r"interrupted after 2 complete.*keeps its weights"):
        est.fit(X)
    assert est.n_iter_ == len(est.history_["loss"]) == 2 and "val_loss" not in est.history_
    assert_all_finite(est, X)
    with pytest.raises(ValueError, match="early_stopping=False"):
        est.predict_interval(X)


@pytest.mark.slow
def test_interrupt_before_first_epoch_completes(monkeypatch):
    X = series()
    calls = interrupt_after(monkeypatch, complete_epochs=0)
    est = tiny()
    with pytest.warns(UserWarning, match=r"interrupted after 0 complete epoch"):
        est.fit(X)
    assert calls == [(0, 15)]  # after the first compiled call of 16 steps
    assert est.n_iter_ == 0 and est.history_["loss"] == []
    # Early stopping promises a "val_loss" list, one value per epoch: here none.
    assert est.history_ == {"loss": [], "val_loss": []}
    assert_all_finite(est, X)


# ------------------------------------------------------- failing fits


def _raise_runtime_error(*args, **kwargs):
    raise RuntimeError("injected failure")


def inject_failure(monkeypatch, where):
    if where == "training":
        interrupt_after(monkeypatch, complete_epochs=0, error=RuntimeError)
    else:
        monkeypatch.setattr(estimator_module, "calibrate", _raise_runtime_error)


@pytest.mark.parametrize("where", ["training", "calibrate"])
def test_failed_fit_leaves_unfitted_estimator_unfitted(monkeypatch, where):
    est = tiny(epochs=1)
    params = est.get_params()
    state = dict(est.__dict__)
    inject_failure(monkeypatch, where)
    with pytest.raises(RuntimeError, match="injected"):
        est.fit(series())
    assert est.__dict__ == state and est.get_params() == params
    assert not hasattr(est, "model_") and not hasattr(est, "history_")
    with pytest.raises(NotFittedError):
        est.predict(series())


def _assert_same_state(est, state, X, predicted):
    assert est.__dict__.keys() == state.keys()
    assert all(est.__dict__[key] is value for key, value in state.items())
    np.testing.assert_array_equal(est.predict(X), predicted)


@pytest.mark.slow
@pytest.mark.parametrize("where", ["training", "calibrate"])
def test_failed_refit_leaves_fitted_estimator_as_before(monkeypatch, where):
    X = series()
    est = tiny(epochs=1).fit(X)
    state, predicted = dict(est.__dict__), est.predict(X)
    inject_failure(monkeypatch, where)
    with pytest.raises(RuntimeError, match="injected"):
        est.fit(series(seed=1))
    monkeypatch.undo()
    _assert_same_state(est, state, X, predicted)


@pytest.mark.slow
def test_failed_warm_start_fit_leaves_weights_as_before(monkeypatch):
    X = series()
    est = tiny(epochs=1, warm_start=True).fit(X)
    state, predicted = dict(est.__dict__), est.predict(X)
    inject_failure(monkeypatch, "calibrate")
    with pytest.raises(RuntimeError, match="injected"):
        est.fit(X)
    monkeypatch.undo()
    _assert_same_state(est, state, X, predicted)


# --------------------------------------------------------------- quiet logs

QUIET_SCRIPT = textwrap.dedent(
    """
    import numpy as np
    import sktsmixer

    X = np.sin(np.arange(60)[:, None] / 3 + np.arange(2))
    est = sktsmixer.TSMixerRegressor(
        input_size=4, horizon=2, n_blocks=1, ff_dim=2, epochs=1, random_state=0
    ).fit(X)
    print(est.predict(X).shape, est.forecast(X).shape, est.predict_interval(X, 0.5).shape)
    """
)
NOISE = ["cuInit", "cuda", "I0000", "W0000", "E0000", "oneDNN", "absl::InitializeLog"]


def run_quietly(script, tmp_path, level, backend="tensorflow"):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env["KERAS_BACKEND"] = backend
    if level is not None:
        env["TF_CPP_MIN_LOG_LEVEL"] = level
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    for noise in NOISE:
        assert noise.lower() not in result.stderr.lower(), (noise, result.stderr)
    return result.stdout


@pytest.mark.slow
def test_import_and_fit_print_no_tensorflow_start_up_lines(tmp_path):
    stdout = run_quietly(QUIET_SCRIPT, tmp_path, level=None)
    assert stdout.strip() == "(60, 4) (2, 2) (60, 4, 2)"


@pytest.mark.slow
def test_pickling_on_jax_prints_no_tensorflow_start_up_lines(tmp_path):
    # Keras imports TensorFlow lazily to serialise a model on any backend.
    pytest.importorskip("jax", reason="install jax (pip install -e '.[test]')")
    script = QUIET_SCRIPT + "import pickle; print(pickle.loads(pickle.dumps(est)).predict(X).shape)"
    stdout = run_quietly(script, tmp_path, level=None, backend="jax")
    assert stdout.split() == "(60, 4) (2, 2) (60, 4, 2) (60, 4)".split()


@pytest.mark.slow
@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="TensorFlow's own notes")
def test_repeated_fits_and_predictions_log_no_retracing_notes(seasonal, caplog):
    # Each fit traces its own train step and every new bucket of batch sizes
    # is traced once, by design: TensorFlow's "triggered tf.function
    # retracing" note after five traces (a grid search) would be noise.
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        for seed in range(4):
            est = TSMixerRegressor(
                input_size=8, horizon=2, n_blocks=1, ff_dim=4, epochs=1, random_state=seed
            ).fit(seasonal[:120])
            for n in (1, 3, 9, 33):
                est.predict(seasonal[:n])
    assert not [r for r in caplog.records if "retracing" in r.getMessage()]


@pytest.mark.slow
def test_import_is_quiet_when_the_user_set_a_log_level(tmp_path):
    # TensorFlow 2.21 prints its start-up lines whatever TF_CPP_MIN_LOG_LEVEL
    # says: a user who set it (the usual advice) must not get them back.
    run_quietly("import sktsmixer", tmp_path, level="3")


# --------------------------------------------------------- untouched inputs


def _snapshot(value):
    return value.copy(deep=True) if isinstance(value, pd.DataFrame) else np.array(value, copy=True)


def _assert_unchanged(value, copy):
    if isinstance(value, pd.DataFrame):
        pd.testing.assert_frame_equal(value, copy, check_exact=True, check_freq=True)
        pd.testing.assert_index_equal(value.index, copy.index, exact=True)
    else:
        assert value.dtype == copy.dtype and value.shape == copy.shape
        np.testing.assert_array_equal(value, copy, strict=True)


def _panel(with_nan):
    times = pd.date_range("2024-01-01", periods=40, freq="h", name="ds")
    pieces = []
    for i, store in enumerate(["a", "b"]):
        values = series(40, 2, seed=i)
        pieces.append(
            pd.DataFrame(
                {
                    "unique_id": store,
                    "y": values[:, 0] + 5 * i,
                    "temp": values[:, 1],
                    "store_size": float(10 + i),
                },
                index=times,
            )
        )
    X = pd.concat(pieces)
    if with_nan:
        X.iloc[[3, 17, 50], 1] = np.nan
    future_times = pd.date_range(times[-1], periods=3, freq="h", name="ds")[1:]
    future = pd.concat(
        [pd.DataFrame({"unique_id": s, "temp": [0.1, 0.2]}, index=future_times) for s in "ab"]
    )
    return X, future


def _case(kind):
    """``(estimator, X, y, future)`` for one kind of input."""
    if kind in ("panel", "panel_nan", "multiindex"):
        X, future = _panel(with_nan=kind == "panel_nan")
        params = dict(future_columns=["temp"], static_columns=["store_size"])
        if kind == "multiindex":
            X = X.set_index("unique_id", append=True).swaplevel()
            future = future.set_index("unique_id", append=True).swaplevel()
        else:
            params["series_column"] = "unique_id"
        return tiny(epochs=1, batch_size=8, **params), X, None, future
    values = series()
    if kind == "frame_nan":
        values[[5, 20, 41], [0, 1, 0]] = np.nan
    if kind == "array_y":
        y = np.r_[values[3:, 0], [np.nan] * 3]
        return tiny(epochs=1, batch_size=8), values, y, None
    if kind.startswith("frame"):
        index = pd.date_range("2024-01-01", periods=len(values), freq="h", name="time")
        values = pd.DataFrame(values, index=index, columns=["load", "temp"]).astype(
            {"temp": "float32"}
        )
    return tiny(epochs=1, batch_size=8), values, None, None


@pytest.mark.slow
@pytest.mark.parametrize(
    "kind", ["frame", "frame_nan", "array", "array_y", "panel", "panel_nan", "multiindex"]
)
def test_inputs_are_never_modified(kind):
    est, X, y, future = _case(kind)
    copies = [(value, _snapshot(value)) for value in (X, y, future) if value is not None]
    est.fit(X, y)
    est.predict(X, future=future)
    est.predict_interval(X, coverage=0.5, future=future)
    est.score(X, y)
    if y is None:
        forecast = est.forecast(X, future=future, coverage=0.5)
        assert len(forecast) == est.horizon * len(est.series_labels_)
    for value, copy in copies:
        _assert_unchanged(value, copy)


# ------------------------------------------------ property-based: data contract

ALLOWED = (ValueError, NotFittedError)  # sklearn's InvalidParameterError is a ValueError
assert issubclass(InvalidParameterError, ValueError)
# Valid choices are listed more often than invalid ones: a fit costs seconds,
# a rejected input milliseconds, and both should be well represented.
INDEX_KINDS = ["hourly", "range", "array", "int_gaps", "string"] * 2 + ["shuffled", "duplicated"]
DTYPES = ["float64", "float32", "int64", "bool"]
TARGETS = ["none", "one", "list"] * 2 + ["unknown_name", "out_of_range", "empty", "duplicate"]
Y_KINDS = ["none"] * 6 + ["1d", "2d", "short"]


@st.composite
def data_sets(draw, max_rows=80, columns=None):
    """X as the user may pass it: arrays or DataFrames of any dtype, NaN and
    infinite values anywhere, six kinds of index (two of them invalid), 1-D."""
    n_rows = draw(st.integers(0, max_rows))
    n_columns = draw(st.integers(1, 4) if columns is None else columns)
    dtype = draw(st.sampled_from(DTYPES))
    index_kind = draw(st.sampled_from(INDEX_KINDS))
    one_d = draw(st.sampled_from([False] * 9 + [True]))
    n_nan = draw(st.integers(0, 6))
    n_inf = draw(st.sampled_from([0, 0, 0, 1]))
    inf = draw(st.sampled_from([np.inf, -np.inf]))
    scale = draw(st.sampled_from([1.0, 1e-3, 1e4]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    values = scale * series(n_rows, n_columns, seed=int(rng.integers(2**16)))
    if dtype in ("float32", "float64"):
        for count, fill in ((n_nan, np.nan), (n_inf, inf)):
            if n_rows and count:
                values[rng.integers(n_rows, size=count), rng.integers(n_columns, size=count)] = fill
        values = values.astype(dtype)
    elif dtype == "int64":
        values = np.round(values * 10).astype("int64")
    else:
        values = values > 0
    if one_d:
        values = values[:, 0]
    if index_kind == "array":
        return values
    frame = pd.DataFrame(values.reshape(n_rows, 1 if one_d else n_columns))
    frame.columns = [f"c{i}" for i in range(frame.shape[1])]
    hourly = pd.date_range("2024-03-30", periods=n_rows, freq="h", name="time")
    if index_kind == "hourly":
        frame.index = hourly
    elif index_kind == "shuffled":
        frame.index = hourly[rng.permutation(n_rows)]
    elif index_kind == "duplicated" and n_rows >= 2:
        position = int(rng.integers(1, n_rows))
        frame.index = hourly[np.r_[0:position, position - 1, position + 1 : n_rows]]
    elif index_kind == "int_gaps":
        frame.index = np.cumsum(rng.choice([1, 1, 1, 2, 3], size=n_rows))
    elif index_kind == "string":
        frame.index = [f"row{i}" for i in range(n_rows)]
    return frame.iloc[:, 0] if one_d else frame


def _n_columns(X):
    return X.shape[1] if np.ndim(X) == 2 else 1


def target_spec(kind, X):
    n_columns = _n_columns(X)
    names = list(X.columns) if isinstance(X, pd.DataFrame) else list(range(n_columns))
    return {
        "none": None,
        "one": names[-1],
        "list": names[::-1][:2],
        "unknown_name": "nope",
        "out_of_range": n_columns,
        "empty": [],
        "duplicate": [names[0], names[0]],
    }[kind]


def targets_of(est, X, y):
    if y is not None:
        return 1 if np.ndim(y) == 1 else np.shape(y)[1]
    spec = est.target_columns
    return _n_columns(X) if spec is None else len(np.atleast_1d(spec))


def call(counts, label, function, *args, **kwargs):
    """``function(*args, **kwargs)``, or None when it raises an allowed error.

    Any other exception propagates and fails the property."""
    try:
        return function(*args, **kwargs)
    except ALLOWED as error:
        counts[f"{label}: {type(error).__name__}"] += 1
        return None


def _copies(*values):
    return [
        (v, v.copy(deep=True) if hasattr(v, "iloc") else np.array(v, copy=True))
        for v in values
        if v is not None
    ]


def _unchanged(copies):
    for value, copy in copies:
        if isinstance(value, pd.Series):
            pd.testing.assert_series_equal(value, copy, check_exact=True)
        elif isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(value, copy, check_exact=True)
        else:
            np.testing.assert_array_equal(value, copy, strict=True)


def _untrained(trainer, model, windows, seed):
    """Stands in for ``Trainer.fit``: the contract does not depend on the weights."""
    trainer.history_ = {"loss": [0.0]}
    if windows.validation is not None:
        trainer.history_["val_loss"] = [0.0]
    trainer.n_iter_, trainer.jit_compile_ = 1, False
    return trainer


# The suite tries the same few examples on every run (derandomized): a test
# suite, not a fuzzing campaign. SKTSMIXER_FUZZ_EXAMPLES=500 tries 500 fresh
# random examples per property instead.
FUZZ_EXAMPLES = int(os.environ.get("SKTSMIXER_FUZZ_EXAMPLES", "0"))


def property_settings(max_examples):
    return settings(
        max_examples=FUZZ_EXAMPLES or max_examples,
        derandomize=not FUZZ_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@pytest.mark.slow
@pytest.mark.parametrize("training, max_examples", [("stubbed", 60), ("real", 8)])
def test_fit_and_predict_follow_the_data_contract(monkeypatch, capsys, training, max_examples):
    """fit returns self or raises ValueError; then predict, forecast and
    predict_interval return their documented shapes (or raise ValueError);
    no input is ever modified. "stubbed" skips the Keras training (the
    costly part, which does not shape the outputs) to try many inputs."""
    if training == "stubbed":
        monkeypatch.setattr(Trainer, "fit", _untrained)
    counts = collections.Counter()

    @property_settings(max_examples)
    @given(
        X=data_sets(),
        input_size=st.integers(1, 10),
        horizon=st.integers(1, 4),
        targets=st.sampled_from(TARGETS),
        y_kind=st.sampled_from(Y_KINDS),
        early_stopping=st.booleans(),
    )
    def check(X, input_size, horizon, targets, y_kind, early_stopping):
        counts["examples"] += 1
        n = len(X)
        y = None
        if y_kind != "none":
            y = np.linspace(0.0, 1.0, n if y_kind != "short" else max(n - 1, 0))
            y = np.column_stack([y, -y]) if y_kind == "2d" else y
        est = tiny(
            input_size=input_size,
            horizon=horizon,
            target_columns=target_spec(targets, X) if y is None else None,
            early_stopping=early_stopping,
            epochs=1,
            batch_size=16,
        )
        copies = _copies(X, y)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # feature-name warnings
            fitted = call(counts, "fit", est.fit, X, y)
            _unchanged(copies)
            if fitted is None:
                with pytest.raises(NotFittedError):
                    est.predict(X)
                return
            assert fitted is est
            counts["fitted"] += 1
            k = targets_of(est, X, y)
            predicted = call(counts, "predict", est.predict, X)
            if predicted is not None:
                counts["predicted"] += 1
                if y is None:
                    assert predicted.shape == (n, horizon * k)
                else:
                    assert predicted.shape == ((n,) if y.ndim == 1 else (n, k))
            if y is None:
                forecast = call(counts, "forecast", est.forecast, X)
                if forecast is not None:
                    assert np.shape(forecast) == (horizon, k)
            if early_stopping:
                # A hold-out too small for the coverage is a ValueError.
                interval = call(counts, "interval", est.predict_interval, X, coverage=0.5)
                if interval is not None:
                    assert predicted is not None and interval.shape == predicted.shape + (2,)
                    finite = np.isfinite(interval).all(axis=-1)
                    assert (interval[finite, 0] <= interval[finite, 1]).all()
            _unchanged(copies)

    check()
    with capsys.disabled():
        print(f"\n[{training} fit property] {dict(counts)}")
    assert counts["examples"] >= counts["fitted"] >= max(1, counts["examples"] // 10)


@st.composite
def valid_cases(draw):
    """Inputs ``fit`` must accept: numbers with a few NaN, a usable index, enough rows.

    Returns ``(X, y, params)``; ``params`` are the estimator's.
    """
    input_size, horizon = draw(st.integers(1, 10)), draw(st.integers(1, 4))
    n_rows = draw(st.integers(input_size + 2 * horizon + 24, 80))
    n_columns = draw(st.integers(1, 4))
    dtype = draw(st.sampled_from(["float64", "float32", "int64"]))
    index_kind = draw(st.sampled_from(["hourly", "range", "array", "int_gaps", "string"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    values = draw(st.sampled_from([1.0, 1e-3, 1e4])) * series(n_rows, n_columns, seed=0)
    if dtype == "int64":
        values = np.round(values * 10).astype("int64")
    else:
        n_nan = draw(st.integers(0, 3))  # missing values: masked, never an error
        values[rng.integers(n_rows, size=n_nan), rng.integers(n_columns, size=n_nan)] = np.nan
        values = values.astype(dtype)
    X = values
    if index_kind != "array":
        X = pd.DataFrame(values, columns=[f"c{i}" for i in range(n_columns)])
        X.index = {
            "hourly": pd.date_range("2024-03-30", periods=n_rows, freq="h", name="time"),
            "range": pd.RangeIndex(n_rows),
            "int_gaps": np.cumsum(rng.choice([1, 1, 1, 2, 3], size=n_rows)),
            "string": [f"row{i}" for i in range(n_rows)],
        }[index_kind]
    y_kind = draw(st.sampled_from(["none", "none", "1d", "2d"]))
    y = None
    params = dict(input_size=input_size, horizon=horizon, early_stopping=draw(st.booleans()))
    if y_kind == "none":
        targets = draw(st.sampled_from(["none", "one", "list"]))
        params["target_columns"] = target_spec(targets, X)
    else:
        y = np.linspace(0.0, 1.0, n_rows)
        y = np.column_stack([y, -y]) if y_kind == "2d" else y
    return X, y, params


@pytest.mark.slow
@pytest.mark.parametrize("training, max_examples", [("stubbed", 25), ("real", 5)])
def test_valid_input_is_accepted(monkeypatch, training, max_examples):
    """Every valid input fits, and predict, forecast and predict_interval
    return their documented shapes: none of them may raise."""
    if training == "stubbed":
        monkeypatch.setattr(Trainer, "fit", _untrained)

    @property_settings(max_examples)
    @given(case=valid_cases())
    def check(case):
        X, y, params = case
        est = tiny(**params, epochs=1, batch_size=16)
        copies = _copies(X, y)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # feature-name warnings
            assert est.fit(X, y) is est
            predicted = est.predict(X)
            k = targets_of(est, X, y)
            n = len(X)
            assert predicted.shape == ((n, est.horizon * k) if y is None else y.shape)
            if y is None:
                assert np.shape(est.forecast(X)) == (est.horizon, k)
            if est.early_stopping:
                interval = est.predict_interval(X, coverage=0.5)
                assert interval.shape == predicted.shape + (2,)
        _unchanged(copies)

    check()


# What each defect must be reported as: the error names what is wrong.
DEFECTS = {
    "unknown_name": "Unknown target column 'nope'",
    "out_of_range": "Unknown target column",
    "empty": "non-empty",
    "duplicate": "must name distinct columns",
    "shuffled": "out of time order",
    "duplicated": "rows duplicated",
    "short_y": "X and y must have one row per time step",
    "too_few": "Too few",
    "infinite": "holds infinite values",
    "no_rows": "0 sample",
}


def with_defect(case, defect):
    """``case`` (valid) with exactly one thing wrong."""
    X, y, params = case
    params = dict(params)
    names = list(X.columns) if isinstance(X, pd.DataFrame) else list(range(_n_columns(X)))
    if defect in ("unknown_name", "out_of_range", "empty", "duplicate", "too_few"):
        y = None
        params["target_columns"] = {
            "unknown_name": "nope",
            "out_of_range": len(names),
            "empty": [],
            "duplicate": [names[0], names[0]],
            "too_few": None,
        }[defect]
    if defect in ("shuffled", "duplicated"):
        n = len(X)
        frame = pd.DataFrame(np.asarray(X)).set_axis(
            pd.date_range("2024-03-30", periods=n, freq="h", name="time")
        )
        order = np.arange(n)[::-1] if defect == "shuffled" else np.r_[0, 0 : n - 1]
        X = frame.iloc[order]
    elif defect == "short_y":
        params["target_columns"] = None  # y given: X's columns are inputs only
        y = np.zeros(len(X) - 1)
    elif defect == "too_few":
        # One row less than the windows, the horizon and the hold-out need.
        needed = params["input_size"] + params["horizon"] * (1 + params["early_stopping"])
        X = X[: needed - 1]
    elif defect == "infinite":
        X = X.astype("float64")
        if isinstance(X, pd.DataFrame):
            X.iloc[len(X) // 2, 0] = np.inf
        else:
            X[len(X) // 2, 0] = np.inf
    elif defect == "no_rows":
        X = X[:0]
        y = None if y is None else y[:0]
    return X, y, params


@pytest.mark.slow
def test_invalid_input_raises_the_error_that_names_its_defect(monkeypatch):
    monkeypatch.setattr(Trainer, "fit", _untrained)

    @property_settings(60)
    @given(case=valid_cases(), defect=st.sampled_from(sorted(DEFECTS)))
    def check(case, defect):
        X, y, params = with_defect(case, defect)
        est = tiny(**params, epochs=1, batch_size=16)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            with pytest.raises(ValueError, match=DEFECTS[defect]):
                est.fit(X, y)
        assert not hasattr(est, "model_")

    check()


@pytest.fixture(scope="module")
def fitted_pair():
    """One estimator fitted on a DataFrame with a DatetimeIndex, one on an array."""
    frame = pd.DataFrame(
        series(80, 3),
        columns=["c0", "c1", "c2"],
        index=pd.date_range("2024-03-30", periods=80, freq="h", name="time"),
    )
    on_frame = tiny(input_size=6, horizon=3, epochs=1, batch_size=16).fit(frame)
    on_array = tiny(input_size=6, horizon=3, epochs=1, batch_size=16, target_columns=[0])
    return on_frame, on_array.fit(frame.to_numpy())


@pytest.mark.slow
def test_predict_on_any_input_follows_the_data_contract(fitted_pair, capsys):
    counts = collections.Counter()

    @property_settings(40)
    @given(
        X=data_sets(max_rows=30, columns=st.sampled_from([3, 3, 3, 1, 4])), on_array=st.booleans()
    )
    def check(X, on_array):
        counts["examples"] += 1
        est = fitted_pair[on_array]
        k = est.n_outputs_
        copies = _copies(X)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # feature-name warnings
            predicted = call(counts, "predict", est.predict, X)
            if predicted is not None:
                assert predicted.shape == (len(X), est.horizon * k)
                counts["predicted"] += 1
            interval = call(counts, "interval", est.predict_interval, X, coverage=0.5)
            if interval is not None:
                assert interval.shape == (len(X), est.horizon * k, 2)
            forecast = call(counts, "forecast", est.forecast, X)
            if forecast is not None:
                assert np.shape(forecast) == (est.horizon, k)
        _unchanged(copies)

    check()
    with capsys.disabled():
        print(f"\n[predict property] {dict(counts)}")
    assert counts["predicted"] >= max(1, counts["examples"] // 10)


@pytest.mark.parametrize(
    "index",
    [pd.RangeIndex(0), pd.DatetimeIndex([], name="time"), pd.Index([], dtype="int64")],
    ids=["range", "datetime", "integer"],
)
def test_empty_dataframe_is_a_value_error(index):
    X = pd.DataFrame({"a": np.array([], dtype=float)}, index=index)
    with pytest.raises(ValueError, match="0 sample"):
        tiny().fit(X)
