"""Keras 3 layers of TSMixer-Ext (Chen et al., 2023, section 4) and a quantile head.

TSMixer-Ext conditions the feature mixing on static (time-invariant)
features: the static vector is projected, repeated over time and concatenated
to the channels before the MLP. ``keras.ops`` only, so every backend runs it.
"""

import numbers

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
from sktsmixer.layers._ops import seeded
from sktsmixer.layers.dropout import MaskDropout
from sktsmixer.layers.mixing import NORMS, TemporalMixing, _FlatNorm

__all__ = [
    "ConditionalFeatureMixing",
    "ConditionalMixingLayer",
    "QuantileHead",
    "SortQuantiles",
]

_MIXING_ARGS = (
    "n_series",
    "n_static",
    "input_size",
    "output_dim",
    "ff_dim",
    "dropout",
    "norm",
    "seed",
)


def check_non_negative_int(name, value):
    """Return ``value`` if it is an int >= 0, else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"`{name}` must be a non-negative integer, got {name}={value!r}.")
    return int(value)


def _split_inputs(layer, inputs):
    """``x`` or ``[x, static]`` -> ``(x, static or None)``, checked against ``n_static``."""
    nested = isinstance(inputs, (list, tuple)) and (
        len(inputs) == 0 or isinstance(inputs[0], (list, tuple)) or hasattr(inputs[0], "shape")
    )
    parts = list(inputs) if nested else [inputs]
    expected = 2 if layer.n_static else 1
    if len(parts) != expected:
        form = "[x, static]" if layer.n_static else "x alone"
        raise ValueError(
            f"{type(layer).__name__} was created with n_static={layer.n_static}, so it "
            f"takes {form}; got {len(parts)} input(s)."
        )
    return parts[0], (parts[1] if layer.n_static else None)


def _shape(tensor_or_shape):
    return tuple(getattr(tensor_or_shape, "shape", tensor_or_shape))


@keras.saving.register_keras_serializable(package="sktsmixer")
class ConditionalFeatureMixing(keras.layers.Layer):
    """Feature mixing conditioned on static features (TSMixer-Ext).

    The static vector goes through ``Dense(output_dim)`` (linear), is repeated
    over the ``input_size`` time steps and concatenated to ``x``: ``z`` has
    ``n_series + output_dim`` channels (the static projection is as wide as
    the output, so static information is not squeezed below the width it
    conditions). Then ``out = Dense(output_dim)(z) + MLP(norm(z))`` with
    ``MLP = Dense(ff_dim, relu) -> Dropout -> Dense(output_dim) -> Dropout``
    and ``norm`` the batch/layer normalisation over the flattened
    ``time x channel`` cells used by ``FeatureMixing``. The linear shortcut
    replaces the identity residual because the channel count changes.

    Args:
        n_series: Number of channels of ``x``.
        n_static: Number of static features (0: no static input).
        input_size: Number of time steps of ``x``.
        output_dim: Number of output channels.
        ff_dim: Width of the hidden layer of the MLP.
        dropout: Dropout rate in [0, 1) after each MLP dense layer.
        norm: ``"batch"`` (default) or ``"layer"``.
        seed: Optional int that makes the initial weights and the dropout
            masks reproducible.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Call arguments:
        inputs: ``x`` when ``n_static == 0``, else a list ``[x, static]``.
        training: Whether dropout and batch statistics are in training mode.

    Input shape:
        ``x``: 3D tensor ``(batch, input_size, n_series)``;
        ``static``: 2D tensor ``(batch, n_static)``.

    Output shape:
        3D tensor ``(batch, input_size, output_dim)``.

    Example:

    >>> layer = ConditionalFeatureMixing(n_series=7, n_static=3, input_size=24,
    ...                                  output_dim=16)
    >>> x, static = keras.random.normal((32, 24, 7)), keras.random.normal((32, 3))
    >>> tuple(layer([x, static]).shape)
    (32, 24, 16)
    """

    def __init__(
        self,
        n_series,
        n_static,
        input_size,
        output_dim,
        ff_dim=64,
        dropout=0.0,
        norm="batch",
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.n_series = check_positive_int("n_series", n_series)
        self.n_static = check_non_negative_int("n_static", n_static)
        self.input_size = check_positive_int("input_size", input_size)
        self.output_dim = check_positive_int("output_dim", output_dim)
        self.ff_dim = check_positive_int("ff_dim", ff_dim)
        self.dropout = check_rate("dropout", dropout)
        self.norm = check_choice("norm", norm, NORMS)
        self.seed = seed

        def dense(units, offset, name, activation=None):
            return keras.layers.Dense(
                units,
                activation=activation,
                kernel_initializer=seeded("GlorotUniform", seed, offset),
                dtype=self.dtype_policy,
                name=name,
            )

        self.static_dense = dense(self.output_dim, 0, "static_dense") if self.n_static else None
        self.shortcut_dense = dense(self.output_dim, 1, "shortcut_dense")
        self.hidden_dense = dense(self.ff_dim, 2, "hidden_dense", "relu")
        self.output_dense = dense(self.output_dim, 3, "output_dense")
        self.hidden_dropout = MaskDropout(self.dropout, seed=offset_seed(seed, 4))
        self.output_dropout = MaskDropout(self.dropout, seed=offset_seed(seed, 5))
        self.normalization = _FlatNorm(norm, dtype=self.dtype_policy, name="norm")

    @property
    def mixed_channels(self):
        """Channels after the static concatenation: ``n_series (+ output_dim)``."""
        return self.n_series + (self.output_dim if self.n_static else 0)

    def build(self, input_shape):
        name = type(self).__name__
        x_shape, static_shape = _split_inputs(self, input_shape)
        x_shape = _shape(x_shape)
        check_rank(name, 3, x_shape)
        check_channels(name, "n_series", self.n_series, x_shape)
        if x_shape[1] is not None and x_shape[1] != self.input_size:
            raise ValueError(
                f"{name} was created with input_size={self.input_size} but received "
                f"inputs with {x_shape[1]} time steps (input shape {x_shape})."
            )
        if self.n_static:
            static_shape = _shape(static_shape)
            if len(static_shape) != 2:
                raise ValueError(
                    f"{name} expects static inputs of rank 2 (batch, n_static), got "
                    f"shape {static_shape}."
                )
            check_channels(name, "n_static", self.n_static, static_shape)
            self.static_dense.build(static_shape)
        z_shape = (x_shape[0], self.input_size, self.mixed_channels)
        self.normalization.build(z_shape)
        self.shortcut_dense.build(z_shape)
        self.hidden_dense.build(z_shape)
        self.output_dense.build((*z_shape[:-1], self.ff_dim))

    def call(self, inputs, training=None):
        x, static = _split_inputs(self, inputs)
        z = x
        if self.n_static:
            projected = ops.expand_dims(self.static_dense(static), 1)
            z = ops.concatenate([x, ops.repeat(projected, self.input_size, axis=1)], axis=-1)
        mixed = self.normalization(z, training=training)
        mixed = self.hidden_dropout(self.hidden_dense(mixed), training=training)
        mixed = self.output_dropout(self.output_dense(mixed), training=training)
        return self.shortcut_dense(z) + mixed

    def compute_output_shape(self, input_shape):
        x_shape = _shape(_split_inputs(self, input_shape)[0])
        return (*x_shape[:-1], self.output_dim)

    def get_config(self):
        return {**super().get_config(), **{key: getattr(self, key) for key in _MIXING_ARGS}}


@keras.saving.register_keras_serializable(package="sktsmixer")
class ConditionalMixingLayer(keras.layers.Layer):
    """One TSMixer-Ext block: ``TemporalMixing`` then ``ConditionalFeatureMixing``.

    Args:
        n_series: Number of channels of ``x``.
        n_static: Number of static features (0: no static input).
        input_size: Number of time steps of ``x``.
        output_dim: Number of output channels.
        ff_dim: Hidden width of the feature-mixing MLP.
        dropout: Dropout rate in [0, 1) used by both mixing layers.
        norm: ``"batch"`` (default) or ``"layer"``.
        seed: Optional int that makes the initial weights and the dropout
            masks reproducible.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Call arguments:
        inputs: ``x`` when ``n_static == 0``, else a list ``[x, static]``.
        training: Whether dropout and batch statistics are in training mode.

    Input shape:
        ``x``: ``(batch, input_size, n_series)``; ``static``: ``(batch, n_static)``.

    Output shape:
        3D tensor ``(batch, input_size, output_dim)``.

    Example:

    >>> block = ConditionalMixingLayer(n_series=7, n_static=0, input_size=24,
    ...                                output_dim=16, ff_dim=32)
    >>> tuple(block(keras.random.normal((32, 24, 7))).shape)
    (32, 24, 16)
    """

    def __init__(
        self,
        n_series,
        n_static,
        input_size,
        output_dim,
        ff_dim=64,
        dropout=0.0,
        norm="batch",
        seed=None,
        **kwargs,
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
        self.feature_mixing = ConditionalFeatureMixing(
            n_series,
            n_static,
            input_size,
            output_dim,
            ff_dim,
            dropout,
            norm,
            seed=offset_seed(seed, 10),
            dtype=self.dtype_policy,
            name="feature_mixing",
        )
        # The sub-layers validated the arguments.
        for key in _MIXING_ARGS:
            setattr(self, key, getattr(self.feature_mixing, key))
        self.seed = seed

    def build(self, input_shape):
        x_shape, static_shape = _split_inputs(self, input_shape)
        self.temporal_mixing.build(_shape(x_shape))
        self.feature_mixing.build(
            [_shape(x_shape), _shape(static_shape)] if self.n_static else _shape(x_shape)
        )

    def call(self, inputs, training=None):
        x, static = _split_inputs(self, inputs)
        x = self.temporal_mixing(x, training=training)
        return self.feature_mixing([x, static] if self.n_static else x, training=training)

    def compute_output_shape(self, input_shape):
        return self.feature_mixing.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), **{key: getattr(self, key) for key in _MIXING_ARGS}}


@keras.saving.register_keras_serializable(package="sktsmixer")
class QuantileHead(keras.layers.Layer):
    """Per-time-step output layer: point forecasts or non-crossing quantiles.

    ``Dense(n_targets * n_quantiles)`` over the channel axis, reshaped to
    ``(batch, horizon, n_targets, n_quantiles)`` and sorted along the last
    axis. Sorting makes the quantiles non-crossing by construction: whatever
    the weights, output ``j`` is the ``j``-th smallest of the raw values, so
    the quantile levels (given in increasing order) get increasing values.
    Sorting is a permutation, piecewise linear and differentiable almost
    everywhere, so the pinball loss trains through it: each sorted output
    passes its gradient to the raw unit it came from. Replacing crossing
    estimates by their sorted rearrangement never moves them further from
    the true (monotone) quantile function (Chernozhukov, Fernandez-Val and
    Galichon, 2010). With ``n_quantiles=None`` this is a plain
    ``Dense(n_targets)``.

    Args:
        n_targets: Number of forecast target series.
        n_quantiles: Number of quantile levels, or ``None`` for a point forecast.
        seed: Optional int that makes the initial weights reproducible.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Input shape:
        3D tensor ``(batch, horizon, channels)``.

    Output shape:
        ``(batch, horizon, n_targets, n_quantiles)``, or
        ``(batch, horizon, n_targets)`` when ``n_quantiles`` is ``None``.

    Example:

    >>> head = QuantileHead(n_targets=2, n_quantiles=3)
    >>> quantiles = head(keras.random.normal((8, 12, 16)))
    >>> tuple(quantiles.shape)
    (8, 12, 2, 3)
    >>> bool(keras.ops.all(quantiles[..., 1:] >= quantiles[..., :-1]))
    True
    """

    def __init__(self, n_targets, n_quantiles=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.n_targets = check_positive_int("n_targets", n_targets)
        self.n_quantiles = (
            None if n_quantiles is None else check_positive_int("n_quantiles", n_quantiles)
        )
        self.seed = seed
        self.dense = keras.layers.Dense(
            self.n_targets * (self.n_quantiles or 1),
            kernel_initializer=seeded("GlorotUniform", seed, 0),
            dtype=self.dtype_policy,
            name="dense",
        )

    def build(self, input_shape):
        check_rank("QuantileHead", 3, input_shape)
        self.dense.build(tuple(input_shape))

    def call(self, inputs):
        outputs = self.dense(inputs)
        if self.n_quantiles is None:
            return outputs
        outputs = ops.reshape(outputs, (-1, inputs.shape[1], self.n_targets, self.n_quantiles))
        return ops.sort(outputs, axis=-1)

    def compute_output_shape(self, input_shape):
        extra = () if self.n_quantiles is None else (self.n_quantiles,)
        return (*input_shape[:2], self.n_targets, *extra)

    def get_config(self):
        return {
            **super().get_config(),
            "n_targets": self.n_targets,
            "n_quantiles": self.n_quantiles,
            "seed": self.seed,
        }


@keras.saving.register_keras_serializable(package="sktsmixer")
class SortQuantiles(keras.layers.Layer):
    """Sorts the last (quantile) axis: restores non-crossing after an affine map.

    Example:

    >>> keras.ops.convert_to_numpy(SortQuantiles()(keras.ops.array([[3.0, 1.0, 2.0]])))
    array([[1., 2., 3.]], dtype=float32)
    """

    def call(self, inputs):
        return ops.sort(inputs, axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)
