"""Windows of the series array: which rows and columns make a model's inputs.

A window is named by its *end row* ``t`` in the array of all series (one
block per series, see :mod:`sktsmixer.data.panel`): the past input is rows
``t - input_size + 1 ... t``, the known-ahead input and the targets are rows
``t + 1 ... t + horizon``, the static input is row ``code`` of the static
table, where ``code`` is the series of ``t``. Nothing here knows Keras: the
training batches (:mod:`sktsmixer.training.batches`) gather the same rows
inside the compiled step.
"""

from dataclasses import dataclass

import numpy as np

__all__ = ["PredictionWindows", "TrainingWindows", "WindowLayout", "numpy_targets"]


@dataclass(frozen=True)
class WindowLayout:
    """Which columns and rows make a model's inputs.

    Attributes
    ----------
    input_size : int
    horizon : int
        Rows after the end row read by the known-ahead input.
    past_columns : tuple of int or None
        Columns of the series array in the past window (None: all).
    future_columns : tuple of int
        Columns read on the horizon rows; empty for the plain model, whose
        single input is the past window.
    n_static : int
        Width of the static table (0: no static input).
    named : bool
        Whether the model takes a dict of named inputs (``"past"``,
        ``"future"``, ``"static"``) rather than the past window alone.
    """

    input_size: int
    horizon: int
    past_columns: tuple = None
    future_columns: tuple = ()
    n_static: int = 0
    named: bool = False

    def numpy_inputs(self, series, ends, codes=None, static=None):
        """Model inputs for the windows ending at ``ends`` (NumPy arrays)."""
        past = series[ends[:, None] + np.arange(1 - self.input_size, 1)]
        if self.past_columns is not None:
            past = past[..., list(self.past_columns)]
        if not self.named:
            return past
        inputs = {"past": past}
        if self.future_columns:
            rows = ends[:, None] + np.arange(1, self.horizon + 1)
            inputs["future"] = series[rows][..., list(self.future_columns)]
        if self.n_static:
            inputs["static"] = static[codes]
        return inputs


def numpy_targets(series, targets, target_columns, rows):
    """The targets on ``rows``: of ``targets``, or (None) the ``target_columns`` of ``series``."""
    if targets is None:
        return series[rows][..., list(target_columns)]
    return targets[rows]


@dataclass
class TrainingWindows:
    """The arrays one fit trains on.

    Attributes
    ----------
    layout : WindowLayout
    series : ndarray of float32, shape (n_grid_rows, n_columns)
        Scaled, gap-filled series of all blocks, with calendar features
        appended.
    targets : ndarray or None
        Scaled ``y`` on the grid rows (None: the targets are the
        ``target_columns`` of ``series``).
    target_columns : tuple of int or None
    target_mask : ndarray or None
        1 where a target is observed (None: all are).
    target_offsets : ndarray of int
        Rows after a window's end that hold its targets.
    static : ndarray or None
        Scaled static table, one row per series.
    train : tuple of ndarrays
        ``(ends, codes)`` of the training windows.
    validation : tuple of ndarrays or None
        ``(ends, codes)`` of the hold-out windows (None: no hold-out).
    """

    layout: WindowLayout
    series: np.ndarray
    targets: object
    target_columns: object
    target_mask: object
    target_offsets: np.ndarray
    static: object
    train: tuple
    validation: object


@dataclass
class PredictionWindows:
    """The windows of a new ``X``, ready for the model.

    ``series``, ``ends``, ``blocks`` (the series of every window) and
    ``static`` are what the model reads; ``positions`` is every window's row
    inside its series; ``needs_future`` marks windows whose horizon reads
    known-ahead values that were not given; ``mean`` and ``scale`` are the
    statistics of every block; ``raw_targets`` the unscaled targets of the
    panel (None when not kept).
    """

    layout: WindowLayout
    series: np.ndarray
    ends: np.ndarray
    blocks: np.ndarray
    positions: np.ndarray
    static: object
    needs_future: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    raw_targets: object
    panel: object
