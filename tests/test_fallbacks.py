"""Each fast path built on a Keras, TensorFlow or scikit-learn internal, forced off.

A missing or changed internal must turn the fast path off with exactly one
``InternalsFallbackWarning`` and leave a fit that still learns: never an
error, never a silent wrong result.
"""

import importlib.util
import sys
import types
import warnings

import keras
import numpy as np
import pytest

from sktsmixer import TSMixerRegressor, _fallbacks
from sktsmixer.exceptions import InternalsFallbackWarning
from sktsmixer.layers import dropout as _dropout
from sktsmixer.training import devices as _devices
from sktsmixer.training import flat_adam as _flat_adam
from sktsmixer.training import quiet as _quiet
from sktsmixer.training import tf_references as _tf_references
from sktsmixer.training import xla_steps as _xla_steps
from sktsmixer.training.batches import WindowedTrainer

on_tensorflow = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="these fast paths are TensorFlow's"
)
SMALL = dict(input_size=24, horizon=6, n_blocks=1, ff_dim=8, batch_size=32, dropout=0.0)


@pytest.fixture(autouse=True)
def fresh_fallbacks():
    _fallbacks.reset()
    _flat_adam._problem.cache_clear()
    yield
    _fallbacks.reset()
    _flat_adam._problem.cache_clear()


def _fit_recording(X, **params):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = TSMixerRegressor(**{**SMALL, "random_state": 0, **params}).fit(X)
    return est, [w for w in caught if issubclass(w.category, InternalsFallbackWarning)]


def _learned(est):
    loss = est.history_["loss"]
    return np.all(np.isfinite(loss)) and loss[-1] < 0.7 * loss[0]


@on_tensorflow
@pytest.mark.slow
def test_an_ordinary_fit_warns_nothing(seasonal):
    est, fallbacks = _fit_recording(seasonal[:500], epochs=3)
    assert fallbacks == [] and _learned(est)


@on_tensorflow
@pytest.mark.slow
def test_flat_adam_whose_update_keras_no_longer_routes_falls_back_to_adam(seasonal, monkeypatch):
    # A Keras that stops calling _backend_update_step: FlatAdam would never
    # update, the probe sees weights that did not move.
    monkeypatch.setattr(_flat_adam.FlatAdam, "_backend_update_step", lambda self, *a: None)
    est, fallbacks = _fit_recording(seasonal[:500], epochs=3)
    assert len(fallbacks) == 1 and "flat Adam" in str(fallbacks[0].message)
    assert _learned(est)  # Keras' Adam trained it: the no-op update was never used
    _, again = _fit_recording(seasonal[:500], epochs=1)
    assert again == []  # once per process


@on_tensorflow
@pytest.mark.slow
def test_flat_adam_whose_internal_is_gone_falls_back_to_adam(seasonal, monkeypatch):
    def missing(self, *args):
        raise AttributeError("'Adam' object has no attribute '_get_variable_index'")

    monkeypatch.setattr(_flat_adam.FlatAdam, "_backend_update_step", missing)
    est, fallbacks = _fit_recording(seasonal[:500], epochs=3)
    assert len(fallbacks) == 1 and "_get_variable_index" in str(fallbacks[0].message)
    assert _learned(est)


@on_tensorflow
def test_the_probe_turns_flat_adam_off_once_when_its_update_is_not_called(monkeypatch):
    # The fits above in one quick check: the probe, not a fit.
    monkeypatch.setattr(_flat_adam.FlatAdam, "_backend_update_step", lambda self, *a: None)
    with pytest.warns(InternalsFallbackWarning, match="differ") as record:
        assert not _flat_adam.flat_adam_usable()
        assert not _flat_adam.flat_adam_usable()
    assert len([w for w in record if w.category is InternalsFallbackWarning]) == 1


@on_tensorflow
def test_the_release_of_a_fit_without_callbacks_warns_once():
    import tensorflow as tf

    dataset = keras.utils.PyDataset()
    with pytest.warns(InternalsFallbackWarning, match="release") as record:
        for _ in range(2):
            tf.compat.v1.get_default_graph()  # no from_generator read this dataset
            _tf_references.ReleaseTensorFlowReferences([dataset]).release()
    assert len([w for w in record if w.category is InternalsFallbackWarning]) == 1


def test_the_probe_finds_flat_adam_matching_keras_adam():
    if keras.backend.backend() != "tensorflow":
        pytest.skip("FlatAdam is used on TensorFlow only")
    assert _flat_adam._problem() is None


@on_tensorflow
@pytest.mark.slow
def test_grouped_steps_fall_back_to_keras_loop_when_fit_ignores_train_function(
    seasonal, monkeypatch
):
    def always_rebuilds(self, force=False):
        self.train_function = None
        return keras.Model.make_train_function(self, force=True)

    monkeypatch.setattr(WindowedTrainer, "make_train_function", always_rebuilds)
    monkeypatch.setattr(_xla_steps.StepGroups, "__getitem__", None)  # must not be used
    est, fallbacks = _fit_recording(seasonal[:600], epochs=3, jit_compile=True)
    assert len(fallbacks) == 1 and "grouped XLA" in str(fallbacks[0].message)
    assert _learned(est)


@on_tensorflow
def test_grouped_steps_are_installed_on_this_keras():
    trainer = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    trainer.compile(optimizer="adam", loss="mse", steps_per_execution=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error", InternalsFallbackWarning)
        assert _xla_steps.install_grouped_steps(trainer)
    assert trainer.steps_per_execution == 1


@on_tensorflow
@pytest.mark.slow
@pytest.mark.parametrize("how", ["raises", "finds nothing"])
def test_reference_release_that_fails_warns_once_and_the_fit_stands(seasonal, monkeypatch, how):
    if how == "raises":

        def broken(datasets):
            raise AttributeError("'Graph' object has no attribute '_py_funcs_used_in_graph'")

        monkeypatch.setattr(_tf_references, "_remove_callbacks", broken)
    else:
        monkeypatch.setattr(_tf_references, "_reads_dataset", lambda func, datasets: False)
    est, fallbacks = _fit_recording(seasonal[:500], epochs=3)
    assert len(fallbacks) == 1 and "release" in str(fallbacks[0].message)
    assert _learned(est)


@on_tensorflow
@pytest.mark.slow
def test_reference_release_removes_the_fit_callbacks(seasonal):
    import tensorflow as tf

    TSMixerRegressor(**SMALL, epochs=1).fit(seasonal[:300])  # the list exists from now on
    graph = tf.compat.v1.get_default_graph()
    before = len(graph._py_funcs_used_in_graph)
    TSMixerRegressor(**SMALL, epochs=1).fit(seasonal[:300])
    assert len(graph._py_funcs_used_in_graph) == before


class _Mesh:
    def __init__(self, shape, axis_names):
        self.shape, self.axis_names = shape, axis_names


def test_batch_axis_from_keras_before_3_8_and_without_any_name():
    old = types.SimpleNamespace(
        _batch_dim_name="data", device_mesh=_Mesh((2, 3), ["model", "data"])
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", InternalsFallbackWarning)
        assert _devices.n_replicas(old) == 3
    bare = types.SimpleNamespace(device_mesh=_Mesh((4,), ["batch"]))
    with pytest.warns(InternalsFallbackWarning, match="batch axis") as record:
        assert _devices.n_replicas(bare) == 4
        assert _devices.n_replicas(bare) == 4
    assert len([w for w in record if w.category is InternalsFallbackWarning]) == 1


@on_tensorflow
def test_dropout_without_the_xla_helper_still_drops_the_rate(monkeypatch):
    import tensorflow as tf

    monkeypatch.setitem(sys.modules, "tensorflow.python.ops.control_flow_util", None)
    layer = _dropout.MaskDropout(0.3, seed=0)

    @tf.function(jit_compile=True)
    def apply(x):
        return layer(x, training=True)

    with pytest.warns(InternalsFallbackWarning, match="XLA") as record:
        out = apply(tf.ones((64, 512))).numpy()
    assert len([w for w in record if w.category is InternalsFallbackWarning]) == 1
    dropped = np.mean(out == 0)
    assert abs(dropped - 0.3) < 0.01  # 32,768 units: 4.5 standard deviations
    np.testing.assert_allclose(out[out != 0], 1 / 0.7, rtol=1e-3)


def test_quiet_import_without_keras_internal_is_a_no_op(monkeypatch):
    monkeypatch.setitem(sys.modules, "keras.src.utils", None)
    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)
    _quiet.quiet_lazy_tensorflow()  # nothing to patch: returns, never raises


def _compat_without_sklearn_validation(monkeypatch):
    """A fresh copy of ``_sklearn_compat`` on a scikit-learn without ``_param_validation``."""
    monkeypatch.setitem(sys.modules, "sklearn.utils._param_validation", None)
    spec = importlib.util.find_spec("sktsmixer._sklearn_compat")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert not module.HAVE_SKLEARN_VALIDATION
    return module


@pytest.mark.parametrize(
    "name, value",
    [
        ("input_size", 0),
        ("input_size", 2.5),
        ("dropout", 1.0),
        ("dropout", -0.1),
        ("norm", "group"),
        ("revin", "yes"),
        ("learning_rate", 0),
        ("weight_averaging", 1.0),
        ("early_stopping", 1),
        ("devices", "some"),
        ("loss", "huber"),
        ("embed_dim", 0),
    ],
)
def test_fallback_parameter_checker_rejects_what_sklearn_rejects(monkeypatch, name, value):
    from sklearn.utils._param_validation import InvalidParameterError

    est = TSMixerRegressor(**{name: value})
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
        est._validate_params()
    compat = _compat_without_sklearn_validation(monkeypatch)
    with pytest.raises(compat.InvalidParameterError, match=f"'{name}' parameter.*Got {value!r}"):
        compat.validate_params(est)
    assert issubclass(compat.InvalidParameterError, ValueError)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"input_size": 7, "dropout": 0.0, "revin": True, "embed_dim": 4},
        {"norm": "layer", "weight_averaging": 0.99, "devices": 2, "random_state": 3},
        {"time_features": ["hour"], "jit_compile": False, "steps_per_epoch": 5},
        {"quantiles": [0.1, 0.5, 0.9], "loss": "quantile", "devices": ["cpu:0"]},
    ],
)
def test_fallback_parameter_checker_accepts_what_sklearn_accepts(monkeypatch, params):
    est = TSMixerRegressor(**params)
    est._validate_params()
    compat = _compat_without_sklearn_validation(monkeypatch)
    compat.validate_params(est)  # no error
    assert compat.Interval(int, 1, None, closed="left").is_satisfied_by(3)
    assert not compat.Interval(int, 1, None, closed="left").is_satisfied_by(True)
