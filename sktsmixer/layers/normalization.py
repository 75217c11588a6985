"""Reversible instance normalisation, the layer around the TSMixer network.

Re-exported by :mod:`sktsmixer.layers.mixing` with the other layers of the
architecture.
"""

import keras
import numpy as np
from keras import ops

from sktsmixer.layers._checks import (
    check_channels,
    check_choice,
    check_positive_float,
    check_positive_int,
)

__all__ = ["ReversibleInstanceNorm"]


@keras.saving.register_keras_serializable(package="sktsmixer")
class ReversibleInstanceNorm(keras.layers.Layer):
    """Reversible instance normalisation (RevIN, Kim et al., 2022).

    ``mode="norm"`` normalises each sample and channel by its own statistics
    over time and returns them with the result; ``mode="denorm"`` maps a
    forecast back with those statistics. The statistics travel as tensors
    through the graph (never stored on the layer), so one layer instance can
    serve both ends of a functional model, under ``jit`` and across saving.

    Args:
        num_features: Number of channels normalised.
        eps: Added to the variance for numerical stability.
        affine: Whether to learn a per-channel scale and shift applied after
            normalising (and undone before denormalising).
        subtract_last: Centre on the last time step instead of the mean.
        channels: Indices of the channels to normalise (default: all). The
            others pass through unchanged, with a centre of 0 and a scale of
            1, so that a channel also fed elsewhere in its original units
            (a known-ahead input on the horizon) stays in those units.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Call arguments:
        inputs: ``mode="norm"``: a tensor ``(batch, time, num_features)``.
            ``mode="denorm"``: a list ``[y, center, scale]`` where ``y`` is
            ``(batch, horizon, k)`` and ``center``/``scale`` are what the
            ``"norm"`` call returned.
        mode: ``"norm"`` or ``"denorm"``.
        target_indices: With ``"denorm"``, the ``k`` input channels that the
            channels of ``y`` correspond to (default: all, in order).

    Input shape:
        ``"norm"``: ``(batch, time, num_features)``.
        ``"denorm"``: ``[(batch, horizon, k), (batch, 1, num_features) x 2]``.

    Output shape:
        ``"norm"``: a tuple ``(normalised, center, scale)`` of shapes
        ``(batch, time, num_features)``, ``(batch, 1, num_features)`` and
        ``(batch, 1, num_features)``.
        ``"denorm"``: ``(batch, horizon, k)``.

    Example:

    >>> revin = ReversibleInstanceNorm(num_features=7)
    >>> x = keras.random.normal((4, 96, 7))
    >>> normalised, center, scale = revin(x, mode="norm")
    >>> restored = revin([normalised, center, scale], mode="denorm")
    >>> tuple(restored.shape)
    (4, 96, 7)
    """

    def __init__(
        self, num_features, eps=1e-5, affine=True, subtract_last=False, channels=None, **kwargs
    ):
        super().__init__(**kwargs)
        self.num_features = check_positive_int("num_features", num_features)
        self.eps = check_positive_float("eps", eps)
        self.affine = bool(affine)
        self.subtract_last = bool(subtract_last)
        self.channels = None if channels is None else sorted({int(c) for c in channels})
        if self.channels is not None and not all(0 <= c < self.num_features for c in self.channels):
            raise ValueError(
                f"channels must be indices in [0, {self.num_features}), got {channels!r}."
            )

    def build(self, input_shape):
        if self.affine:
            self.affine_weight = self.add_weight(
                shape=(self.num_features,), initializer="ones", name="affine_weight"
            )
            self.affine_bias = self.add_weight(
                shape=(self.num_features,), initializer="zeros", name="affine_bias"
            )

    def call(self, inputs, mode="norm", target_indices=None):
        check_choice("mode", mode, ("norm", "denorm"))
        if mode == "norm":
            return self._normalize(inputs)
        return self._denormalize(*inputs, target_indices)

    def _normalize(self, inputs):
        check_channels("ReversibleInstanceNorm", "num_features", self.num_features, inputs.shape)
        if self.subtract_last:
            center = inputs[:, -1:, :]
        else:
            center = ops.mean(inputs, axis=1, keepdims=True)
        variance = ops.var(inputs, axis=1, keepdims=True)
        # RevIN treats the statistics as constants of the sample, not as paths
        # for the gradient.
        center = ops.stop_gradient(center)
        scale = ops.stop_gradient(ops.sqrt(variance + self.eps))
        if self.channels is not None:
            # Channels left alone get the identity: centre 0, scale 1.
            selected = self._selected()
            center = center * selected
            scale = scale * selected + (1 - selected)
        normalized = (inputs - center) / scale
        if self.affine:
            weight, bias = self._affine()
            normalized = normalized * weight + bias
        return normalized, center, scale

    def _selected(self):
        selected = np.zeros(self.num_features, dtype=self.compute_dtype)
        selected[self.channels] = 1
        return ops.convert_to_tensor(selected, dtype=self.compute_dtype)

    def _affine(self):
        """The affine weight and bias, the identity on channels left alone."""
        if self.channels is None:
            return self.affine_weight, self.affine_bias
        selected = self._selected()
        return self.affine_weight * selected + (1 - selected), self.affine_bias * selected

    def _denormalize(self, outputs, center, scale, target_indices):
        if target_indices is not None:
            indices = list(target_indices)
            center = ops.take(center, indices, axis=-1)
            scale = ops.take(scale, indices, axis=-1)
        weight = bias = None
        if self.affine:
            weight, bias = self._affine()
            if target_indices is not None:
                weight, bias = ops.take(weight, indices), ops.take(bias, indices)
            outputs = (outputs - bias) / (weight + self.eps * self.eps)
        return outputs * scale + center

    def get_config(self):
        return {
            **super().get_config(),
            "num_features": self.num_features,
            "eps": self.eps,
            "affine": self.affine,
            "subtract_last": self.subtract_last,
            "channels": self.channels,
        }
