"""Training steps grouped into one XLA computation (``_xla_steps``)."""

import keras
import numpy as np
import pytest

from sktsmixer import TSMixerRegressor
from sktsmixer.training import trainer as _training
from sktsmixer.training import xla_steps as _xla_steps
from sktsmixer.training.batches import WindowEndBatches
from sktsmixer.training.tf_input import fit_input
from sktsmixer.training.xla_steps import StepGroups, steps_per_group

on_tensorflow = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="the groups run on TensorFlow's XLA"
)


def test_groups_hold_every_batch_once_in_order_and_the_short_one_alone():
    ends = np.arange(100, 200)
    batches = WindowEndBatches(ends, ends % 3, 8)  # 12 full batches and one of 4
    groups = StepGroups(batches, 5)
    assert len(groups) == 4
    read, counts = [], []
    for index in range(len(groups)):
        stack, count = groups[index]
        counts.append(int(count[0]))
        assert stack.shape[0] == 5 and stack.dtype == np.int32
        read.extend(stack[: counts[-1]])
        # Padding repeats the last real batch; those copies are never trained on.
        for padding in stack[counts[-1] :]:
            np.testing.assert_array_equal(padding, stack[counts[-1] - 1])
    assert counts == [5, 5, 2, 1]
    for got, want in zip(read, [batches[i] for i in range(len(batches))], strict=True):
        np.testing.assert_array_equal(got, want)


def test_groups_reshuffle_with_their_batches():
    ends = np.arange(100, 400)
    batches = WindowEndBatches(ends, ends % 2, 16, shuffle_seed=0, max_batches=10)
    groups = StepGroups(batches, 4)
    assert len(groups) == 3  # max_batches keeps every batch full
    before = groups[0][0].copy()
    groups.on_epoch_end()
    assert not np.array_equal(before, groups[0][0])
    np.testing.assert_array_equal(groups[0][0][0], batches[0])


@pytest.mark.parametrize(
    "backend, jit_compile, replicas, in_backend, expected",
    [
        ("tensorflow", True, 1, True, 16),
        ("tensorflow", False, 1, True, 1),  # graph mode: Keras' loop
        ("tensorflow", True, 2, True, 1),  # batches shared by devices
        ("tensorflow", True, 1, False, 1),  # windows gathered in NumPy
        ("jax", True, 1, True, 1),
    ],
)
def test_only_single_device_xla_fits_on_tensorflow_are_grouped(
    backend, jit_compile, replicas, in_backend, expected
):
    assert steps_per_group(backend, jit_compile, 16, replicas, in_backend) == expected


@on_tensorflow
def test_the_pipeline_passes_narrower_groups():
    ends = np.arange(100, 200)
    dataset = fit_input(StepGroups(WindowEndBatches(ends, ends % 3, 8), 5))
    shapes = [tuple(stack.shape) for stack, _ in dataset]
    assert shapes == [(5, 8, 2)] * 3 + [(5, 4, 2)]


@pytest.mark.slow
@on_tensorflow
def test_an_xla_fit_runs_its_steps_in_groups_and_matches_keras_loop(seasonal, monkeypatch):
    counts = []
    getitem = StepGroups.__getitem__

    def recording(self, index):
        stack, count = getitem(self, index)
        counts.append(int(count[0]))
        return stack, count

    # 30 steps an epoch: groups of 16 and 14 exercise the padded last group.
    params = dict(
        input_size=24, horizon=6, n_blocks=1, ff_dim=8, epochs=2, batch_size=16, dropout=0.3
    )
    params.update(steps_per_epoch=30, jit_compile=True, random_state=0)
    monkeypatch.setattr(StepGroups, "__getitem__", recording)
    grouped = TSMixerRegressor(**params).fit(seasonal[:800])
    assert counts[-4:] == [16, 14, 16, 14]  # the first items are read to learn the shapes
    monkeypatch.setattr(_training, "steps_per_group", lambda *args: 1)
    monkeypatch.setattr(_xla_steps.StepGroups, "__getitem__", None)  # must not be used
    keras_loop = TSMixerRegressor(**params).fit(seasonal[:800])
    # Same batches, masks and updates: only rounding may differ.
    np.testing.assert_allclose(grouped.history_["loss"], keras_loop.history_["loss"], rtol=1e-5)
    np.testing.assert_allclose(
        grouped.history_["val_loss"], keras_loop.history_["val_loss"], rtol=1e-5
    )
    np.testing.assert_allclose(
        grouped.predict(seasonal[:800]), keras_loop.predict(seasonal[:800]), rtol=1e-4
    )
