"""Training batches and the Keras models that train on them.

Windows (see :mod:`sktsmixer.data.windows`) are gathered per batch, never
materialised at once: the trainer models gather them inside the compiled
Keras step from arrays held once in memory, so a batch costs ``batch_size *
input_size * n_features`` values and a fit never needs an ``(n_windows,
input_size, n_features)`` copy. Series too big to copy into the backend are
gathered in NumPy instead (:class:`GatheredWindows`).
"""

import math

import keras
import numpy as np
from keras import ops

from sktsmixer.data.windows import numpy_targets
from sktsmixer.training.devices import n_replicas, round_up, shard_batch
from sktsmixer.training.quiet import no_retracing_notes
from sktsmixer.uncertainty.losses import masked_loss

__all__ = [
    "GatheredTrainer",
    "GatheredWindows",
    "WindowedTrainer",
    "WindowEndBatches",
    "predict_batch_size",
    "predict_windows",
]

# Cap on the values of one predict batch of windows: every activation of the
# forward pass is about that size, so wide series get fewer windows per batch.
PREDICT_BUDGET_VALUES = 4 * 2**20


def predict_batch_size(input_size, n_columns):
    """Windows per predict batch for windows of ``input_size`` rows of ``n_columns``."""
    return int(max(1, min(1024, PREDICT_BUDGET_VALUES // (input_size * n_columns))))


def predict_windows(
    model, layout, series, ends, codes=None, static=None, batch_size=256, jit_compile=None
):
    """Model outputs for the windows ending at ``ends``, as one float64 array.

    ``jit_compile``: whether ``model`` predicts with XLA (None: as it is).

    Batches are padded to a power of two, which bounds the number of shapes
    the compiled predict function is traced for, rounded up to a multiple of
    the devices sharing a batch under the current Keras distribution.
    """
    multiple_of = n_replicas()
    if jit_compile is not None and model.jit_compile != jit_compile:
        model.jit_compile = jit_compile
        model.predict_function = None  # made anew, with XLA or without
    outputs = None
    with no_retracing_notes():
        for start in range(0, len(ends), batch_size):
            stop = min(start + batch_size, len(ends))
            n = stop - start
            bucket = round_up(1 << (n - 1).bit_length(), multiple_of)
            rows = np.concatenate([ends[start:stop], np.repeat(ends[stop - 1 : stop], bucket - n)])
            batch_codes = None
            if codes is not None:
                batch_codes = np.concatenate(
                    [codes[start:stop], np.repeat(codes[stop - 1 : stop], bucket - n)]
                )
            inputs = shard_batch(layout.numpy_inputs(series, rows, batch_codes, static))
            result = np.asarray(model.predict_on_batch(inputs))[:n]
            if outputs is None:
                outputs = np.empty((len(ends), *result.shape[1:]))
            outputs[start:stop] = result
    return outputs


class WindowEndBatches(keras.utils.PyDataset):
    """Batches of ``(end row, series code)`` pairs, reshuffled every epoch.

    With ``max_batches``, an epoch is the first ``max_batches`` batches of
    that epoch's order, so long series give short, frequently validated epochs.

    With ``multiple_of`` (the devices sharing a batch), a last batch of
    another size is completed with the first pairs of the epoch's order, as
    every device must get an equal share.

    The dataset carries only integers; the trainer turns them into windows.
    Shuffling with a private ``numpy.random.Generator`` keeps fits
    reproducible without touching any global seed. With ``shuffle_in_place``
    the arrays given are themselves shuffled (the same permutation for
    both), which saves an array of positions as long as them: for arrays the
    caller owns, on big panels. The batches are the same either way.
    """

    def __init__(
        self,
        ends,
        codes,
        batch_size,
        shuffle_seed=None,
        max_batches=None,
        multiple_of=1,
        shuffle_in_place=False,
    ):
        super().__init__()
        # int32, as the trainer gathers with (parse_panel refuses bigger panels);
        # kept apart, not stacked, so int32 inputs are not copied at all.
        self.ends = np.asarray(ends).astype("int32", copy=False)
        self.codes = np.asarray(codes).astype("int32", copy=False)
        self.batch_size = batch_size
        self.max_batches = max_batches
        self.multiple_of = multiple_of
        self.shuffle_in_place = shuffle_in_place
        self._rng = None if shuffle_seed is None else np.random.default_rng(shuffle_seed)
        self._order = None  # positions of this epoch's order (None: as the arrays are)
        self.on_epoch_end()

    def __len__(self):
        n_batches = math.ceil(len(self.ends) / self.batch_size)
        return n_batches if self.max_batches is None else min(n_batches, self.max_batches)

    def __getitem__(self, index):
        n = len(self.ends)
        positions = np.arange(index * self.batch_size, min((index + 1) * self.batch_size, n))
        short = -len(positions) % self.multiple_of
        if short:
            positions = np.concatenate([positions, np.arange(short) % n])
        if self._order is not None:
            positions = self._order[positions]
        return np.column_stack([self.ends[positions], self.codes[positions]])

    def on_epoch_end(self):
        if self._rng is None:
            return
        if self.shuffle_in_place:
            # A shuffle's draws depend only on the generator's state and the
            # length: replaying the state shuffles both arrays alike.
            state = self._rng.bit_generator.state
            self._rng.shuffle(self.ends)
            self._rng.bit_generator.state = state
            self._rng.shuffle(self.codes)
            return
        # An int32 permutation of positions, shuffled in place every epoch,
        # rather than a shuffled copy of the pairs or a new permutation beside
        # the old one.
        if self._order is None:
            self._order = np.arange(len(self.ends), dtype=np.int32)
        self._rng.shuffle(self._order)


class _MaskedLossTrainer(keras.Model):
    """A model wrapped for training with the masked ``loss`` (of ``quantiles``)."""

    def __init__(self, model, loss="squared_error", quantiles=None, **kwargs):
        super().__init__(**kwargs)
        self.model = model
        self.loss_name = loss
        self.quantiles = None if quantiles is None else [float(q) for q in quantiles]

    def _masked_loss(self, target, y_pred, mask):
        return masked_loss(target, y_pred, mask, self.loss_name, self.quantiles)


class WindowedTrainer(_MaskedLossTrainer):
    """Trains a window-to-forecast model from ``(end row, series code)`` pairs.

    ``call(pairs)`` gathers the model inputs described by ``layout`` from
    ``series`` (and ``static``) and runs ``model``; the loss gathers the
    targets, rows ``ends + target_offsets`` of ``targets``, and averages
    ``loss`` over the entries whose ``target_mask`` is 1.

    Args:
        model: A Keras model taking what ``layout`` describes and returning
            ``(batch, len(target_offsets), n_targets[, n_quantiles])``.
        layout: A ``WindowLayout``.
        series: Array ``(n_rows, n_columns)`` of model inputs.
        targets: Array ``(n_rows, n_targets)`` or None (see
            ``target_columns``); missing entries hold any finite value and
            are masked out.
        target_offsets: Rows after a window's end row holding its targets.
        target_mask: Optional array like ``targets``, 1 where a target exists.
        target_columns: With ``targets=None``, the columns of ``series``
            that are the targets (read there, no second copy is held).
        static: Optional array ``(n_series, n_static)``.
        loss: ``"squared_error"``, ``"absolute_error"`` or ``"quantile"``.
        quantiles: Quantile levels for ``loss="quantile"``.
    """

    def __init__(
        self,
        model,
        layout,
        series,
        targets,
        target_offsets,
        target_mask=None,
        static=None,
        loss="squared_error",
        quantiles=None,
        target_columns=None,
        **kwargs,
    ):
        super().__init__(model, loss, quantiles, **kwargs)
        self.layout = layout
        self.window_offsets = np.arange(1 - layout.input_size, 1, dtype="int32")
        self.future_offsets = np.arange(1, layout.horizon + 1, dtype="int32")
        self.target_offsets = np.asarray(target_offsets, dtype="int32")
        self.series = keras.Variable(series, trainable=False, name="series")
        if (targets is None) == (target_columns is None):
            raise ValueError("Pass exactly one of targets and target_columns.")
        self.target_columns = None if target_columns is None else tuple(target_columns)
        self.targets = _optional_variable(targets, "targets")
        self.target_mask = _optional_variable(target_mask, "target_mask")
        self.static = _optional_variable(static if layout.n_static else None, "static")

    def _gather(self, values, ends, offsets, columns=None):
        rows = ops.expand_dims(ends, -1) + ops.convert_to_tensor(offsets, "int32")
        gathered = ops.take(values, rows, axis=0)
        if columns is not None:
            gathered = ops.take(gathered, list(columns), axis=-1)
        return gathered

    def call(self, pairs, training=None):
        pairs = ops.cast(pairs, "int32")
        ends = pairs[:, 0]
        layout = self.layout
        past = self._gather(self.series, ends, self.window_offsets, layout.past_columns)
        if not layout.named:
            return self.model(past, training=training)
        inputs = {"past": past}
        if layout.future_columns:
            inputs["future"] = self._gather(
                self.series, ends, self.future_offsets, layout.future_columns
            )
        if layout.n_static:
            inputs["static"] = ops.take(self.static, pairs[:, 1], axis=0)
        return self.model(inputs, training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        ends = ops.cast(x, "int32")[:, 0]
        if self.targets is None:
            target = self._gather(self.series, ends, self.target_offsets, self.target_columns)
        else:
            target = self._gather(self.targets, ends, self.target_offsets)
        mask = None
        if self.target_mask is not None:
            mask = self._gather(self.target_mask, ends, self.target_offsets)
        return self._masked_loss(target, y_pred, mask)


class GatheredWindows(WindowEndBatches):
    """Batches of windows gathered in NumPy: ``(inputs, (targets, mask))``.

    For series too big to copy into the backend: a backend variable of the
    series would be a second copy of it (and TensorFlow briefly makes two
    more while creating it), whereas these batches read the NumPy series,
    held once. The order of the windows is that of ``WindowEndBatches``.
    ``targets=None`` reads the targets in the ``target_columns`` of ``series``.
    """

    def __init__(
        self,
        layout,
        series,
        targets,
        target_offsets,
        target_mask,
        static,
        ends,
        codes,
        batch_size,
        target_columns=None,
        **kwargs,
    ):
        super().__init__(ends, codes, batch_size, **kwargs)
        self.layout, self.series, self.static = layout, series, static
        self.targets, self.target_columns = targets, target_columns
        self.target_offsets = np.asarray(target_offsets)
        self.target_mask = target_mask

    def __getitem__(self, index):
        pairs = super().__getitem__(index)
        ends, codes = pairs[:, 0], pairs[:, 1]
        inputs = self.layout.numpy_inputs(self.series, ends, codes, self.static)
        rows = ends[:, None] + self.target_offsets
        target = numpy_targets(self.series, self.targets, self.target_columns, rows)
        mask = np.ones_like(target) if self.target_mask is None else self.target_mask[rows]
        return inputs, (target, mask)


class GatheredTrainer(_MaskedLossTrainer):
    """Trains ``model`` on the batches of ``GatheredWindows``, with the masked ``loss``."""

    def call(self, inputs, training=None):
        return self.model(inputs, training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        target, mask = y
        return self._masked_loss(target, y_pred, mask)


def _optional_variable(values, name):
    return None if values is None else keras.Variable(values, trainable=False, name=name)
