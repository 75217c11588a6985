"""Adam with flat moments (``_flat_adam``): Keras' Adam, fewer kernels."""

import keras
import numpy as np
import pytest

from sktsmixer import TSMixerRegressor
from sktsmixer.training import trainer as _training
from sktsmixer.training.flat_adam import FlatAdam

on_tensorflow = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="fits use the flat Adam on TensorFlow only"
)


def _weights_after(optimizer, steps, jit_compile):
    import tensorflow as tf

    rng = np.random.default_rng(0)
    shapes = [(3, 4), (4,), (2, 2, 2), (1,)]
    weights = [keras.Variable(rng.normal(size=s).astype("float32")) for s in shapes]
    optimizer.build(weights)

    @tf.function(jit_compile=jit_compile, autograph=False)
    def step(grads):
        optimizer.apply(grads, weights)

    for _ in range(steps):
        step([tf.constant(rng.normal(size=s).astype("float32")) for s in shapes])
    averages = optimizer._model_variables_moving_average
    return [w.numpy() for w in weights], [a.numpy() for a in averages]


@on_tensorflow
@pytest.mark.parametrize("jit_compile", [False, True])
def test_updates_and_averages_are_keras_adams(jit_compile):
    settings = dict(learning_rate=0.01, use_ema=True, ema_momentum=0.9, clipnorm=1.0)
    want, want_averages = _weights_after(keras.optimizers.Adam(**settings), 6, jit_compile)
    got, got_averages = _weights_after(FlatAdam(**settings), 6, jit_compile)
    for w, g in zip(want + want_averages, got + got_averages, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-7)
    assert max(np.abs(w).max() for w in want) > 0  # the steps moved something


def test_amsgrad_is_refused_with_the_alternative():
    with pytest.raises(ValueError, match="keras.optimizers.Adam"):
        FlatAdam(amsgrad=True)


@pytest.mark.slow
@on_tensorflow
def test_a_fit_with_it_is_the_fit_with_keras_adam(seasonal, monkeypatch):
    params = dict(
        input_size=24,
        horizon=6,
        n_blocks=1,
        ff_dim=8,
        epochs=3,
        dropout=0.2,
        weight_averaging=0.9,
        jit_compile=False,
        random_state=0,
    )
    flat = TSMixerRegressor(**params).fit(seasonal[:500])
    monkeypatch.setattr(_training, "FlatAdam", keras.optimizers.Adam)
    per_variable = TSMixerRegressor(**params).fit(seasonal[:500])
    np.testing.assert_allclose(flat.history_["loss"], per_variable.history_["loss"], rtol=1e-5)
    np.testing.assert_allclose(
        flat.predict(seasonal[:500]), per_variable.predict(seasonal[:500]), rtol=1e-4, atol=1e-5
    )
