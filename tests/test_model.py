"""The model builder: architecture, exact persistence, argument errors.

Backend-agnostic: ``tests/test_backends.py`` reruns this module under JAX.
"""

import copy
import pickle

import keras
import numpy as np
import pytest

from sktsmixer import build_tsmixer

RNG = np.random.default_rng(0)
WINDOWS = RNG.standard_normal((64, 16, 4)).astype("float32") * 3 + 5
CONFIGS = {
    "slice": dict(target_indices=[3, 1]),
    "embedded": dict(target_indices=[0], embed_dim=6, norm="layer"),
    "other_targets": dict(n_targets=2, revin=False),
}


@pytest.fixture(scope="module", params=list(CONFIGS))
def trained(request):
    model = build_tsmixer(16, 4, horizon=5, n_blocks=2, ff_dim=8, seed=3, **CONFIGS[request.param])
    model.compile(optimizer="adam", loss="mse")
    targets = RNG.standard_normal((64, *model.output_shape[1:])).astype("float32")
    model.fit(WINDOWS, targets, batch_size=16, epochs=1, verbose=0)
    return model


def _predict(model):
    return np.asarray(model.predict(WINDOWS, verbose=0))


def test_output_shape(trained):
    assert trained.output_shape == (None, 5, 2 if trained.output_shape[-1] == 2 else 1)
    assert _predict(trained).shape == (64, *trained.output_shape[1:])


def test_keras_file_round_trip_is_exact(trained, tmp_path):
    path = tmp_path / "model.keras"
    trained.save(path)
    restored = keras.models.load_model(path)
    assert np.abs(_predict(restored) - _predict(trained)).max() == 0


def test_pickle_round_trip_is_exact(trained):
    restored = pickle.loads(pickle.dumps(trained))
    assert np.abs(_predict(restored) - _predict(trained)).max() == 0


def test_deepcopy_is_exact_and_independent(trained):
    copied = copy.deepcopy(trained)
    assert np.abs(_predict(copied) - _predict(trained)).max() == 0
    copied.layers[-1].weights[0].assign(copied.layers[-1].weights[0] + 1.0)
    assert np.abs(_predict(copied) - _predict(trained)).max() > 0


def test_training_moved_batch_norm_statistics(trained):
    moving_variances = [
        keras.ops.convert_to_numpy(w) for w in trained.weights if "moving_variance" in w.path
    ]
    layer_normalised = any("layer_norm" in w.path for w in trained.weights)
    if layer_normalised:  # norm="layer" must replace batch normalisation entirely
        assert moving_variances == []
    else:
        assert len(moving_variances) == 4  # 2 blocks x (temporal, feature)
        assert all(np.abs(v - 1).max() > 0 for v in moving_variances)


def test_revin_denormalises_target_channels():
    # An untrained model that forecasts a channel's own level back: with RevIN the
    # forecast follows the level and scale of the chosen channel of each window.
    model = build_tsmixer(16, 4, horizon=3, target_indices=[2], n_blocks=1, seed=0)
    shifted = WINDOWS.copy()
    shifted[..., 2] = shifted[..., 2] * 10 + 100
    base, moved = _predict(model), np.asarray(model.predict(shifted, verbose=0))
    np.testing.assert_allclose(moved, base * 10 + 100, rtol=1e-4, atol=1e-3)


def test_untrained_model_forecasts_each_windows_level():
    # The temporal projection starts at zero, so before any training the
    # forecast is a flat line at each target channel's window mean (RevIN's
    # centre): a sane first guess that training departs from.
    model = build_tsmixer(16, 4, horizon=3, target_indices=[2, 0], n_blocks=2, seed=0)
    levels = WINDOWS[..., [2, 0]].mean(axis=1, keepdims=True)
    np.testing.assert_allclose(_predict(model), np.repeat(levels, 3, axis=1), atol=1e-5)


def test_same_seed_builds_same_weights():
    first = build_tsmixer(16, 4, 5, target_indices=[0], seed=11)
    second = build_tsmixer(16, 4, 5, target_indices=[0], seed=11)
    for a, b in zip(first.get_weights(), second.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        (dict(horizon=0, target_indices=[0]), "horizon"),
        (dict(horizon=3, target_indices=[4]), "target_indices"),
        (dict(horizon=3, target_indices=[]), "target_indices"),
        (dict(horizon=3), "n_targets"),
        (dict(horizon=3, target_indices=[0], n_targets=2), "n_targets"),
        (dict(horizon=3, n_targets=0), "n_targets"),
        (dict(horizon=3, target_indices=[0], n_blocks=0), "n_blocks"),
        (dict(horizon=3, target_indices=[0], dropout=1.5), "dropout"),
        (dict(horizon=3, target_indices=[0], embed_dim=-1), "embed_dim"),
        (dict(horizon=3, target_indices=[0], norm="instance"), "norm"),
    ],
)
def test_builder_rejects_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        build_tsmixer(16, 4, **kwargs)
