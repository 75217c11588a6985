"""Settings decided from the data: what ``"auto"`` means for a fit.

``TSMixerRegressor``'s defaults adapt to the data instead of carrying
values tuned on one benchmark. Each rule reads only what ``fit`` sees (the
time step, the series lengths, the number of training windows) and is
reported as a fitted attribute (``input_size_``, ``season_length_``,
``dropout_``, ``epochs_``, ``steps_per_epoch_``). The constants below were
chosen on the tuning blocks of ``benchmarks/suite.py`` (five real data sets
of different frequencies and shapes), never on their final test blocks.
"""

import math

import numpy as np

# The season and calendar rules read the data alone: they live with it.
from sktsmixer.data.seasonality import (  # noqa: F401 (public here too)
    CALENDAR_GAPS,
    MAX_INPUT_SIZE,
    estimate_season_length,
    has_calendar_gaps,
    season_lengths,
    wants_calendar,
)

__all__ = [
    "has_calendar_gaps",
    "wants_calendar",
    "auto_dropout",
    "auto_input_size",
    "auto_schedule",
    "estimate_season_length",
    "season_lengths",
]

# Optimiser steps of an ``epochs="auto"`` fit, and how often the hold-out is
# scored: a long series costs the same as a short one, not 100 passes.
MAX_STEPS = 1000
CHECK_EVERY = 100
# Hold-out checks without improvement before stopping (``patience="auto"``).
PATIENCE_CHECKS = 5
# Dropout by the number of training windows (``dropout="auto"``): few
# windows overfit, many do not.
FEW_WINDOWS, MANY_WINDOWS = 2_000, 50_000
DROPOUT_FEW, DROPOUT_MANY = 0.3, 0.1


def auto_input_size(horizon, period, cycle, lengths):
    """The ``input_size="auto"`` window.

    The longest of the cycle and twice the horizon, capped by
    ``MAX_INPUT_SIZE`` and by half of what the typical (median) series has
    left after its horizon, so that most series give many windows; at
    least one season when that fits.

    Parameters
    ----------
    horizon : int
    period, cycle : int
        From :func:`season_lengths` (or the estimated period for both).
    lengths : array-like of int
        Rows of every series seen in ``fit``.

    Returns
    -------
    input_size : int

    Examples
    --------
    >>> auto_input_size(8, 4, 12, [64] * 10)  # quarterly, short series
    16
    >>> auto_input_size(24, 24, 168, [10_000])  # hourly, long series
    168
    """
    wanted = min(max(cycle, 2 * horizon), MAX_INPUT_SIZE)
    median = int(np.median(np.asarray(lengths)))
    room = max((median - horizon) // 2, 1)
    return int(max(min(wanted, room), min(period, median - horizon, wanted), 1))


def auto_dropout(n_windows):
    """The ``dropout="auto"`` rate: ``DROPOUT_FEW`` below ``FEW_WINDOWS`` training
    windows, ``DROPOUT_MANY`` above ``MANY_WINDOWS``, log-linear in between.

    Examples
    --------
    >>> auto_dropout(1_000), auto_dropout(100_000)
    (0.3, 0.1)
    """
    if n_windows <= FEW_WINDOWS:
        return DROPOUT_FEW
    if n_windows >= MANY_WINDOWS:
        return DROPOUT_MANY
    share = math.log(n_windows / FEW_WINDOWS) / math.log(MANY_WINDOWS / FEW_WINDOWS)
    return round(DROPOUT_FEW + share * (DROPOUT_MANY - DROPOUT_FEW), 3)


def auto_schedule(n_batches, epochs, max_steps, steps_per_epoch, patience):
    """Epochs, batches per epoch and patience of a fit.

    With ``epochs="auto"`` training is a budget of ``max_steps`` optimiser
    steps (``"auto"``: ``MAX_STEPS``), the hold-out being scored every
    ``CHECK_EVERY`` steps (or every pass over the windows, when shorter).
    With an integer ``epochs`` every value is the user's: ``max_steps``
    then only caps the steps when it is an integer.

    Parameters
    ----------
    n_batches : int
        Batches in one pass over the training windows.
    epochs, max_steps : int or "auto"
    steps_per_epoch : int or None
    patience : int or "auto"

    Returns
    -------
    epochs : int
    steps_per_epoch : int or None
    patience : int

    Examples
    --------
    >>> auto_schedule(5_000, "auto", "auto", None, "auto")
    (10, 100, 5)
    >>> auto_schedule(30, "auto", "auto", None, "auto")  # one pass an epoch
    (34, None, 5)
    >>> auto_schedule(30, 100, "auto", None, 10)
    (100, None, 10)
    """
    if epochs == "auto":
        budget = MAX_STEPS if max_steps == "auto" else int(max_steps)
        per_epoch = steps_per_epoch if steps_per_epoch is not None else CHECK_EVERY
        per_epoch = max(1, min(per_epoch, n_batches))
        epochs = max(1, math.ceil(budget / per_epoch))
        steps_per_epoch = per_epoch if per_epoch < n_batches else steps_per_epoch
        return epochs, steps_per_epoch, PATIENCE_CHECKS if patience == "auto" else patience
    epochs = int(epochs)
    if max_steps != "auto":
        per_epoch = min(steps_per_epoch or n_batches, n_batches)
        epochs = max(1, min(epochs, math.ceil(int(max_steps) / max(per_epoch, 1))))
    return epochs, steps_per_epoch, 10 if patience == "auto" else patience
