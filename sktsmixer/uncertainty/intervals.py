"""The uncertainty surface of ``TSMixerRegressor``: learned quantiles, conformal intervals.

A mixin, so ``estimator.py`` keeps the fit/predict/score surface; the
intervals themselves are computed by :class:`~sktsmixer.uncertainty.calibration.SplitConformal`.
"""

import numbers

import numpy as np
from sklearn.utils.validation import check_is_fitted


class UncertaintyMixin:
    """``predict_quantiles`` and ``predict_interval`` of ``TSMixerRegressor``.

    Reads the estimator's fitted ``quantiles_``, ``calibration_`` and
    ``target_indices_``, and its ``_inputs`` and ``_layout`` helpers; not
    meant for other classes.
    """

    def predict_quantiles(self, X, quantiles=None, future=None, calibrated=True):
        """Forecast quantiles, calibrated on the hold-out by default.

        Parameters
        ----------
        X : array-like or DataFrame
        quantiles : sequence of float in (0, 1), default=None
            The levels. None: ``quantiles_`` for a model fitted with
            ``loss="quantile"``, else the ``quantiles`` parameter (by default
            0.1, 0.5, 0.9). A model fitted with ``loss="quantile"`` gives
            only the levels it learned.
        future : DataFrame or ndarray, default=None
            As in ``predict``.
        calibrated : bool, default=True
            True: every level ``tau`` is shifted, per horizon step and
            target, by the ``tau``-quantile of its errors on the
            early-stopping hold-out (conformalised quantile regression), so
            that on data like the hold-out the truth falls below it with
            probability ``tau``; a point model's levels are its point
            forecast plus the hold-out's error quantiles. Needs
            ``early_stopping=True``. False: the quantiles the model learned,
            as they are (``loss="quantile"`` only); a neural network's
            pinball-trained quantiles often cover less than their nominal
            range on new data.

        Returns
        -------
        y_quantiles : ndarray of shape ``predict(X).shape + (n_quantiles,)``
            In increasing order of level; the levels never cross.
        """
        check_is_fitted(self)
        levels = self._quantile_levels(quantiles, calibrated)
        inputs = self._inputs(X, future)
        values = self._quantile_values(inputs, levels, calibrated)
        return np.stack([self._layout(values[..., i]) for i in range(len(levels))], axis=-1)

    def _quantile_levels(self, quantiles, calibrated):
        """The increasing levels asked, checked against what the model can give."""
        if self.quantiles_ is None and not calibrated:
            raise ValueError(
                "predict_quantiles(calibrated=False) returns learned quantiles, and this "
                f"estimator was fitted with loss={self.loss!r}. Pass calibrated=True (hold-out "
                "error quantiles around the point forecast) or refit with loss='quantile'."
            )
        if calibrated and self.calibration_ is None:
            raise ValueError(
                "Calibrated quantiles are calibrated on the early-stopping hold-out, and this "
                "estimator was fitted with early_stopping=False. Refit with "
                "early_stopping=True"
                + (", or pass calibrated=False." if self.quantiles_ is not None else ".")
            )
        if self.quantiles_ is not None:
            return np.sort(self.quantiles_[self._quantile_positions(quantiles)])
        levels = np.atleast_1d(
            np.asarray(self.quantiles if quantiles is None else quantiles, dtype=np.float64)
        )
        if levels.ndim != 1 or not len(levels) or np.any((levels <= 0) | (levels >= 1)):
            raise ValueError(f"quantiles must be levels in (0, 1), got {quantiles!r}.")
        return np.unique(levels)

    def _quantile_values(self, inputs, levels, calibrated):
        """Quantiles ``(n, steps, n_targets, n_levels)`` in the units of the data."""
        if calibrated:
            if self.quantiles_ is None:
                scaled = self.calibration_.quantiles(inputs.point(), None, levels)
            else:
                # All learned levels are calibrated and sorted together, so a
                # subset asked for is the same values as in the full set.
                every = self.calibration_.quantiles(inputs.point(), inputs.raw, self.quantiles_)
                scaled = every[..., self._quantile_positions(levels)]
        else:
            scaled = inputs.raw[..., self._quantile_positions(levels)]
        return inputs.unscale(scaled)

    def predict_interval(self, X, coverage=0.9, future=None, adapt_rate=None):
        """Split-conformal prediction intervals, calibrated on the hold-out.

        Parameters
        ----------
        X : array-like or DataFrame
        coverage : float in (0, 1), default=0.9
            Nominal probability that the interval holds the true value, per
            horizon step and target.
        future : DataFrame or ndarray, default=None
            As in ``predict``.
        adapt_rate : float in (0, 1) or None, default=None
            None: every interval has the hold-out's margin. A float ``gamma``
            (0.005 is a common choice): adaptive conformal inference along
            every series of ``X``, for an estimator fitted with ``y=None``.
            Once ``X`` holds the truth of an earlier forecast of a series
            (its target rows are rows of ``X``), the level of the margin moves
            by ``gamma * (1 - coverage - missed)``, so intervals widen after
            misses and narrow after hits. The interval at a row uses only
            forecasts whose truth lies at or before that row. Use it when the
            errors drift away from the hold-out's (the coverage over a long
            ``X`` then stays near ``coverage``); larger rates adapt faster
            and give noisier widths.

        Returns
        -------
        intervals : ndarray of shape ``predict(X).shape + (2,)``
            Lower bounds in ``[..., 0]``, upper bounds in ``[..., 1]``.
        """
        inputs = self._inputs(X, future)
        lower, upper = self._interval(inputs, coverage, adapt_rate)
        return np.stack([self._layout(lower), self._layout(upper)], axis=-1)

    def _interval(self, inputs, coverage, adapt_rate=None, rows=None):
        """Bounds in the units of the data; ``rows`` keeps only those forecasts
        (after adapting along all of them)."""
        if self.calibration_ is None:
            raise ValueError(
                "predict_interval calibrates on the early-stopping hold-out, and this "
                "estimator was fitted with early_stopping=False. Refit with "
                "early_stopping=True (validation_fraction sets the hold-out size)."
            )
        if isinstance(coverage, bool) or not isinstance(coverage, numbers.Real):
            raise ValueError(f"coverage must be a float in (0, 1), got {coverage!r}.")
        quantiles = None if self.quantiles_ is None else inputs.raw
        if adapt_rate is None:
            lower, upper = self.calibration_.interval(inputs.point(), quantiles, float(coverage))
            return inputs.unscale(lower), inputs.unscale(upper)
        self._check_adapt_rate(adapt_rate)
        truth = inputs.scale_targets(inputs.future_truth())
        lower, upper = self.calibration_.adaptive_interval(
            inputs.point(),
            quantiles,
            truth,
            inputs.blocks,
            inputs.positions,
            float(coverage),
            float(adapt_rate),
        )
        lower, upper = inputs.unscale(lower), inputs.unscale(upper)
        return (lower, upper) if rows is None else (lower[rows], upper[rows])

    def _check_adapt_rate(self, adapt_rate):
        if self.target_indices_ is None:
            raise ValueError(
                "adapt_rate= adapts the intervals to the errors of earlier forecasts, whose "
                "truth it reads in X; this estimator was fitted with y, so X holds no truth. "
                "Use adapt_rate=None."
            )
        if (
            isinstance(adapt_rate, bool)
            or not isinstance(adapt_rate, numbers.Real)
            or not 0 < adapt_rate < 1
        ):
            raise ValueError(
                f"adapt_rate must be None or a float in (0, 1), got {adapt_rate!r}; "
                "0.005 is a common choice."
            )

    def _quantile_positions(self, quantiles):
        if quantiles is None:
            return np.arange(len(self.quantiles_))
        picked = []
        for q in np.atleast_1d(np.asarray(quantiles, dtype=np.float64)):
            match = np.flatnonzero(np.isclose(self.quantiles_, q))
            if not len(match):
                raise ValueError(
                    f"Quantile {q} was not learned; the estimator learned "
                    f"{self.quantiles_.tolist()}. Refit with quantiles including it."
                )
            picked.append(int(match[0]))
        return np.asarray(picked)
