"""TSMixer-Ext layers and model: NumPy references, non-crossing quantiles, persistence.

Backend-agnostic: ``tests/test_backends.py`` reruns this module under JAX.
"""

import copy
import pickle

import keras
import numpy as np
import pytest

from sktsmixer.layers.ext import ConditionalFeatureMixing, ConditionalMixingLayer, QuantileHead
from sktsmixer.models.tsmixer_ext import PinballLoss, build_tsmixer_ext

RNG = np.random.default_rng(42)
X = RNG.standard_normal((8, 6, 5)).astype("float32")
S = RNG.standard_normal((8, 3)).astype("float32")
PAST = (RNG.standard_normal((16, 10, 3)) * 3 + 5).astype("float32")
FUTURE = RNG.standard_normal((16, 4, 2)).astype("float32")
STATIC = RNG.standard_normal((16, 2)).astype("float32")
FULL = dict(n_future_features=2, n_static_features=2)


def _randomize(layer, seed=7):
    """Give every weight (BN statistics included) non-trivial random values."""
    rng = np.random.default_rng(seed)
    layer.set_weights(
        [
            rng.uniform(0.5, 1.5, w.shape).astype("float32")
            if any(key in w.path for key in ("variance", "gamma", "affine_weight"))
            else rng.standard_normal(w.shape).astype("float32") * 0.3
            for w in layer.weights
        ]
    )
    return layer


def _weights(layer, strip=1):
    """Weights by path (without the layer's own name; a model's paths have none)."""
    return {
        w.path.split("/", strip)[-1]: np.array(keras.ops.convert_to_numpy(w)) for w in layer.weights
    }


def _np(x):
    return keras.ops.convert_to_numpy(x)


def _np_flat_norm(x, w, prefix, norm):
    flat = x.reshape(len(x), -1)
    if norm == "batch":
        g, b = w[f"{prefix}batch_norm/gamma"], w[f"{prefix}batch_norm/beta"]
        mean, var = w[f"{prefix}batch_norm/moving_mean"], w[f"{prefix}batch_norm/moving_variance"]
    else:
        g, b = w[f"{prefix}layer_norm/gamma"], w[f"{prefix}layer_norm/beta"]
        mean, var = flat.mean(1, keepdims=True), flat.var(1, keepdims=True)
    return (g * (flat - mean) / np.sqrt(var + 1e-3) + b).reshape(x.shape)


def _dense(x, w, name):
    return x @ w[name + "/kernel"] + w[name + "/bias"]


def _np_temporal(x, w, norm, p):
    h = _np_flat_norm(x, w, p + "norm/", norm)
    h = np.einsum("btf,ts->bsf", h, w[p + "temporal_dense/kernel"])
    return x + np.maximum(h + w[p + "temporal_dense/bias"][None, :, None], 0)


def _np_cfm(x, static, w, norm, p=""):
    z = x
    if static is not None:
        projected = _dense(static, w, p + "static_dense")[:, None, :]
        z = np.concatenate([x, np.repeat(projected, x.shape[1], axis=1)], axis=-1)
    h = np.maximum(_dense(_np_flat_norm(z, w, p + "norm/", norm), w, p + "hidden_dense"), 0)
    return _dense(z, w, p + "shortcut_dense") + _dense(h, w, p + "output_dense")


def _np_projection(x, w, p):
    return (
        np.einsum("btf,th->bhf", x, w[p + "/projection/kernel"])
        + w[p + "/projection/bias"][None, :, None]
    )


def _np_model(w, past, future, static, targets, n_quantiles, norm, revin):
    center = past.mean(1, keepdims=True)
    scale = np.sqrt(past.var(1, keepdims=True) + 1e-5)
    x = past
    if revin:
        x = (past - center) / scale * w["rev_norm/affine_weight"] + w["rev_norm/affine_bias"]
    streams = [_np_cfm(_np_projection(x, w, "align_past"), static, w, norm, "past_mixing/")]
    if future is not None:
        streams.append(_np_cfm(future, static, w, norm, "future_mixing/"))
    h = np.concatenate(streams, axis=-1)
    for block in range(2):
        h = _np_temporal(h, w, norm, f"mixing_{block}/temporal_mixing/")
        h = _np_cfm(h, static, w, norm, f"mixing_{block}/feature_mixing/")
    k = len(targets)
    out = _dense(h, w, "head/dense").reshape(*h.shape[:2], k, n_quantiles or 1)
    out = np.sort(out, -1) + _np_projection(x[..., targets], w, "linear_skip")[..., None]
    if revin:
        weight, bias = w["rev_norm/affine_weight"][targets], w["rev_norm/affine_bias"][targets]
        out = (out - bias[:, None]) / (weight[:, None] + 1e-10)
        out = out * scale[..., targets, None] + center[..., targets, None]
    return np.sort(out, -1) if n_quantiles else out[..., 0]


def _inputs(n_future=2, n_static=2):
    inputs = {"past": PAST}
    if n_future:
        inputs["future"] = FUTURE[..., :n_future]
    if n_static:
        inputs["static"] = STATIC[:, :n_static]
    return inputs


# ------------------------------------------------------- NumPy references


@pytest.mark.parametrize("norm", ["batch", "layer"])
@pytest.mark.parametrize("n_static", [0, 3])
def test_conditional_feature_mixing_matches_numpy(norm, n_static):
    layer = ConditionalFeatureMixing(5, n_static, 6, output_dim=4, ff_dim=7, dropout=0.5, norm=norm)
    inputs = [X, S] if n_static else X
    layer.build([X.shape, S.shape] if n_static else X.shape)
    _randomize(layer)
    expected = _np_cfm(X, S if n_static else None, _weights(layer), norm)
    np.testing.assert_allclose(_np(layer(inputs, training=False)), expected, atol=1e-5)
    assert layer.compute_output_shape([X.shape, S.shape] if n_static else X.shape) == (8, 6, 4)


@pytest.mark.parametrize("norm", ["batch", "layer"])
def test_conditional_mixing_layer_is_temporal_then_conditional_feature(norm):
    layer = ConditionalMixingLayer(5, 3, 6, output_dim=4, ff_dim=7, dropout=0.3, norm=norm)
    layer.build([X.shape, S.shape])
    w = _weights(_randomize(layer))
    expected = _np_cfm(_np_temporal(X, w, norm, "temporal_mixing/"), S, w, norm, "feature_mixing/")
    np.testing.assert_allclose(_np(layer([X, S])), expected, atol=1e-5)


@pytest.mark.parametrize("n_quantiles", [None, 1, 4])
def test_quantile_head_matches_numpy(n_quantiles):
    head = QuantileHead(n_targets=2, n_quantiles=n_quantiles)
    head.build(X.shape)
    w = _weights(_randomize(head))
    raw = _dense(X, w, "dense")
    expected = raw if n_quantiles is None else np.sort(raw.reshape(8, 6, 2, n_quantiles), -1)
    out = _np(head(X))
    assert out.shape == head.compute_output_shape(X.shape) == expected.shape
    np.testing.assert_allclose(out, expected, atol=1e-5)


MODELS = {
    "quantiles": dict(n_quantiles=3, norm="layer", **FULL),
    "point_past_only": dict(norm="batch"),
    "quantiles_no_revin": dict(n_quantiles=2, revin=False, norm="batch", n_static_features=2),
}


@pytest.mark.parametrize("config", list(MODELS))
def test_model_matches_numpy(config):
    kwargs = MODELS[config]
    model = build_tsmixer_ext(10, 4, 3, [2, 0], n_blocks=2, ff_dim=6, hidden_dim=5, **kwargs)
    w = _weights(_randomize(model), strip=0)
    if kwargs.get("revin", True):  # a negative affine weight reverses the quantile order
        w["rev_norm/affine_weight"][2] = -0.7
        model.get_layer("rev_norm").affine_weight.assign(w["rev_norm/affine_weight"])
    inputs = _inputs(kwargs.get("n_future_features", 0), kwargs.get("n_static_features", 0))
    expected = _np_model(
        w,
        PAST,
        inputs.get("future"),
        inputs.get("static"),
        [2, 0],
        kwargs.get("n_quantiles"),
        kwargs["norm"],
        kwargs.get("revin", True),
    )
    out = np.asarray(model.predict(inputs, verbose=0))
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)


# ------------------------------------------------------------ shapes


@pytest.mark.parametrize(
    "kwargs, inputs, shape",
    [
        (dict(), {"past"}, (None, 4, 2)),
        (dict(n_quantiles=5, n_future_features=1), {"past", "future"}, (None, 4, 2, 5)),
        (dict(n_static_features=2, revin=False), {"past", "static"}, (None, 4, 2)),
        (dict(n_quantiles=1, **FULL), {"past", "future", "static"}, (None, 4, 2, 1)),
    ],
)
def test_model_inputs_and_output_shapes(kwargs, inputs, shape):
    model = build_tsmixer_ext(10, 4, 3, [2, 0], n_blocks=1, ff_dim=4, **kwargs)
    assert set(model.input) == inputs and model.output_shape == shape
    data = _inputs(kwargs.get("n_future_features", 0), kwargs.get("n_static_features", 0))
    assert np.asarray(model.predict(data, verbose=0)).shape == (16, *shape[1:])


def test_quantiles_never_cross_even_with_negative_revin_weight():
    model = build_tsmixer_ext(10, 4, 3, [0, 1, 2], n_quantiles=5, ff_dim=8, seed=0, **FULL)
    # Before the final sort the channels with a negative weight come out decreasing.
    both = keras.Model(model.input, [model.output, model.get_layer("quantiles_last").output])
    for seed in range(3):
        _randomize(model, seed)
        model.get_layer("rev_norm").affine_weight.assign(np.array([-1.3, 0.8, -0.2], "float32"))
        out, raw = (np.asarray(t) for t in both.predict(_inputs(), verbose=0))
        assert (np.diff(out, axis=-1) >= 0).all()
        assert (np.diff(raw[..., 0, :], axis=-1) <= 0).all()
        assert (np.diff(raw[..., 1, :], axis=-1) >= 0).all()


@pytest.mark.parametrize("levels", [[0.5], [0.1, 0.5, 0.9]])
def test_pinball_loss_matches_numpy(levels):
    y_true = RNG.standard_normal((4, 3, 2)).astype("float32")
    y_pred = RNG.standard_normal((4, 3, 2, len(levels))).astype("float32")
    q = np.array(levels)
    error = y_true[..., None] - y_pred
    expected = np.maximum(q * error, (q - 1) * error).mean()
    loss = PinballLoss(levels)
    assert float(_np(loss(y_true, y_pred))) == pytest.approx(expected, rel=1e-5)
    assert PinballLoss.from_config(loss.get_config()).quantiles == levels


# ------------------------------------------------------------ persistence

LAYERS = [
    (lambda: ConditionalFeatureMixing(5, 3, 6, 4, ff_dim=7, dropout=0.2, norm="layer", seed=1), 1),
    (lambda: ConditionalFeatureMixing(5, 0, 6, 9, ff_dim=3, norm="batch", seed=None), 0),
    (lambda: ConditionalMixingLayer(5, 3, 6, 4, ff_dim=8, dropout=0.1, norm="batch", seed=2), 1),
    (lambda: QuantileHead(3, 4, seed=5), 0),
    (lambda: QuantileHead(2, None), 0),
]


@pytest.mark.parametrize("make, with_static", LAYERS)
def test_config_round_trip_gives_identical_outputs(make, with_static):
    layer = make()
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    for key in config.keys() - {"name", "dtype", "trainable"}:
        assert getattr(clone, key) == getattr(layer, key), key
    inputs, shapes = ([X, S], [X.shape, S.shape]) if with_static else (X, X.shape)
    layer.build(shapes)
    clone.build(shapes)
    clone.set_weights(_randomize(layer).get_weights())
    np.testing.assert_array_equal(_np(layer(inputs)), _np(clone(inputs)))


@pytest.fixture(scope="module")
def trained():
    model = build_tsmixer_ext(10, 4, 3, [1], n_quantiles=3, ff_dim=6, seed=3, **FULL)
    model.compile(optimizer="adam", loss=PinballLoss([0.1, 0.5, 0.8]))
    model.optimizer.build(model.trainable_variables)
    return _randomize(model)  # every weight, batch-norm statistics included


def _same_predictions(model, other):
    a, b = (np.asarray(m.predict(_inputs(), verbose=0)) for m in (model, other))
    return np.abs(a - b).max() == 0


def test_keras_file_round_trip_is_exact(trained, tmp_path):
    trained.save(tmp_path / "ext.keras")
    restored = keras.models.load_model(tmp_path / "ext.keras")
    assert _same_predictions(trained, restored)
    assert restored.loss.quantiles == [0.1, 0.5, 0.8]


def test_pickle_and_deepcopy_are_exact(trained):
    assert _same_predictions(trained, pickle.loads(pickle.dumps(trained)))
    assert _same_predictions(trained, copy.deepcopy(trained))


# ------------------------------------------------------------ errors


@pytest.mark.parametrize(
    "make, argument, value",
    [
        (lambda: ConditionalFeatureMixing(0, 1, 6, 4), "n_series", "0"),
        (lambda: ConditionalFeatureMixing(5, -1, 6, 4), "n_static", "-1"),
        (lambda: ConditionalFeatureMixing(5, 1, 6, 0), "output_dim", "0"),
        (lambda: ConditionalFeatureMixing(5, 1, 6, 4, dropout=1.0), "dropout", "1.0"),
        (lambda: ConditionalMixingLayer(5, 1, 6, 4, norm="group"), "norm", "'group'"),
        (lambda: ConditionalMixingLayer(5, 1, 6, 4, ff_dim=2.5), "ff_dim", "2.5"),
        (lambda: QuantileHead(0), "n_targets", "0"),
        (lambda: QuantileHead(2, n_quantiles=0), "n_quantiles", "0"),
        (lambda: build_tsmixer_ext(0, 4, 3, [0]), "input_size", "0"),
        (lambda: build_tsmixer_ext(10, 4, 3, [3]), "target_indices", "[3]"),
        (lambda: build_tsmixer_ext(10, 4, 3, []), "target_indices", "[]"),
        (lambda: build_tsmixer_ext(10, 4, 3, [0], n_future_features=-2), "n_future_features", "-2"),
        (lambda: build_tsmixer_ext(10, 4, 3, [0], n_static_features=1.5), "n_static_features", ""),
        (lambda: build_tsmixer_ext(10, 4, 3, [0], n_quantiles=0), "n_quantiles", "0"),
        (lambda: build_tsmixer_ext(10, 4, 3, [0], hidden_dim=0), "hidden_dim", "0"),
        (lambda: build_tsmixer_ext(10, 4, 3, [0], norm="x"), "norm", "'x'"),
        (lambda: PinballLoss([0.5, 0.1]), "quantiles", "[0.5, 0.1]"),
        (lambda: PinballLoss([0.0, 0.5]), "quantiles", "[0.0, 0.5]"),
        (lambda: PinballLoss(0.5), "quantiles", "0.5"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(make, argument, value):
    with pytest.raises(ValueError) as error:
        make()
    assert argument in str(error.value) and value in str(error.value)


@pytest.mark.parametrize(
    "layer, inputs, match",
    [
        (ConditionalFeatureMixing(5, 3, 6, 4), X, "n_static=3"),
        (ConditionalFeatureMixing(5, 0, 6, 4), [X, S], "n_static=0"),
        (ConditionalFeatureMixing(5, 2, 6, 4), [X, S], "n_static=2"),
        (ConditionalFeatureMixing(4, 3, 6, 4), [X, S], "n_series=4"),
        (ConditionalMixingLayer(5, 0, 7, 4), X, "input_size=7"),
    ],
)
def test_input_mismatch_raises(layer, inputs, match):
    with pytest.raises(ValueError, match=match):
        layer(inputs)


# ------------------------------------------------------------ learning


def _covariate_data(n=512, input_size=8, horizon=4, seed=0):
    """Target = future covariate + 2 * static level + noise (std 0.3)."""
    rng = np.random.default_rng(seed)
    covariate = rng.standard_normal((n, input_size + horizon, 1))
    level = rng.standard_normal((n, 1))
    target = covariate + 2 * level[:, None, :] + 0.3 * rng.standard_normal(covariate.shape)
    inputs = {
        "past": np.concatenate([target, covariate], -1)[:, :input_size].astype("float32"),
        "future": covariate[:, input_size:].astype("float32"),
        "static": level.astype("float32"),
    }
    return inputs, target[:, input_size:].astype("float32")


@pytest.mark.slow
@pytest.mark.parametrize("quantiles", [None, (0.1, 0.5, 0.9)])
def test_model_learns_the_future_covariate(quantiles):
    keras.utils.set_random_seed(0)
    inputs, target = _covariate_data()
    n_quantiles = None if quantiles is None else len(quantiles)
    model = build_tsmixer_ext(8, 4, 2, [0], 1, 1, n_quantiles, n_blocks=1, ff_dim=16, seed=0,
                              dropout=0.0, revin=False)  # fmt: skip
    loss = "mse" if quantiles is None else PinballLoss(quantiles)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=loss)
    model.fit(inputs, target, batch_size=32, epochs=20, verbose=0)  # 320 steps
    test_inputs, test_target = _covariate_data(seed=1)
    pred = np.asarray(model.predict(test_inputs, verbose=0))
    point = pred if quantiles is None else pred[..., 1]
    assert np.mean((point - test_target) ** 2) < 0.1 * test_target.var()
    if quantiles is not None:
        covered = (pred[..., 0] <= test_target) & (test_target <= pred[..., 2])
        assert 0.6 < covered.mean() < 0.95
