"""The Keras layer that turns integer category codes into one-hot or embedded channels."""

import keras
from keras import ops

from sktsmixer.layers._checks import check_positive_int, offset_seed

__all__ = ["CategoricalChannels"]


@keras.saving.register_keras_serializable(package="sktsmixer")
class CategoricalChannels(keras.layers.Layer):
    """Replace the code channels of an input by their one-hot or embedded vectors.

    A code channel holds ``0`` (unknown) or ``1 ... K`` (a category) as a
    float. Its code becomes either a one-hot vector of ``K`` channels or a
    learned embedding of ``dim`` channels; the unknown code becomes the zero
    vector in both. The other channels are kept, in order, first; the
    encoded ones follow, in the order of ``categoricals``.

    Args:
        n_channels: Channels of the input (last axis).
        categoricals: List of ``[channel, K, dim]``: ``dim`` 0 for one-hot,
            else the embedding size.
        seed: Optional int seeding the embeddings' initial values.

    Example:

    >>> layer = CategoricalChannels(3, [[1, 4, 0], [2, 50, 8]])
    >>> x = keras.ops.convert_to_tensor([[[0.5, 2.0, 7.0]]])
    >>> tuple(layer(x).shape)  # 1 kept + 4 one-hot + 8 embedded
    (1, 1, 13)
    """

    def __init__(self, n_channels, categoricals, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.n_channels = check_positive_int("n_channels", n_channels)
        self.categoricals = [[int(c), int(k), int(d)] for c, k, d in categoricals]
        channels = [c for c, _, _ in self.categoricals]
        if not channels or len(set(channels)) != len(channels):
            raise ValueError(f"categoricals must name distinct channels, got {categoricals!r}.")
        if not all(0 <= c < self.n_channels for c in channels):
            raise ValueError(
                f"categoricals name channels outside [0, {self.n_channels}): {channels}."
            )
        if any(k < 1 or d < 0 for _, k, d in self.categoricals):
            raise ValueError(f"categoricals need K >= 1 and dim >= 0, got {categoricals!r}.")
        self.seed = seed
        self.kept = [c for c in range(self.n_channels) if c not in set(channels)]
        self.tables = []
        for i, (_, k, dim) in enumerate(self.categoricals):
            table = None
            if dim:
                # Unit-scale rows, as one-hot vectors are: the dense layers that
                # read them start as sensitive to an embedded column as to a
                # one-hot one (Keras' +-0.05 default made them learn slowly).
                table = self.add_weight(
                    shape=(k, dim),
                    initializer=keras.initializers.RandomNormal(
                        stddev=1.0, seed=offset_seed(seed, i)
                    ),
                    name=f"embedding_{i}",
                )
            self.tables.append(table)

    @property
    def output_channels(self):
        return len(self.kept) + sum(d if d else k for _, k, d in self.categoricals)

    def call(self, x):
        parts = [ops.take(x, self.kept, axis=-1)] if self.kept else []
        for (channel, k, dim), table in zip(self.categoricals, self.tables, strict=True):
            codes = ops.cast(ops.clip(ops.round(x[..., channel]), 0, k), "int32")
            if not dim:
                # Code 0 (unknown) is the dropped first column: all zeros.
                parts.append(ops.cast(ops.one_hot(codes, k + 1)[..., 1:], x.dtype))
                continue
            known = ops.cast(ops.expand_dims(codes > 0, -1), x.dtype)
            rows = ops.take(table, ops.maximum(codes - 1, 0), axis=0)
            parts.append(ops.cast(rows, x.dtype) * known)
        return parts[0] if len(parts) == 1 else ops.concatenate(parts, axis=-1)

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:-1], self.output_channels)

    def get_config(self):
        return {
            **super().get_config(),
            "n_channels": self.n_channels,
            "categoricals": self.categoricals,
            "seed": self.seed,
        }
