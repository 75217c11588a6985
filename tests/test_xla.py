"""XLA compilation (``jit_compile``): when it is chosen, and that it changes nothing but speed."""

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from sktsmixer import TSMixerRegressor
from sktsmixer.models.tsmixer import dense_flops
from sktsmixer.training import trainer as _training

on_tensorflow = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="XLA is a choice on TensorFlow only"
)


def _small(**params):
    params = {"input_size": 24, "horizon": 6, "n_blocks": 1, "ff_dim": 8, "epochs": 3, **params}
    return TSMixerRegressor(random_state=0, **params)


@pytest.fixture(scope="module")
def graph_and_xla_fits(seasonal):
    # No dropout: XLA draws its masks with another generator (see _dropout).
    X = seasonal[:600]
    return (
        X,
        _small(jit_compile=False, dropout=0.0).fit(X),
        _small(jit_compile=True, dropout=0.0).fit(X),
    )


@pytest.mark.slow
@on_tensorflow
def test_xla_fit_matches_the_graph_fit(graph_and_xla_fits):
    # Same seeds, same windows: only the rounding of fused element-wise ops
    # may differ.
    X, graph, xla = graph_and_xla_fits
    assert (graph.jit_compile_, xla.jit_compile_) == (False, True)
    np.testing.assert_allclose(xla.history_["loss"], graph.history_["loss"], rtol=1e-5)
    np.testing.assert_allclose(xla.history_["val_loss"], graph.history_["val_loss"], rtol=1e-5)
    np.testing.assert_allclose(xla.predict(X), graph.predict(X), atol=1e-4)
    np.testing.assert_allclose(
        xla.predict_interval(X[-100:]), graph.predict_interval(X[-100:]), atol=1e-4
    )


@pytest.mark.slow
@on_tensorflow
def test_predict_follows_the_setting_of_the_last_fit(graph_and_xla_fits):
    X, graph, _ = graph_and_xla_fits
    graph.predict(X[-50:])
    assert graph.model_.jit_compile is False
    est = _small(jit_compile=True, warm_start=True, epochs=1)
    est.fit(X)
    est.predict(X[-50:])
    est.set_params(jit_compile=False).fit(X)
    assert est.jit_compile_ is False
    est.predict(X[-50:])
    assert est.model_.jit_compile is False


@pytest.mark.slow
@on_tensorflow
def test_auto_compiles_with_xla_when_the_planned_work_pays_back(seasonal, monkeypatch):
    est = _small(epochs=2).fit(seasonal[:400])
    work = 3 * dense_flops(24, 6, 3, 1, 8) * 400 * 2  # fewer than 400 windows an epoch
    assert work < _training.XLA_MIN_TRAINING_FLOPS and est.jit_compile_ is False
    monkeypatch.setattr(_training, "XLA_MIN_TRAINING_FLOPS", work / 10)
    assert _small(epochs=2).fit(seasonal[:400]).jit_compile_ is True


def test_auto_keeps_keras_choice_on_other_backends(seasonal):
    if keras.backend.backend() == "tensorflow":
        pytest.skip("on TensorFlow, auto is sktsmixer's own rule (tested above)")
    est = _small(epochs=1).fit(seasonal[:400])
    assert est.jit_compile_ is (keras.backend.backend() == "jax")


def test_jit_compile_must_be_auto_or_a_bool(seasonal):
    with pytest.raises(InvalidParameterError, match="jit_compile"):
        _small(jit_compile="yes").fit(seasonal[:400])


@pytest.mark.slow
@on_tensorflow
def test_xla_fit_of_the_covariate_model_matches_the_graph_fit(seasonal):
    # TSMixer-Ext: known-ahead column, static feature, time features, quantile loss.
    times = pd.date_range("2024-01-01", periods=400, freq="h")
    frame = pd.DataFrame(seasonal[:400], columns=["load", "lagged", "temperature"], index=times)
    panel = pd.concat([frame.assign(site="a", size=1.0), frame.assign(site="b", size=2.0)])
    params = dict(
        target_columns=["load"],
        future_columns=["temperature"],
        static_columns=["size"],
        series_column="site",
        time_features="auto",
        loss="quantile",
        dropout=0.0,
    )
    graph = _small(jit_compile=False, **params).fit(panel)
    xla = _small(jit_compile=True, **params).fit(panel)
    np.testing.assert_allclose(xla.history_["loss"], graph.history_["loss"], rtol=1e-5)
    # Weights that differ by rounding (1e-4 after 3 epochs on some CPUs) move
    # forecasts of about 10 by up to 3e-3.
    np.testing.assert_allclose(xla.predict(panel), graph.predict(panel), rtol=1e-3)


@on_tensorflow
@pytest.mark.parametrize("rate", [0.1, 0.5])
def test_dropout_under_xla_drops_at_the_rate_and_keeps_the_mean(rate):
    import tensorflow as tf

    from sktsmixer.layers.dropout import MaskDropout

    def masks(seed, jit_compile=True):
        layer = MaskDropout(rate, seed=seed)
        step = tf.function(lambda x: layer(x, training=True), jit_compile=jit_compile)
        return [step(tf.ones((64, 96, 32))).numpy() for _ in range(2)]

    first, second = masks(seed=3)
    dropped = float(np.mean(first == 0))
    assert abs(dropped - rate) < 0.01, dropped
    assert abs(float(first.mean()) - 1.0) < 0.02
    assert not np.array_equal(first, second)  # a new mask every step
    # Independent units and steps: a pattern along any axis, or a mask that
    # followed the previous one, would show as correlation.
    units = (first == 0).reshape(-1).astype(float)
    for lag in (1, 32, 96 * 32):
        assert abs(np.corrcoef(units[:-lag], units[lag:])[0, 1]) < 0.01, lag
    both = float(np.mean((first == 0) & (second == 0)))
    assert abs(both - rate**2) < 0.01, both
    again = masks(seed=3)
    np.testing.assert_array_equal(again[0], first)  # and the same ones for the same seed
    np.testing.assert_array_equal(again[1], second)
    # Hashed, not the graph's Philox bits: other masks for the seed.
    assert not np.array_equal(masks(seed=3, jit_compile=False)[0], first)
