"""The mixing layers of TSMixer (Chen et al., 2023): time, features, and both.

All layers use ``keras.ops`` only, so they run on the TensorFlow, JAX and
PyTorch backends. Inputs are ``(batch, time, channels)`` tensors.

Sub-layers are created in ``__init__`` and built explicitly in ``build``:
Keras then tracks, saves and restores their weights through ``model.save``,
``pickle`` and ``copy.deepcopy``.
"""

import keras
from keras import ops

from sktsmixer.layers._checks import (
    check_channels,
    check_choice,
    check_positive_int,
    check_rank,
    check_rate,
    offset_seed,
)
from sktsmixer.layers._ops import dense_over_time, seeded
from sktsmixer.layers.dropout import MaskDropout

# Exported here with the other layers of the architecture.
from sktsmixer.layers.normalization import ReversibleInstanceNorm

__all__ = ["TemporalMixing", "FeatureMixing", "MixingLayer", "ReversibleInstanceNorm"]

NORMS = ("batch", "layer")

# Keras' BatchNormalization updates ``moving = momentum * moving + (1 - momentum)
# * batch``: 0.99 is the "slow" average that PyTorch writes as momentum=0.01.
BATCH_NORM_MOMENTUM = 0.99
NORM_EPSILON = 1e-3


class _FlatNorm(keras.layers.Layer):
    """Normalises every (time, channel) cell of a ``(batch, time, channels)`` input.

    TSMixer normalises the flattened ``time * channels`` vector: batch
    normalisation then keeps one mean/variance per cell, layer normalisation
    one per sample.
    """

    def __init__(self, norm="batch", **kwargs):
        super().__init__(**kwargs)
        self.norm = check_choice("norm", norm, NORMS)
        if norm == "batch":
            self.normalizer = keras.layers.BatchNormalization(
                axis=-1,
                momentum=BATCH_NORM_MOMENTUM,
                epsilon=NORM_EPSILON,
                dtype=self.dtype_policy,
                name="batch_norm",
            )
        else:
            self.normalizer = keras.layers.LayerNormalization(
                axis=-1, epsilon=NORM_EPSILON, dtype=self.dtype_policy, name="layer_norm"
            )

    def build(self, input_shape):
        self.normalizer.build((input_shape[0], input_shape[1] * input_shape[2]))

    def call(self, inputs, training=None):
        time_steps, channels = inputs.shape[1], inputs.shape[2]
        flat = ops.reshape(inputs, (-1, time_steps * channels))
        if self.norm == "batch":
            flat = self.normalizer(flat, training=training)
        else:
            flat = self.normalizer(flat)
        return ops.reshape(flat, (-1, time_steps, channels))

    def get_config(self):
        return {**super().get_config(), "norm": self.norm}


class _MixingBase(keras.layers.Layer):
    """Arguments and checks shared by the temporal and feature mixing layers."""

    def __init__(self, n_series, input_size, dropout=0.0, norm="batch", seed=None, **kwargs):
        super().__init__(**kwargs)
        self.n_series = check_positive_int("n_series", n_series)
        self.input_size = check_positive_int("input_size", input_size)
        self.dropout = check_rate("dropout", dropout)
        self.norm = check_choice("norm", norm, NORMS)
        self.seed = seed
        self.normalization = _FlatNorm(norm, dtype=self.dtype_policy, name="norm")

    def _check_input_shape(self, input_shape):
        name = type(self).__name__
        check_rank(name, 3, input_shape)
        check_channels(name, "n_series", self.n_series, input_shape)
        steps = input_shape[1]
        if steps is not None and steps != self.input_size:
            raise ValueError(
                f"{name} was created with input_size={self.input_size} but received "
                f"inputs with {steps} time steps (input shape {tuple(input_shape)})."
            )

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "n_series": self.n_series,
            "input_size": self.input_size,
            "dropout": self.dropout,
            "norm": self.norm,
            "seed": self.seed,
        }


@keras.saving.register_keras_serializable(package="sktsmixer")
class TemporalMixing(_MixingBase):
    """Mixes information across time steps, channel by channel.

    Normalises every (time, channel) cell, applies one dense layer across the
    time axis (the same weights for every channel), a ReLU and dropout, and
    adds the result to the input.

    Args:
        n_series: Number of channels of the input.
        input_size: Number of time steps of the input.
        dropout: Dropout rate in [0, 1) applied after the ReLU.
        norm: ``"batch"`` (the paper's batch normalisation over the flattened
            time x channel cells, epsilon 1e-3, Keras momentum 0.99) or
            ``"layer"`` (layer normalisation over the same cells).
        seed: Optional int that makes the initial weights and the dropout
            masks reproducible.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Input shape:
        3D tensor ``(batch, input_size, n_series)``.

    Output shape:
        Same as the input.

    Example:

    >>> layer = TemporalMixing(n_series=7, input_size=96, dropout=0.1)
    >>> tuple(layer(keras.random.normal((32, 96, 7))).shape)
    (32, 96, 7)
    """

    def __init__(self, n_series, input_size, dropout=0.0, norm="batch", seed=None, **kwargs):
        super().__init__(n_series, input_size, dropout, norm, seed, **kwargs)
        self.temporal_dense = keras.layers.Dense(
            self.input_size,
            activation="relu",
            kernel_initializer=seeded("GlorotUniform", seed, 0),
            dtype=self.dtype_policy,
            name="temporal_dense",
        )
        self.dropout_layer = MaskDropout(self.dropout, seed=offset_seed(seed, 1))

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        self.normalization.build(input_shape)
        self.temporal_dense.build((input_shape[0], self.n_series, self.input_size))

    def call(self, inputs, training=None):
        mixed = self.normalization(inputs, training=training)
        mixed = dense_over_time(mixed, self.temporal_dense)
        mixed = self.dropout_layer(mixed, training=training)
        return inputs + mixed


@keras.saving.register_keras_serializable(package="sktsmixer")
class FeatureMixing(_MixingBase):
    """Mixes information across channels, time step by time step.

    Normalises every (time, channel) cell, then a two-layer MLP over the
    channel axis (``Dense(ff_dim)`` -> ReLU -> dropout -> ``Dense(n_series)``
    -> dropout), added to the input.

    Args:
        n_series: Number of channels of the input.
        input_size: Number of time steps of the input.
        dropout: Dropout rate in [0, 1) after each dense layer.
        ff_dim: Width of the hidden layer of the MLP.
        norm: ``"batch"`` (default) or ``"layer"``, as in ``TemporalMixing``.
        seed: Optional int that makes the initial weights and the dropout
            masks reproducible.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Input shape:
        3D tensor ``(batch, input_size, n_series)``.

    Output shape:
        Same as the input.

    Example:

    >>> layer = FeatureMixing(n_series=7, input_size=96, ff_dim=64)
    >>> tuple(layer(keras.random.normal((32, 96, 7))).shape)
    (32, 96, 7)
    """

    def __init__(
        self, n_series, input_size, dropout=0.0, ff_dim=64, norm="batch", seed=None, **kwargs
    ):
        super().__init__(n_series, input_size, dropout, norm, seed, **kwargs)
        self.ff_dim = check_positive_int("ff_dim", ff_dim)
        self.hidden_dense = keras.layers.Dense(
            self.ff_dim,
            activation="relu",
            kernel_initializer=seeded("GlorotUniform", seed, 0),
            dtype=self.dtype_policy,
            name="hidden_dense",
        )
        self.output_dense = keras.layers.Dense(
            self.n_series,
            kernel_initializer=seeded("GlorotUniform", seed, 1),
            dtype=self.dtype_policy,
            name="output_dense",
        )
        self.hidden_dropout = MaskDropout(self.dropout, seed=offset_seed(seed, 2))
        self.output_dropout = MaskDropout(self.dropout, seed=offset_seed(seed, 3))

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        self.normalization.build(input_shape)
        self.hidden_dense.build(tuple(input_shape))
        self.output_dense.build((*input_shape[:-1], self.ff_dim))

    def call(self, inputs, training=None):
        mixed = self.normalization(inputs, training=training)
        mixed = self.hidden_dense(mixed)
        mixed = self.hidden_dropout(mixed, training=training)
        mixed = self.output_dense(mixed)
        mixed = self.output_dropout(mixed, training=training)
        return inputs + mixed

    def get_config(self):
        return {**super().get_config(), "ff_dim": self.ff_dim}


@keras.saving.register_keras_serializable(package="sktsmixer")
class MixingLayer(keras.layers.Layer):
    """One TSMixer block: ``TemporalMixing`` followed by ``FeatureMixing``.

    Args:
        n_series: Number of channels of the input.
        input_size: Number of time steps of the input.
        dropout: Dropout rate in [0, 1) used by both mixing layers.
        ff_dim: Hidden width of the feature-mixing MLP.
        norm: ``"batch"`` (default) or ``"layer"``.
        seed: Optional int that makes the initial weights and the dropout
            masks reproducible.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Input shape:
        3D tensor ``(batch, input_size, n_series)``.

    Output shape:
        Same as the input.

    Example:

    >>> block = MixingLayer(n_series=7, input_size=96, dropout=0.1, ff_dim=64)
    >>> tuple(block(keras.random.normal((32, 96, 7))).shape)
    (32, 96, 7)
    """

    def __init__(
        self, n_series, input_size, dropout=0.0, ff_dim=64, norm="batch", seed=None, **kwargs
    ):
        super().__init__(**kwargs)
        self.temporal_mixing = TemporalMixing(
            n_series,
            input_size,
            dropout,
            norm,
            seed=seed,
            dtype=self.dtype_policy,
            name="temporal_mixing",
        )
        self.feature_mixing = FeatureMixing(
            n_series,
            input_size,
            dropout,
            ff_dim,
            norm,
            seed=offset_seed(seed, 10),
            dtype=self.dtype_policy,
            name="feature_mixing",
        )
        # The sub-layers validated the arguments.
        self.n_series = self.feature_mixing.n_series
        self.input_size = self.feature_mixing.input_size
        self.dropout = self.feature_mixing.dropout
        self.ff_dim = self.feature_mixing.ff_dim
        self.norm = self.feature_mixing.norm
        self.seed = seed

    def build(self, input_shape):
        self.temporal_mixing.build(input_shape)
        self.feature_mixing.build(input_shape)

    def call(self, inputs, training=None):
        mixed = self.temporal_mixing(inputs, training=training)
        return self.feature_mixing(mixed, training=training)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "n_series": self.n_series,
            "input_size": self.input_size,
            "dropout": self.dropout,
            "ff_dim": self.ff_dim,
            "norm": self.norm,
            "seed": self.seed,
        }
