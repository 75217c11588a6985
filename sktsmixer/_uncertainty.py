"""The uncertainty surface of ``TSMixerRegressor``: learned quantiles, conformal intervals.

A mixin, so ``estimator.py`` keeps the fit/predict/score surface; the
intervals themselves are computed by :class:`~sktsmixer.calibration.SplitConformal`.
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

    def predict_quantiles(self, X, quantiles=None, future=None):
        """The learned quantiles, for an estimator fitted with ``loss="quantile"``.

        Parameters
        ----------
        X : array-like or DataFrame
        quantiles : sequence of float, default=None
            A subset of ``quantiles_``; None: all of them.
        future : DataFrame or ndarray, default=None
            As in ``predict``.

        Returns
        -------
        y_quantiles : ndarray of shape ``predict(X).shape + (n_quantiles,)``
            In the order of ``quantiles`` (increasing for None); learned
            quantiles never cross.
        """
        check_is_fitted(self)
        if self.quantiles_ is None:
            raise ValueError(
                "predict_quantiles needs an estimator fitted with loss='quantile'; this one "
                f"was fitted with loss={self.loss!r}. Use predict_interval for calibrated "
                "intervals around its point forecast."
            )
        picked = self._quantile_positions(quantiles)
        inputs = self._inputs(X, future)
        values = inputs.unscale(inputs.raw[..., picked])
        return np.stack([self._layout(values[..., i]) for i in range(len(picked))], axis=-1)

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
