"""The two ends of a TSMixer model: the token embedding in, the temporal projection out.

``keras.ops`` only (TensorFlow, JAX, PyTorch); inputs are ``(batch, time,
channels)`` tensors.
"""

import keras
from keras import ops

from sktsmixer.layers._checks import check_channels, check_positive_int, check_rank
from sktsmixer.layers._ops import dense_over_time, seeded

__all__ = ["TemporalProjection", "TokenEmbedding"]


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
            initializer=seeded("HeNormal", self.seed, 0),
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
                seeded("GlorotUniform", seed, 0)
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
        return dense_over_time(inputs, self.projection)

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
