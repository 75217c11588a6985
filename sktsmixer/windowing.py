"""Lazy windowing: windows are gathered per batch, never materialised at once.

A window is named by its *end row* ``t``: it holds rows ``t - input_size + 1
... t`` of a ``(n_timesteps, n_features)`` array. Training gathers windows and
targets inside the compiled Keras graph from the series held once in memory,
so a batch costs ``batch_size * input_size * n_features`` values and a fit
never needs an ``(n_windows, input_size, n_features)`` copy.
"""

import math

import keras
import numpy as np
from keras import ops

__all__ = [
    "WindowedTrainer",
    "WindowEndBatches",
    "iter_windows",
    "split_train_validation",
]


def iter_windows(series, ends, input_size, batch_size):
    """Yield the windows ending at ``ends``, ``batch_size`` at a time.

    Parameters
    ----------
    series : ndarray of shape (n_timesteps, n_features)
    ends : ndarray of int
        End rows of the windows; each must be ``>= input_size - 1``.
    input_size : int
    batch_size : int

    Yields
    ------
    windows : ndarray of shape (b, input_size, n_features)
        ``b = batch_size`` except for the last batch.
    """
    offsets = np.arange(1 - input_size, 1)
    for start in range(0, len(ends), batch_size):
        yield series[ends[start : start + batch_size, None] + offsets]


def split_train_validation(ends, validation_fraction, gap):
    """Split window ends chronologically into training and validation ends.

    The validation ends are the last ``validation_fraction`` of ``ends``;
    training ends stop ``gap`` rows before the first validation end, so that
    no training target row is also a validation target row.
    """
    n_validation = max(1, int(math.ceil(validation_fraction * len(ends))))
    validation = ends[len(ends) - n_validation :]
    train = ends[ends <= validation[0] - gap]
    return train, validation


class WindowEndBatches(keras.utils.PyDataset):
    """Batches of window end rows, reshuffled every epoch by its own generator.

    With ``max_batches``, an epoch is the first ``max_batches`` batches of
    that epoch's order, so long series give short, frequently validated epochs.

    The dataset carries only integers; the trainer turns them into windows.
    Shuffling with a private ``numpy.random.Generator`` keeps fits
    reproducible without touching any global seed.
    """

    def __init__(self, ends, batch_size, shuffle_seed=None, max_batches=None):
        super().__init__()
        self.ends = np.asarray(ends, dtype="int32")
        self.batch_size = batch_size
        self.max_batches = max_batches
        self._rng = None if shuffle_seed is None else np.random.default_rng(shuffle_seed)
        self._order = self.ends
        self.on_epoch_end()

    def __len__(self):
        n_batches = math.ceil(len(self.ends) / self.batch_size)
        return n_batches if self.max_batches is None else min(n_batches, self.max_batches)

    def __getitem__(self, index):
        return self._order[index * self.batch_size : (index + 1) * self.batch_size]

    def on_epoch_end(self):
        if self._rng is not None:
            self._order = self.ends[self._rng.permutation(len(self.ends))]


class WindowedTrainer(keras.Model):
    """Trains a window-to-forecast model from window end rows.

    ``call(ends)`` gathers the input windows from ``series`` and runs
    ``model``; the loss gathers the targets, rows ``ends + target_offsets`` of
    ``targets``, and is the mean squared error over the entries whose
    ``target_mask`` is 1 (missing targets are not trained on).

    Args:
        model: A Keras model mapping ``(batch, input_size, n_features)`` to
            ``(batch, len(target_offsets), n_targets)``.
        series: Array ``(n_timesteps, n_features)`` of model inputs.
        targets: Array ``(n_timesteps, n_targets)``; missing entries hold any
            finite value and are masked out.
        target_offsets: Rows after a window's end row holding its targets.
        target_mask: Optional array like ``targets``, 1 where a target exists.
    """

    def __init__(self, model, series, targets, target_offsets, target_mask=None, **kwargs):
        super().__init__(**kwargs)
        self.model = model
        input_size = model.input_shape[1]
        self.window_offsets = np.arange(1 - input_size, 1, dtype="int32")
        self.target_offsets = np.asarray(target_offsets, dtype="int32")
        self.series = keras.Variable(series, trainable=False, name="series")
        self.targets = keras.Variable(targets, trainable=False, name="targets")
        self.target_mask = (
            None
            if target_mask is None
            else keras.Variable(target_mask, trainable=False, name="target_mask")
        )

    def _gather(self, values, ends, offsets):
        rows = ops.expand_dims(ops.cast(ends, "int32"), -1) + offsets
        return ops.take(values, rows, axis=0)

    def call(self, ends, training=None):
        windows = self._gather(self.series, ends, self.window_offsets)
        return self.model(windows, training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        target = self._gather(self.targets, x, self.target_offsets)
        squared_error = ops.square(y_pred - ops.cast(target, y_pred.dtype))
        if self.target_mask is None:
            return ops.mean(squared_error)
        mask = ops.cast(self._gather(self.target_mask, x, self.target_offsets), y_pred.dtype)
        return ops.sum(squared_error * mask) / ops.maximum(ops.sum(mask), 1.0)
