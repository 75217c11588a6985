"""Data-parallel fits over several devices (``devices=``, Keras' DataParallel).

The fits need the JAX backend with two devices; ``test_backends.py`` runs
this file in a child process with two virtual CPU devices
(``XLA_FLAGS=--xla_force_host_platform_device_count=2``).
"""

import pickle

import keras
import numpy as np
import pytest

from sktsmixer import TSMixerRegressor
from sktsmixer.training.batches import WindowEndBatches
from sktsmixer.training.devices import resolve_distribution, scope, shard_batch

ON_TWO_DEVICES = keras.backend.backend() == "jax" and len(keras.distribution.list_devices()) >= 2
needs_two_devices = pytest.mark.skipif(
    not ON_TWO_DEVICES,
    reason="needs KERAS_BACKEND=jax and two devices (test_backends.py runs it so)",
)


def params(**extra):
    # Layer norm and no dropout: the two fits differ only by the order of sums.
    base = dict(
        input_size=24, horizon=6, n_blocks=1, ff_dim=16, epochs=3, dropout=0.0,
        norm="layer", batch_size=32, random_state=0,
    )  # fmt: skip
    return {**base, **extra}


def test_last_batch_is_completed_for_every_device():
    ends = np.arange(100, 171)  # 71 pairs: the last batch of 32 holds 7
    batches = WindowEndBatches(ends, np.zeros_like(ends), 32, shuffle_seed=0, multiple_of=4)
    last = batches[len(batches) - 1]
    assert len(last) == 8 and len(batches[0]) == 32
    # The completion repeats pairs of this epoch, never invents a window.
    assert set(last[:, 0]) <= set(ends.tolist())
    seen = np.concatenate([batches[i][:, 0] for i in range(len(batches))])
    assert set(seen) == set(ends.tolist())


def test_shuffling_in_place_gives_the_same_batches():
    ends = np.arange(500, 1500)
    codes = ends // 100
    kept = WindowEndBatches(ends, codes, 64, shuffle_seed=3, max_batches=5)
    owned_ends, owned_codes = ends.astype("int32"), codes.astype("int32")
    shuffled = WindowEndBatches(owned_ends, owned_codes, 64, shuffle_seed=3, shuffle_in_place=True)
    for _epoch in range(3):
        for i in range(len(kept)):
            np.testing.assert_array_equal(shuffled[i], kept[i])
        kept.on_epoch_end()
        shuffled.on_epoch_end()
    # The caller's arrays are left alone unless shuffled in place; pairs stay pairs.
    np.testing.assert_array_equal(ends, np.arange(500, 1500))
    assert not np.array_equal(owned_ends, np.arange(500, 1500))
    np.testing.assert_array_equal(owned_codes, owned_ends // 100)


@pytest.mark.skipif(keras.backend.backend() == "jax", reason="checks the other backends")
def test_devices_needs_the_jax_backend_and_predicting_falls_back_to_one(seasonal):
    with pytest.raises(ValueError, match="needs the JAX backend"):
        TSMixerRegressor(**params(devices=2)).fit(seasonal[:300])
    # A model fitted on several devices, unpickled where they are not, still predicts.
    est = TSMixerRegressor(**params(epochs=1)).fit(seasonal[:300])
    expected = est.predict(seasonal[:300])
    with pytest.warns(UserWarning, match="Predicting on one device"):
        got = est.set_params(devices=2).predict(seasonal[:300])
    np.testing.assert_array_equal(got, expected)


@needs_two_devices
def test_prediction_batches_are_split_between_the_devices():
    with scope(resolve_distribution(2)):
        batch = shard_batch({"past": np.zeros((4, 3, 2), "float32")})
    assert len(batch["past"].sharding.device_set) == 2


@needs_two_devices
def test_fit_on_two_devices_matches_one_device(seasonal):
    X = seasonal[:600]
    single = TSMixerRegressor(**params()).fit(X)
    double = TSMixerRegressor(**params(devices=2)).fit(X)
    for weight in double.model_.weights:
        assert len(weight.value.sharding.device_set) == 2, weight.path
    expected = single.predict(X)
    got = double.predict(X)
    assert np.abs(got - expected).max() < 0.05 * np.abs(expected).max()
    assert double.predict_interval(X, coverage=0.8).shape == expected.shape + (2,)
    restored = pickle.loads(pickle.dumps(double))
    np.testing.assert_allclose(restored.predict(X), got, rtol=1e-5, atol=1e-5)


@needs_two_devices
def test_bad_device_requests_are_named(seasonal):
    X = seasonal[:300]
    with pytest.raises(ValueError, match="multiple of the 2 devices"):
        TSMixerRegressor(**params(devices="all", batch_size=31)).fit(X)
    with pytest.raises(ValueError, match="more devices than"):
        TSMixerRegressor(**params(devices=64)).fit(X)
    with pytest.raises(ValueError, match="does not see"):
        TSMixerRegressor(**params(devices=["gpu:7"])).fit(X)
