"""Adam whose moments live in two flat vectors, for TensorFlow.

Keras' Adam updates each variable on its own: a TSMixer-Ext model has about
fifty, so a compiled step holds some 190 small update kernels (more than
half of the kernels of the whole step, forward and backward included) and
the trace and XLA's compile of the step build each of them. Here the
gradients are concatenated once, the two moments are two vectors and the
whole Adam arithmetic is one element-wise pass; each variable then only
subtracts its slice of the update. The arithmetic is Keras' own, term for
term, so the updates match ``keras.optimizers.Adam``'s to rounding.

Fits on other backends keep Keras' Adam: the kernel count was measured on
TensorFlow's XLA only.

The update plugs into Keras through internals (``_backend_update_step``,
``_get_variable_index``, ``_trainable_variables``): ``flat_adam_usable``
checks, once per process, that a few steps of ``FlatAdam`` match Keras'
Adam on the installed Keras, and fits take Keras' Adam otherwise.
"""

import functools
import math

import keras
import numpy as np
from keras import ops

from sktsmixer._fallbacks import warn_fallback

# Two variables, two steps: enough to see a moment or a bias correction
# that is wrong, or an update that Keras no longer routes through us.
_PROBE_START = ([1.0, 2.0], [[3.0]])
_PROBE_GRADIENTS = (([0.5, -1.0], [[2.0]]), ([0.25, 0.5], [[-1.0]]))


@functools.cache
def _problem():
    """None when ``FlatAdam`` updates as ``keras.optimizers.Adam`` does here, else why not."""
    missing = [
        name
        for name in ("_backend_update_step", "_get_variable_index")
        if not hasattr(keras.optimizers.Adam, name)
    ]
    if missing:
        return f"keras.optimizers.Adam has no {', '.join(missing)}"
    results = []
    try:
        for optimizer_class in (keras.optimizers.Adam, FlatAdam):
            weights = [keras.Variable(np.array(w, "float32")) for w in _PROBE_START]
            optimizer = optimizer_class(0.1)
            optimizer.build(weights)
            for step in _PROBE_GRADIENTS:
                optimizer.apply(
                    [ops.convert_to_tensor(np.array(g, "float32")) for g in step], weights
                )
            results.append([np.asarray(keras.ops.convert_to_numpy(w)) for w in weights])
    except Exception as error:  # any failure of the internals means: do not use them
        return f"its update failed on this Keras ({type(error).__name__}: {error})"
    reference, flat = results
    moved = any(not np.allclose(w, s) for w, s in zip(reference, _PROBE_START, strict=True))
    if not moved or not all(
        np.allclose(a, b, rtol=1e-5, atol=1e-6) for a, b in zip(reference, flat, strict=True)
    ):
        return "its updates differ from keras.optimizers.Adam's on this Keras"
    return None


def flat_adam_usable():
    """Whether fits may use ``FlatAdam`` (else one ``InternalsFallbackWarning``)."""
    problem = _problem()
    if problem is not None:
        warn_fallback("flat Adam update", problem, "keras.optimizers.Adam")
    return problem is None


class FlatAdam(keras.optimizers.Adam):
    """``keras.optimizers.Adam`` with its two moments stored flat.

    Same arguments and configuration as ``keras.optimizers.Adam`` (without
    ``amsgrad``); weight averaging (``use_ema``), gradient clipping and
    learning-rate schedules work as there. A variable that gets no gradient
    in a step is left as it is, as by Keras' Adam, but its moments decay as
    with a zero gradient.

    Args:
        learning_rate: As in ``keras.optimizers.Adam``.
        **kwargs: Other ``keras.optimizers.Adam`` arguments.

    Example:

    >>> optimizer = FlatAdam(1e-3, use_ema=True)
    >>> weights = [keras.Variable([1.0, 2.0]), keras.Variable([[3.0]])]
    >>> optimizer.apply([keras.ops.ones((2,)), keras.ops.ones((1, 1))], weights)
    >>> [round(float(w.numpy().ravel()[0]), 4) for w in weights]
    [0.999, 2.999]
    """

    def __init__(self, learning_rate=0.001, **kwargs):
        if kwargs.get("amsgrad"):
            raise ValueError("FlatAdam does not implement amsgrad; use keras.optimizers.Adam.")
        super().__init__(learning_rate, **kwargs)

    def build(self, var_list):
        if self.built:
            return
        # The base optimizer's build (iterations, averages), not Adam's
        # per-variable slots.
        keras.optimizers.Optimizer.build(self, var_list)
        self._flat_sizes = [math.prod(v.shape) for v in var_list]
        size = sum(self._flat_sizes)
        self._flat_momentum = self.add_variable((size,), name="flat_momentum")
        self._flat_velocity = self.add_variable((size,), name="flat_velocity")

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        by_index = dict(zip(map(self._get_variable_index, trainable_variables), grads, strict=True))
        variables = self._trainable_variables
        dtype = self._flat_momentum.dtype
        flat = ops.concatenate(
            [
                ops.reshape(ops.cast(by_index[i], dtype), (-1,))
                if i in by_index
                else ops.zeros((n,), dtype)
                for i, n in enumerate(self._flat_sizes)
            ]
        )
        lr = ops.cast(learning_rate, dtype)
        local_step = ops.cast(self.iterations + 1, dtype)
        beta_1_power = ops.power(ops.cast(self.beta_1, dtype), local_step)
        beta_2_power = ops.power(ops.cast(self.beta_2, dtype), local_step)
        alpha = lr * ops.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        m, v = self._flat_momentum, self._flat_velocity
        self.assign_add(m, ops.multiply(ops.subtract(flat, m), 1 - self.beta_1))
        self.assign_add(v, ops.multiply(ops.subtract(ops.square(flat), v), 1 - self.beta_2))
        update = ops.divide(ops.multiply(m, alpha), ops.add(ops.sqrt(v), self.epsilon))
        start = 0
        for i, (variable, n) in enumerate(zip(variables, self._flat_sizes, strict=True)):
            if i in by_index:
                piece = ops.reshape(update[start : start + n], variable.shape)
                self.assign_sub(variable, ops.cast(piece, variable.dtype))
            start += n
