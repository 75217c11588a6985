"""Forecasts of a fitted model, on their way back to the data's units and index.

:class:`Forecasts` holds the model's scaled outputs for the windows a
:class:`~sktsmixer.data.encoder.PanelEncoder` laid out, and undoes the
encoder's scaling; :func:`forecast_frame` builds the table ``forecast``
returns.
"""

import copy

import numpy as np
import pandas as pd

__all__ = ["Forecasts", "forecast_frame"]


class Forecasts:
    """Scaled model outputs for prediction windows, and their way back to the data.

    Parameters
    ----------
    encoder : PanelEncoder
    windows : PredictionWindows
    raw : ndarray of shape (n_windows, steps, n_targets[, n_quantiles])
        The model's outputs; those that need unknown future values are set
        to NaN here.
    quantiles : ndarray or None
        The quantile levels of the last axis of ``raw``.
    """

    def __init__(self, encoder, windows, raw, quantiles=None):
        self.encoder, self.windows = encoder, windows
        self.raw = raw
        self.raw[windows.needs_future] = np.nan
        self.quantiles = quantiles
        self.blocks, self.positions = windows.blocks, windows.positions

    def point(self):
        """Scaled point forecasts ``(n, steps, n_targets)``: the median for quantiles."""
        if self.quantiles is None:
            return self.raw
        median = int(np.flatnonzero(np.isclose(self.quantiles, 0.5))[0])
        return self.raw[..., median]

    def _target_statistics(self, ndim):
        enc = self.encoder
        if not enc.forecasts_columns:
            return enc.y_mean_[0], enc.y_scale_[0]
        mean = self.windows.mean[self.blocks][:, None, enc.target_indices]
        scale = self.windows.scale[self.blocks][:, None, enc.target_indices]
        if ndim == 4:
            mean, scale = mean[..., None], scale[..., None]
        return mean, scale

    def unscale(self, values):
        """Scaled forecasts ``(n, steps, n_targets)`` back in the units of the data."""
        mean, scale = self._target_statistics(values.ndim)
        return values * scale + mean

    def scale_targets(self, values):
        """Targets ``(n, steps, n_targets)`` in the units of the data, scaled as the model's."""
        mean, scale = self._target_statistics(values.ndim)
        return (values - mean) / scale

    def last_rows(self):
        """Positions, among the forecast rows, of the last row of every series."""
        last = np.full(len(self.windows.panel.labels), -1)
        np.maximum.at(last, self.blocks, np.arange(len(self.blocks)))
        return last

    def take(self, rows):
        """These forecasts restricted to ``rows`` (positions among them)."""
        taken = copy.copy(self)
        taken.raw, taken.blocks, taken.positions = (
            self.raw[rows],
            self.blocks[rows],
            self.positions[rows],
        )
        return taken

    def future_truth(self):
        """The targets on the ``horizon`` rows after every row, inside its series (else NaN)."""
        panel, raw = self.windows.panel, self.windows.raw_targets
        lengths = panel.lengths
        block = self.blocks
        target_pos = self.positions[:, None] + np.arange(1, self.encoder.horizon + 1)
        inside = target_pos < lengths[block][:, None]
        rows = panel.offsets[block][:, None] + np.minimum(target_pos, lengths[block][:, None] - 1)
        truth = raw[rows].astype(np.float64, copy=False)
        truth[~inside] = np.nan
        return truth

    def forecast_index(self):
        """Index of ``forecast``'s rows (see :meth:`PanelEncoder.forecast_index`)."""
        return self.encoder.forecast_index(self.windows.panel)


def forecast_frame(target_names, point, extra, index):
    """The frame ``forecast`` returns: one column per target, then its bounds or quantiles.

    ``point`` and every array of ``extra`` (pairs of a column suffix and
    values) have shape ``(n_series, horizon, n_targets)``.
    """
    columns = {}
    for k, name in enumerate(target_names):
        columns[name] = point[:, :, k].ravel()
        for suffix, values in extra:
            columns[f"{name}_{suffix}"] = values[:, :, k].ravel()
    return pd.DataFrame(columns, index=index)
