"""Training losses: squared error, absolute error and the pinball loss.

Each loss takes forecasts, targets and a mask of observed targets, and
averages over the observed entries only, so missing targets (gaps, NaN,
the unknown tail of a shifted ``y``) are never trained on.
"""

import numpy as np
from keras import ops

__all__ = ["LOSSES", "masked_loss", "pinball_loss"]

LOSSES = ("squared_error", "absolute_error", "quantile")


def pinball_loss(y_true, y_pred, quantiles):
    """Pinball (quantile) loss per entry, averaged over the quantile axis.

    Args:
        y_true: Tensor ``(..., )`` of targets.
        y_pred: Tensor ``(..., n_quantiles)`` of forecast quantiles.
        quantiles: Sequence of the ``n_quantiles`` levels in (0, 1).

    Returns:
        A tensor shaped like ``y_true``:
        ``mean_q max(q * (y - y_q), (q - 1) * (y - y_q))``.

    Example:

    >>> import numpy as np
    >>> round(float(pinball_loss(np.array([1.0]), np.array([[0.0, 2.0]]), [0.1, 0.9])[0]), 6)
    0.1
    """
    levels = ops.convert_to_tensor(np.asarray(quantiles, dtype="float32"))
    error = ops.expand_dims(y_true, -1) - y_pred
    levels = ops.cast(levels, error.dtype)
    return ops.mean(ops.maximum(levels * error, (levels - 1.0) * error), axis=-1)


def masked_loss(y_true, y_pred, mask=None, loss="squared_error", quantiles=None):
    """Mean of the per-entry ``loss`` over the entries where ``mask`` is 1.

    Args:
        y_true: Tensor ``(batch, steps, n_targets)``.
        y_pred: Tensor of the same shape, or with a trailing quantile axis
            for ``loss="quantile"``.
        mask: Optional tensor like ``y_true``: 1 where the target is observed.
        loss: ``"squared_error"``, ``"absolute_error"`` or ``"quantile"``.
        quantiles: The quantile levels, for ``loss="quantile"``.

    Returns:
        A scalar tensor.
    """
    y_true = ops.cast(y_true, y_pred.dtype)
    if loss == "quantile":
        per_entry = pinball_loss(y_true, y_pred, quantiles)
    elif loss == "absolute_error":
        per_entry = ops.abs(y_pred - y_true)
    else:
        per_entry = ops.square(y_pred - y_true)
    if mask is None:
        return ops.mean(per_entry)
    mask = ops.cast(mask, per_entry.dtype)
    return ops.sum(per_entry * mask) / ops.maximum(ops.sum(mask), 1.0)
