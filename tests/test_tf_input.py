"""The untuned ``tf.data`` pipeline that TensorFlow fits read (``_tf_input``)."""

import keras
import numpy as np
import pytest

from sktsmixer.training.batches import WindowEndBatches
from sktsmixer.training.tf_input import fit_input

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="the pipeline is TensorFlow's"
)


def test_every_epoch_reads_that_epochs_batches_in_a_new_order():
    ends = np.arange(300, 1300)
    batches = WindowEndBatches(ends, ends // 100, 64, shuffle_seed=5, max_batches=6)
    twin = WindowEndBatches(ends, ends // 100, 64, shuffle_seed=5, max_batches=6)
    dataset = fit_input(batches)
    assert int(dataset.cardinality()) == len(batches) == 6
    assert dataset.options().autotune.enabled is False
    epochs = []
    for _epoch in range(3):  # Keras opens one iterator per epoch
        read = [batch.numpy() for batch in dataset]
        twin.on_epoch_end()  # as Keras' adapter does before every epoch, the first too
        expected = [twin[i] for i in range(len(twin))]
        for got, want in zip(read, expected, strict=True):
            np.testing.assert_array_equal(got, want)
        epochs.append(np.concatenate(read))
    assert not np.array_equal(epochs[0], epochs[1])
    assert not np.array_equal(epochs[1], epochs[2])
    # Each epoch is a different sample of the same pairs, never invented ones.
    assert set(np.concatenate(epochs)[:, 0]) <= set(ends.tolist())


def test_tuples_of_arrays_keep_their_structure_and_a_short_last_batch():
    class Pairs(keras.utils.PyDataset):
        def __len__(self):
            return 3

        def __getitem__(self, index):
            n = 4 if index < 2 else 2  # the last batch is short
            return np.full((n, 5, 2), index, "float32"), np.full((n, 3), index, "int32")

    read = list(fit_input(Pairs()))
    assert [tuple(x.shape) for x, _ in read] == [(4, 5, 2), (4, 5, 2), (2, 5, 2)]
    assert [y.dtype.name for _, y in read] == ["int32"] * 3
    assert [float(x[0, 0, 0]) for x, _ in read] == [0.0, 1.0, 2.0]


def test_nothing_to_read_stays_nothing():
    assert fit_input(None) is None
