"""Split-conformal calibration of forecast intervals.

The hold-out that early stopping keeps (the last windows of every series,
whose targets no training window saw) is the calibration set. Scores are
taken per horizon step and target, in the standardised units the model
works in, so series of different levels share one calibration:

* with learned quantiles, conformalised quantile regression (Romano et al.,
  2019): ``score = max(q_lo - y, y - q_hi)``, interval
  ``[q_lo - Q, q_hi + Q]``;
* otherwise absolute residuals: ``score = |y - y_hat|``, interval
  ``[y_hat - Q, y_hat + Q]``;

where ``Q`` is the ``ceil((n + 1) * coverage) / n`` empirical quantile of the
``n`` calibration scores, which covers at least ``coverage`` on exchangeable
data.
"""

import math

import numpy as np

__all__ = ["SplitConformal", "conformal_quantile"]


def conformal_quantile(scores, coverage):
    """The split-conformal quantile of ``scores`` along axis 0, ignoring NaN.

    Parameters
    ----------
    scores : ndarray of shape (n, ...)
    coverage : float in (0, 1)

    Returns
    -------
    quantile : ndarray of shape scores.shape[1:]
        ``inf`` where there are too few scores for the coverage asked.

    Examples
    --------
    >>> import numpy as np
    >>> float(conformal_quantile(np.arange(1.0, 10.0), 0.8))
    8.0
    """
    scores = np.asarray(scores, dtype=np.float64)
    counts = np.sum(~np.isnan(scores), axis=0)
    ordered = np.sort(scores, axis=0)  # NaN sort last
    rank = np.ceil((counts + 1) * coverage).astype(int)  # 1-based rank of the score
    enough = (rank <= counts) & (counts > 0)
    taken = np.take_along_axis(ordered, np.clip(rank - 1, 0, len(ordered) - 1)[None], axis=0)[0]
    return np.where(enough, taken, np.inf)


class SplitConformal:
    """Calibration scores of a forecaster on a hold-out, and intervals from them.

    Parameters
    ----------
    y_true : ndarray of shape (n, steps, n_targets)
        Hold-out truth (NaN where missing), standardised.
    y_point : ndarray of shape (n, steps, n_targets)
        Point forecasts of the hold-out.
    y_quantiles : ndarray of shape (n, steps, n_targets, n_quantiles) or None
        Learned quantiles of the hold-out, when the model has them.
    levels : sequence of float or None
        The quantile levels of ``y_quantiles``.

    Attributes
    ----------
    n_calibration_ : int
        Number of hold-out windows.
    """

    def __init__(self, y_true, y_point, y_quantiles=None, levels=None):
        self.y_true = np.asarray(y_true, dtype=np.float32)
        self.y_point = np.asarray(y_point, dtype=np.float32)
        self.y_quantiles = None if y_quantiles is None else np.asarray(y_quantiles, np.float32)
        self.levels = None if levels is None else np.asarray(levels, dtype=np.float64)
        self.n_calibration_ = len(self.y_true)

    def _quantile_pair(self, coverage):
        """Indices of the learned quantiles that bound a central ``coverage`` band."""
        low, high = (1 - coverage) / 2, (1 + coverage) / 2
        below = np.flatnonzero(self.levels <= low + 1e-9)
        above = np.flatnonzero(self.levels >= high - 1e-9)
        lo = below[-1] if len(below) else 0
        hi = above[0] if len(above) else len(self.levels) - 1
        return lo, hi

    def interval(self, y_point, y_quantiles, coverage):
        """Lower and upper bounds ``(..., steps, n_targets)`` for new forecasts."""
        if not 0 < coverage < 1:
            raise ValueError(f"coverage must be in (0, 1), got coverage={coverage!r}.")
        needed = math.ceil(1 / (1 - coverage)) - 1
        if self.n_calibration_ < needed:
            raise ValueError(
                f"coverage={coverage} needs at least {needed} calibration windows, the "
                f"hold-out has {self.n_calibration_}. Raise validation_fraction, pass more "
                "rows, or ask for a lower coverage."
            )
        if self.y_quantiles is None or y_quantiles is None:
            scores = np.abs(self.y_true - self.y_point)
            margin = conformal_quantile(scores, coverage)
            return y_point - margin, y_point + margin
        lo, hi = self._quantile_pair(coverage)
        scores = np.maximum(
            self.y_quantiles[..., lo] - self.y_true, self.y_true - self.y_quantiles[..., hi]
        )
        margin = conformal_quantile(scores, coverage)
        lower, upper = y_quantiles[..., lo] - margin, y_quantiles[..., hi] + margin
        # A negative margin can shrink the band past the point: keep lower <= point <= upper.
        bounds = np.stack([lower, upper, y_point])
        return bounds.min(axis=0), bounds.max(axis=0)
