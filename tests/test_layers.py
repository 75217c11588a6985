"""Layer behaviour: the seed pages' cases, NumPy references, counts, errors.

Backend-agnostic: ``tests/test_backends.py`` reruns this module under JAX.
"""

import keras
import numpy as np
import pytest

from sktsmixer import (
    FeatureMixing,
    MixingLayer,
    ReversibleInstanceNorm,
    TemporalMixing,
    TemporalProjection,
    TokenEmbedding,
)

RNG = np.random.default_rng(42)
X = RNG.standard_normal((8, 12, 5)).astype("float32")


def _randomize(layer):
    """Give every weight (BN statistics included) non-trivial random values."""
    rng = np.random.default_rng(7)
    layer.set_weights(
        [
            rng.uniform(0.5, 1.5, w.shape).astype("float32")
            if "variance" in w.path or "gamma" in w.path
            else rng.standard_normal(w.shape).astype("float32") * 0.3
            for w in layer.weights
        ]
    )


def _weights(layer):
    return {w.path.split("/", 1)[1]: keras.ops.convert_to_numpy(w) for w in layer.weights}


def _np_flat_norm(x, w, prefix, norm):
    flat = x.reshape(len(x), -1)
    if norm == "batch":
        g, b = w[f"{prefix}/batch_norm/gamma"], w[f"{prefix}/batch_norm/beta"]
        mean, var = w[f"{prefix}/batch_norm/moving_mean"], w[f"{prefix}/batch_norm/moving_variance"]
    else:
        g, b = w[f"{prefix}/layer_norm/gamma"], w[f"{prefix}/layer_norm/beta"]
        mean, var = flat.mean(1, keepdims=True), flat.var(1, keepdims=True)
    return (g * (flat - mean) / np.sqrt(var + 1e-3) + b).reshape(x.shape)


def _np_temporal(x, w, norm, prefix=""):
    h = _np_flat_norm(x, w, prefix + "norm", norm)
    kernel, bias = w[prefix + "temporal_dense/kernel"], w[prefix + "temporal_dense/bias"]
    h = np.maximum(np.einsum("btf,ts->bsf", h, kernel) + bias[None, :, None], 0)
    return x + h


def _np_feature(x, w, norm, prefix=""):
    h = _np_flat_norm(x, w, prefix + "norm", norm)
    h = np.maximum(h @ w[prefix + "hidden_dense/kernel"] + w[prefix + "hidden_dense/bias"], 0)
    return x + h @ w[prefix + "output_dense/kernel"] + w[prefix + "output_dense/bias"]


def _np_conv_same(x, kernel, bias):
    k = kernel.shape[0]
    left = (k - 1) // 2
    padded = np.pad(x, ((0, 0), (left, k - 1 - left), (0, 0)))
    out = sum(padded[:, j : j + x.shape[1]] @ kernel[j] for j in range(k))
    return out + bias


def _call(layer, x, **kwargs):
    return keras.ops.convert_to_numpy(layer(x, **kwargs))


def _built(layer, shape=X.shape):
    layer.build(shape)
    _randomize(layer)
    return layer


# ---------------------------------------------------------------- seed cases

MIXERS = [
    lambda: TemporalMixing(n_series=5, input_size=12, dropout=0.3, seed=1),
    lambda: FeatureMixing(n_series=5, input_size=12, dropout=0.3, ff_dim=16, seed=1),
    lambda: MixingLayer(n_series=5, input_size=12, dropout=0.3, ff_dim=16, seed=1),
]


@pytest.mark.parametrize("make", MIXERS)
def test_mixing_layers_preserve_shape(make):
    assert _call(make(), X).shape == X.shape


@pytest.mark.parametrize("make", MIXERS)
def test_dropout_changes_training_outputs(make):
    layer = make()
    first, second = _call(layer, X, training=True), _call(layer, X, training=True)
    assert np.abs(first - second).mean() > 1e-3


@pytest.mark.parametrize("make", MIXERS)
def test_inference_is_deterministic(make):
    layer = make()
    np.testing.assert_array_equal(_call(layer, X, training=False), _call(layer, X, training=False))


def test_token_embedding_shapes_for_any_batch_and_length():
    layer = TokenEmbedding(c_in=5, d_model=16)
    for shape in [(1, 12, 5), (33, 12, 5), (4, 40, 5)]:
        out = _call(layer, np.zeros(shape, "float32"))
        assert out.shape == (*shape[:2], 16)


ALL_LAYERS = [
    lambda: TemporalMixing(n_series=5, input_size=12, dropout=0.2, norm="layer", seed=3),
    lambda: FeatureMixing(n_series=5, input_size=12, dropout=0.1, ff_dim=9, norm="batch", seed=4),
    lambda: MixingLayer(n_series=5, input_size=12, dropout=0.25, ff_dim=7, norm="layer", seed=5),
    lambda: TokenEmbedding(c_in=5, d_model=6, kernel_size=5, seed=2),
    lambda: ReversibleInstanceNorm(num_features=5, eps=1e-4, affine=False, subtract_last=True),
    lambda: ReversibleInstanceNorm(num_features=5, channels=[3, 0]),
    lambda: TemporalProjection(horizon=4, channels=[4, 1], seed=8),
    lambda: TemporalProjection(horizon=4, kernel_initializer="zeros"),
]


@pytest.mark.parametrize("make", ALL_LAYERS)
def test_from_config_reproduces_every_parameter(make):
    layer = make()
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    for key in config.keys() - {"name", "dtype", "trainable"}:
        assert getattr(clone, key) == getattr(layer, key), key


@pytest.mark.parametrize("make", ALL_LAYERS[:4] + ALL_LAYERS[6:])  # not RevIN: a tuple
def test_from_config_with_same_weights_gives_same_outputs(make):
    layer = _built(make())
    clone = type(layer).from_config(layer.get_config())
    clone.build(X.shape)
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(_call(layer, X), _call(clone, X))


# ------------------------------------------------------- NumPy references


@pytest.mark.parametrize("norm", ["batch", "layer"])
def test_temporal_mixing_matches_numpy(norm):
    layer = _built(TemporalMixing(5, 12, dropout=0.5, norm=norm))
    expected = _np_temporal(X, _weights(layer), norm)
    np.testing.assert_allclose(_call(layer, X, training=False), expected, atol=1e-5)


@pytest.mark.parametrize("norm", ["batch", "layer"])
def test_feature_mixing_matches_numpy(norm):
    layer = _built(FeatureMixing(5, 12, dropout=0.5, ff_dim=8, norm=norm))
    expected = _np_feature(X, _weights(layer), norm)
    np.testing.assert_allclose(_call(layer, X, training=False), expected, atol=1e-5)


def test_mixing_layer_is_temporal_then_feature_mixing():
    layer = _built(MixingLayer(5, 12, ff_dim=8))
    w = _weights(layer)
    expected = _np_feature(
        _np_temporal(X, w, "batch", "temporal_mixing/"), w, "batch", "feature_mixing/"
    )
    np.testing.assert_allclose(_call(layer, X), expected, atol=1e-5)


def test_batch_norm_uses_slow_moving_average():
    layer = TemporalMixing(5, 12)
    layer(X, training=True)
    moving_mean = keras.ops.convert_to_numpy(layer.normalization.normalizer.moving_mean)
    batch_mean = X.reshape(len(X), -1).mean(0)
    # Keras momentum 0.99: one update moves the (zero) average 1% of the way.
    np.testing.assert_allclose(moving_mean, 0.01 * batch_mean, atol=1e-6)
    assert layer.normalization.normalizer.epsilon == pytest.approx(1e-3)


@pytest.mark.parametrize("kernel_size", [1, 3, 4])
def test_token_embedding_matches_numpy(kernel_size):
    layer = _built(TokenEmbedding(5, 6, kernel_size=kernel_size))
    w = _weights(layer)
    expected = _np_conv_same(X, w["kernel"], w["bias"])
    np.testing.assert_allclose(_call(layer, X), expected, atol=1e-5)


def test_token_embedding_kernel_is_kaiming_normal():
    layer = TokenEmbedding(c_in=64, d_model=256, kernel_size=3, seed=0)
    layer.build((None, 10, 64))
    kernel = keras.ops.convert_to_numpy(layer.kernel)
    fan_in = 3 * 64
    # Kaiming normal: std sqrt(2 / fan_in), fan_in = kernel_size * c_in.
    assert kernel.std() == pytest.approx(np.sqrt(2 / fan_in), rel=0.03)
    assert abs(kernel.mean()) < 0.01


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("subtract_last", [False, True])
def test_revin_matches_numpy_and_inverts(affine, subtract_last):
    layer = ReversibleInstanceNorm(5, eps=1e-5, affine=affine, subtract_last=subtract_last)
    layer.build(X.shape)
    if affine:
        layer.set_weights([np.linspace(0.5, 2, 5, dtype="float32"), np.arange(5, dtype="float32")])
    normalized, center, scale = (keras.ops.convert_to_numpy(t) for t in layer(X, mode="norm"))
    center_np = X[:, -1:] if subtract_last else X.mean(1, keepdims=True)
    scale_np = np.sqrt(X.var(1, keepdims=True) + 1e-5)
    expected = (X - center_np) / scale_np
    if affine:
        expected = expected * np.linspace(0.5, 2, 5) + np.arange(5)
    np.testing.assert_allclose(normalized, expected, atol=1e-5)
    restored = _call(layer, [normalized, center, scale], mode="denorm")
    np.testing.assert_allclose(restored, X, atol=1e-4)
    subset = _call(
        layer, [normalized[..., [3, 0]], center, scale], mode="denorm", target_indices=[3, 0]
    )
    np.testing.assert_allclose(subset, X[..., [3, 0]], atol=1e-4)


def test_revin_on_some_channels_leaves_the_others_in_their_units():
    layer = ReversibleInstanceNorm(5, channels=[0, 3])
    layer.build(X.shape)
    layer.set_weights([np.linspace(0.5, 2, 5, dtype="float32"), np.arange(5, dtype="float32")])
    normalized, center, scale = (keras.ops.convert_to_numpy(t) for t in layer(X, mode="norm"))
    np.testing.assert_allclose(normalized[..., [1, 2, 4]], X[..., [1, 2, 4]], atol=1e-6)
    expected = (X - X.mean(1, keepdims=True)) / np.sqrt(X.var(1, keepdims=True) + 1e-5)
    expected = expected * np.linspace(0.5, 2, 5) + np.arange(5)
    np.testing.assert_allclose(normalized[..., [0, 3]], expected[..., [0, 3]], atol=1e-5)
    restored = _call(layer, [normalized, center, scale], mode="denorm")
    np.testing.assert_allclose(restored, X, atol=1e-4)
    with pytest.raises(ValueError, match="channels"):
        ReversibleInstanceNorm(3, channels=[3])


def test_temporal_projection_matches_numpy():
    layer = _built(TemporalProjection(horizon=4, channels=[4, 1]))
    w = _weights(layer)
    expected = np.einsum("btf,th->bhf", X[..., [4, 1]], w["projection/kernel"])
    expected += w["projection/bias"][None, :, None]
    np.testing.assert_allclose(_call(layer, X), expected, atol=1e-5)


# ------------------------------------------------------------ counts


def test_temporal_mixing_parameter_counts():
    layer = TemporalMixing(n_series=7, input_size=96)
    layer.build((None, 96, 7))
    assert layer.temporal_dense.count_params() == 9_312
    assert layer.normalization.count_params() == 2_688


def test_token_embedding_parameter_count():
    layer = TokenEmbedding(c_in=7, d_model=64)
    layer.build((None, 96, 7))
    assert layer.count_params() == 7 * 64 * 3 + 64


# ------------------------------------------------------------ errors


@pytest.mark.parametrize(
    "make, argument, value",
    [
        (lambda: TemporalMixing(0, 12), "n_series", "0"),
        (lambda: TemporalMixing(5, -3), "input_size", "-3"),
        (lambda: TemporalMixing(5, 12, dropout=1.0), "dropout", "1.0"),
        (lambda: TemporalMixing(5, 12, dropout=-0.1), "dropout", "-0.1"),
        (lambda: TemporalMixing(5, 12, norm="group"), "norm", "'group'"),
        (lambda: FeatureMixing(5, 12, ff_dim=0), "ff_dim", "0"),
        (lambda: MixingLayer(5, 2.5), "input_size", "2.5"),
        (lambda: TokenEmbedding(0, 8), "c_in", "0"),
        (lambda: TokenEmbedding(3, 8, kernel_size=0), "kernel_size", "0"),
        (lambda: ReversibleInstanceNorm(0), "num_features", "0"),
        (lambda: ReversibleInstanceNorm(3, eps=0), "eps", "0"),
        (lambda: TemporalProjection(0), "horizon", "0"),
        (lambda: TemporalMixing(5, 12, dropot=0.1), "dropot", "0.1"),
        (lambda: TokenEmbedding(3, 8, kernal_size=3), "kernal_size", "3"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(make, argument, value):
    with pytest.raises(ValueError) as error:
        make()
    assert argument in str(error.value) and value in str(error.value)


@pytest.mark.parametrize(
    "layer, argument",
    [
        (TemporalMixing(n_series=3, input_size=12), "n_series=3"),
        (FeatureMixing(n_series=3, input_size=12), "n_series=3"),
        (TemporalMixing(n_series=5, input_size=24), "input_size=24"),
        (TokenEmbedding(c_in=3, d_model=8), "c_in=3"),
        (ReversibleInstanceNorm(num_features=3), "num_features=3"),
    ],
)
def test_channel_or_length_mismatch_raises(layer, argument):
    with pytest.raises(ValueError, match=argument) as error:
        layer(X)
    assert "5" in str(error.value)
