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

Forecast errors drift, so the hold-out is rarely exchangeable with the
months that follow it. :func:`adaptive_margins` implements adaptive conformal
inference (Gibbs and Candes, 2021): along every series, the level of ``Q``
moves after each forecast whose truth has arrived, up after a miss and down
after a hit, which keeps the long-run coverage at the nominal rate whatever
the drift.
"""

import math

import numpy as np

__all__ = ["SplitConformal", "adaptive_margins", "calibrate", "conformal_quantile"]


def calibrate(holdout, quantiles=None):
    """The :class:`SplitConformal` of hold-out forecasts (None: no hold-out).

    ``holdout`` is ``(truth, raw)`` as the trainer returns it: for a quantile
    model ``raw`` has a last axis of ``quantiles``, and its median is the
    point forecast.
    """
    if holdout is None:
        return None
    truth, raw = holdout
    if quantiles is None:
        return SplitConformal(truth, raw)
    median = int(np.flatnonzero(np.isclose(quantiles, 0.5))[0])
    return SplitConformal(truth, raw[..., median], raw, quantiles)


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


def adaptive_margins(calibration, scores, series, times, coverage, rate):
    """Margins of adaptive conformal inference along every series.

    The margin of the forecast made at time ``t`` for step ``h`` is the
    ``1 - alpha_t`` conformal quantile of the calibration scores of that step
    (and target), where ``alpha`` starts at ``1 - coverage`` and, once the
    truth of an earlier forecast of the same series and step is known (at
    time ``t' + h <= t``), moves by ``rate * (1 - coverage - miss)``.

    Parameters
    ----------
    calibration : ndarray of shape (n_calibration, steps, n_targets)
        Hold-out scores, NaN where missing.
    scores : ndarray of shape (n, steps, n_targets)
        Scores of the new forecasts against their truth, NaN where the truth
        is unknown (such a forecast moves nothing).
    series : ndarray of int, shape (n,)
        The series of every forecast.
    times : ndarray of int, shape (n,)
        The time step of every forecast within its series (unique per series).
    coverage : float in (0, 1)
    rate : float in (0, 1)
        The step size ``gamma`` of the level.

    Returns
    -------
    margins : ndarray of shape (n, steps, n_targets)
        The largest calibration score where the level asks for more coverage
        than the calibration scores can give (where adaptive conformal
        inference proper would give an unbounded interval); ``inf`` for a step
        and target without any calibration score.

    Examples
    --------
    >>> import numpy as np
    >>> calibration = np.arange(1.0, 10.0).reshape(9, 1, 1)
    >>> misses = np.full((4, 1, 1), 100.0)  # every truth far outside
    >>> margins = adaptive_margins(calibration, misses, np.zeros(4, int), np.arange(4), 0.5, 0.15)
    >>> margins.ravel().tolist()  # the level rises after each revealed miss
    [5.0, 6.0, 7.0, 8.0]
    """
    n, n_steps, n_targets = scores.shape
    ordered = np.sort(np.asarray(calibration, dtype=np.float64), axis=0)
    counts = np.sum(~np.isnan(ordered), axis=0)
    order = np.lexsort((times, series))
    series = np.asarray(series, dtype=np.int64)[order]
    times = np.asarray(times, dtype=np.int64)[order]
    times = times - times.min()
    scores = np.asarray(scores, dtype=np.float64)[order]
    # One sortable key per forecast; the truth of the step-h forecasts made at
    # times <= t - h is known at time t, and those are a prefix of the series.
    span = int(times.max()) + n_steps + 2
    keys = series * span + times
    first = np.searchsorted(keys, series * span - n_steps - 1, side="right")
    steps = np.arange(1, n_steps + 1)
    revealed = np.maximum(
        np.searchsorted(keys, keys[:, None] - steps, side="right"), first[:, None]
    )
    rank = np.arange(n) - first
    # feedback[i]: the sum of (alpha - miss) over the forecasts before i of its series.
    feedback = np.zeros((n + 1, n_steps, n_targets))
    margins = np.empty((n, n_steps, n_targets))
    alpha = 1.0 - coverage
    step_index = np.arange(n_steps)[None, :, None]
    target_index = np.arange(n_targets)[None, None, :]
    by_rank = np.argsort(rank, kind="stable")
    bounds = np.searchsorted(rank[by_rank], np.arange(rank.max() + 2))
    for r in range(rank.max() + 1):
        rows = by_rank[bounds[r] : bounds[r + 1]]
        level = alpha + rate * feedback[revealed[rows][:, :, None], step_index, target_index]
        position = np.ceil((counts + 1) * (1.0 - level)).astype(np.int64)
        # Beyond the largest hold-out score the set of adaptive conformal
        # inference is unbounded; an interval a user can act on stops there.
        position = np.clip(position, 1, np.maximum(counts, 1))
        margin = np.where(counts > 0, ordered[position - 1, step_index, target_index], np.inf)
        margins[rows] = margin
        known = ~np.isnan(scores[rows])
        update = np.where(known, alpha - (scores[rows] > margin), 0.0)
        continues = rows + 1 < n
        continues[continues] = rank[rows[continues] + 1] == r + 1
        before = rows[continues]
        feedback[before + 1] = feedback[before] + update[continues]
    out = np.empty_like(margins)
    out[order] = margins
    return out


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

    def _check(self, coverage):
        if not 0 < coverage < 1:
            raise ValueError(f"coverage must be in (0, 1), got coverage={coverage!r}.")
        needed = math.ceil(1 / (1 - coverage)) - 1
        if self.n_calibration_ < needed:
            raise ValueError(
                f"coverage={coverage} needs at least {needed} calibration windows, the "
                f"hold-out has {self.n_calibration_}. Raise validation_fraction, pass more "
                "rows, or ask for a lower coverage."
            )

    def _pair(self, coverage, y_quantiles):
        """The learned quantiles the band is built on, or None for residuals."""
        if self.y_quantiles is None or y_quantiles is None:
            return None
        return self._quantile_pair(coverage)

    @staticmethod
    def _scores(y_true, y_point, y_quantiles, pair):
        if pair is None:
            return np.abs(y_true - y_point)
        lo, hi = pair
        return np.maximum(y_quantiles[..., lo] - y_true, y_true - y_quantiles[..., hi])

    @staticmethod
    def _bounds(y_point, y_quantiles, margin, pair):
        if pair is None:
            return y_point - margin, y_point + margin
        lo, hi = pair
        lower, upper = y_quantiles[..., lo] - margin, y_quantiles[..., hi] + margin
        # A negative margin can shrink the band past the point: keep lower <= point <= upper.
        bounds = np.stack([lower, upper, y_point])
        return bounds.min(axis=0), bounds.max(axis=0)

    def _calibration_scores(self, pair):
        return self._scores(self.y_true, self.y_point, self.y_quantiles, pair)

    def interval(self, y_point, y_quantiles, coverage):
        """Lower and upper bounds ``(..., steps, n_targets)`` for new forecasts."""
        self._check(coverage)
        pair = self._pair(coverage, y_quantiles)
        margin = conformal_quantile(self._calibration_scores(pair), coverage)
        return self._bounds(y_point, y_quantiles, margin, pair)

    def quantiles(self, y_point, y_quantiles, levels):
        """Calibrated quantiles ``(..., steps, n_targets, n_levels)`` of new forecasts.

        Each level ``tau`` is calibrated on its own, per horizon step and
        target: the forecast it is built on (the point forecast, or the
        learned quantile ``tau`` of a quantile model) is shifted by the
        empirical ``tau``-quantile of the hold-out's errors ``y_true -
        forecast``. On exchangeable errors a shifted level is exceeded with
        probability ``tau`` (one-sided conformalised quantile regression),
        whatever the model's own quantiles said; sorting the shifted levels
        keeps them from crossing, and can only bring each nearer to its
        nominal rate.

        Parameters
        ----------
        y_point : ndarray of shape (n, steps, n_targets)
        y_quantiles : ndarray of shape (n, steps, n_targets, n_levels) or None
            The learned quantiles at ``levels`` (None: calibrate around
            ``y_point``).
        levels : sequence of float in (0, 1)

        Returns
        -------
        quantiles : ndarray of shape (n, steps, n_targets, n_levels)
        """
        levels = np.asarray(levels, dtype=np.float64)
        if y_quantiles is None or self.y_quantiles is None:
            bases = [y_point] * len(levels)
            held_out = [self.y_point] * len(levels)
        else:
            positions = [int(np.flatnonzero(np.isclose(self.levels, tau))[0]) for tau in levels]
            bases = [y_quantiles[..., i] for i in positions]
            held_out = [self.y_quantiles[..., i] for i in positions]
        out = []
        for tau, base, fitted in zip(levels, bases, held_out, strict=True):
            errors = self.y_true - fitted
            shift = _level_shift(errors, tau)
            out.append(base + shift)
        return np.sort(np.stack(out, axis=-1), axis=-1)

    def adaptive_interval(self, y_point, y_quantiles, y_true, series, times, coverage, rate):
        """Bounds like ``interval``, with margins adapted along every series.

        ``y_true`` holds the truth of the new forecasts (NaN where it is not
        known yet); see :func:`adaptive_margins` for ``series``, ``times``
        and ``rate``.
        """
        self._check(coverage)
        pair = self._pair(coverage, y_quantiles)
        scores = self._scores(y_true, y_point, y_quantiles, pair)
        margin = adaptive_margins(
            self._calibration_scores(pair), scores, series, times, coverage, rate
        )
        return self._bounds(y_point, y_quantiles, margin, pair)


def _level_shift(errors, tau):
    """The conformal ``tau``-quantile over windows of ``errors`` (n, steps, n_targets).

    Per step and target, the ``k``-th smallest of the ``n`` observed errors
    with split conformal prediction's finite-sample rank: ``k = ceil((n + 1)
    tau)`` for an upper level (exceeded with probability at most ``1 -
    tau``), ``k = floor((n + 1) tau)`` for a lower one (undercut with
    probability at most ``tau``), clipped to ``1 ... n``. A step and target
    without any observed hold-out value gets no shift.
    """
    flat = errors.reshape(len(errors), -1)
    shift = np.zeros(flat.shape[1], dtype=np.float64)
    for j in range(flat.shape[1]):
        column = np.sort(flat[:, j][~np.isnan(flat[:, j])])
        n = len(column)
        if not n:
            continue
        k = math.ceil((n + 1) * tau) if tau >= 0.5 else math.floor((n + 1) * tau)
        shift[j] = column[min(max(k, 1), n) - 1]
    return shift.reshape(errors.shape[1:]).astype(np.float32)
