"""Keras 3 layers of the TSMixer architecture (Chen et al., 2023).

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
from sktsmixer.layers.dropout import MaskDropout

# Exported here with the other layers of the architecture.
from sktsmixer.layers.normalization import ReversibleInstanceNorm

__all__ = [
    "TemporalMixing",
    "FeatureMixing",
    "MixingLayer",
    "TokenEmbedding",
    "ReversibleInstanceNorm",
    "TemporalProjection",
]

NORMS = ("batch", "layer")

# Keras' BatchNormalization updates ``moving = momentum * moving + (1 - momentum)
# * batch``: 0.99 is the "slow" average that PyTorch writes as momentum=0.01.
BATCH_NORM_MOMENTUM = 0.99
NORM_EPSILON = 1e-3


def _seeded(initializer, seed, offset):
    """A Keras initializer, seeded from ``seed + offset`` when a seed is given."""
    config = {} if seed is None else {"seed": offset_seed(seed, offset)}
    return keras.initializers.get({"class_name": initializer, "config": config})


def _dense_over_time(inputs, dense):
    """Applies ``dense`` along the time axis of ``(batch, time, channels)`` inputs.

    One einsum instead of transposing to ``(batch, channels, time)`` and back:
    the two transposes copied every activation twice, forward and backward,
    which cost about 15% of a training step on a CPU.
    """
    outputs = ops.einsum("btc,ts->bsc", inputs, dense.kernel)
    if dense.use_bias:
        outputs = outputs + ops.expand_dims(dense.bias, -1)
    return dense.activation(outputs)


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
            kernel_initializer=_seeded("GlorotUniform", seed, 0),
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
        mixed = _dense_over_time(mixed, self.temporal_dense)
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
            kernel_initializer=_seeded("GlorotUniform", seed, 0),
            dtype=self.dtype_policy,
            name="hidden_dense",
        )
        self.output_dense = keras.layers.Dense(
            self.n_series,
            kernel_initializer=_seeded("GlorotUniform", seed, 1),
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


@keras.saving.register_keras_serializable(package="sktsmixer")
class TokenEmbedding(keras.layers.Layer):
    """Lifts ``c_in`` channels to ``d_model`` by a 1D convolution over time.

    The convolution keeps the sequence length (``"same"`` zero padding), has a
    Kaiming-normal (He normal) kernel and a bias, so it holds
    ``c_in * d_model * kernel_size + d_model`` parameters.

    Args:
        c_in: Number of input channels.
        d_model: Number of output channels.
        kernel_size: Width of the convolution window in time steps.
        seed: Optional int that makes the initial kernel reproducible.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Input shape:
        3D tensor ``(batch, time, c_in)``; any number of time steps.

    Output shape:
        3D tensor ``(batch, time, d_model)``.

    Example:

    >>> embedding = TokenEmbedding(c_in=7, d_model=64)
    >>> tuple(embedding(keras.random.normal((32, 100, 7))).shape)
    (32, 100, 64)
    """

    def __init__(self, c_in, d_model, kernel_size=3, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.c_in = check_positive_int("c_in", c_in)
        self.d_model = check_positive_int("d_model", d_model)
        self.kernel_size = check_positive_int("kernel_size", kernel_size)
        self.seed = seed

    def build(self, input_shape):
        check_rank("TokenEmbedding", 3, input_shape)
        check_channels("TokenEmbedding", "c_in", self.c_in, input_shape)
        self.kernel = self.add_weight(
            shape=(self.kernel_size, self.c_in, self.d_model),
            initializer=_seeded("HeNormal", self.seed, 0),
            name="kernel",
        )
        self.bias = self.add_weight(shape=(self.d_model,), initializer="zeros", name="bias")

    def call(self, inputs):
        embedded = ops.conv(inputs, self.kernel, strides=1, padding="same")
        return embedded + self.bias

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.d_model)

    def get_config(self):
        return {
            **super().get_config(),
            "c_in": self.c_in,
            "d_model": self.d_model,
            "kernel_size": self.kernel_size,
            "seed": self.seed,
        }


@keras.saving.register_keras_serializable(package="sktsmixer")
class TemporalProjection(keras.layers.Layer):
    """Projects the time axis from ``input_size`` to ``horizon`` steps.

    TSMixer's forecasting head: one dense layer over time shared by all
    channels, optionally applied to a subset of the channels only (the
    paper's ``target_slice``), which saves the work on the others.

    Args:
        horizon: Number of output time steps.
        channels: Optional list of channel indices to keep, in that order.
        seed: Optional int that makes the initial weights reproducible.
        kernel_initializer: Initializer of the ``(input_size, horizon)``
            kernel; None (default) is a ``GlorotUniform`` seeded from
            ``seed``. ``"zeros"`` makes the head start from a flat forecast
            at the window's level (after reversible normalisation), which
            ``build_tsmixer`` uses: see its docstring.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Input shape:
        3D tensor ``(batch, input_size, n_channels)``.

    Output shape:
        3D tensor ``(batch, horizon, len(channels) or n_channels)``.

    Example:

    >>> head = TemporalProjection(horizon=24, channels=[6])
    >>> tuple(head(keras.random.normal((32, 96, 7))).shape)
    (32, 24, 1)
    """

    def __init__(self, horizon, channels=None, seed=None, kernel_initializer=None, **kwargs):
        super().__init__(**kwargs)
        self.horizon = check_positive_int("horizon", horizon)
        self.channels = None if channels is None else [int(c) for c in channels]
        self.seed = seed
        # Kept serialised, so that the config and the attribute are one value.
        self.kernel_initializer = (
            None
            if kernel_initializer is None
            else keras.initializers.serialize(keras.initializers.get(kernel_initializer))
        )
        self.projection = keras.layers.Dense(
            self.horizon,
            kernel_initializer=(
                _seeded("GlorotUniform", seed, 0)
                if kernel_initializer is None
                else keras.initializers.get(self.kernel_initializer)
            ),
            dtype=self.dtype_policy,
            name="projection",
        )

    def build(self, input_shape):
        check_rank("TemporalProjection", 3, input_shape)
        if self.channels is not None:
            n_channels = input_shape[-1]
            bad = [c for c in self.channels if not -n_channels <= c < n_channels]
            if n_channels is not None and bad:
                raise ValueError(
                    f"TemporalProjection got channels={self.channels}, but the input has "
                    f"only {n_channels} channels; out of range: {bad}."
                )
        self.projection.build((input_shape[0], None, input_shape[1]))

    def call(self, inputs):
        if self.channels is not None:
            inputs = ops.take(inputs, self.channels, axis=-1)
        return _dense_over_time(inputs, self.projection)

    def compute_output_shape(self, input_shape):
        n_out = input_shape[-1] if self.channels is None else len(self.channels)
        return (input_shape[0], self.horizon, n_out)

    def get_config(self):
        return {
            **super().get_config(),
            "horizon": self.horizon,
            "channels": self.channels,
            "seed": self.seed,
            "kernel_initializer": self.kernel_initializer,
        }
