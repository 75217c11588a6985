"""``TSMixerRegressor``: the scikit-learn estimator around the Keras model."""

import numbers
import warnings

import keras
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.metrics import r2_score
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from sktsmixer.model import build_tsmixer
from sktsmixer.windowing import (
    WindowedTrainer,
    WindowEndBatches,
    iter_windows,
    split_train_validation,
)

__all__ = ["TSMixerRegressor"]

# Cap on the values of one predict batch of windows: every activation of the
# forward pass is about that size, so wide series (hundreds of columns) get
# fewer windows per batch instead of hundreds of MiB per activation.
_PREDICT_BUDGET_VALUES = 4 * 2**20
_STEPS_PER_EXECUTION = 16


class TSMixerRegressor(RegressorMixin, BaseEstimator):
    """TSMixer forecaster (Chen et al., 2023) with the scikit-learn API.

    Rows of ``X`` are evenly spaced time steps, in order. The estimator cuts
    the rows into windows of ``input_size`` steps (lazily, batch by batch),
    standardises the data, trains a Keras TSMixer model, and maps its
    forecasts back to the units of the data. Training runs on a GPU when the
    Keras backend sees one.

    **Data contract.**

    * ``fit(X)`` (``y=None``): multivariate forecasting. The targets are the
      next ``horizon`` values of ``target_columns`` of ``X``; row ``t`` is
      forecast from rows ``t - input_size + 1 ... t``. ``predict(X)`` returns
      one row per row of ``X``: shape ``(n, horizon)`` for one target, else
      ``(n, horizon * n_targets)`` where column ``step * n_targets + k`` is
      target ``k`` at ``step + 1`` steps ahead.
    * ``fit(X, y)``: regression on windows. ``y[t]`` (shape ``(n,)`` or
      ``(n, n_outputs)``) is predicted from the window of ``X`` ending at row
      ``t``; shift ``y`` into the future yourself to forecast. Rows where
      ``y`` is NaN are not trained on but still serve as context. ``predict``
      returns ``(n,)`` or ``(n, n_outputs)`` in ``y``'s units.
    * Windows of the first rows of ``X`` reach before its first row. They are
      completed with the last rows seen in ``fit`` when ``X`` continues the
      training data (see ``context``), otherwise by repeating the first row
      of ``X`` (edge padding).
    * ``score(X, y=None)`` is R² over the rows and outputs ``predict``
      returns; with ``y=None`` the truth is the future values inside ``X``,
      so the last ``horizon`` rows are not scored.

    Parameters
    ----------
    input_size : int, default=48
        Number of time steps in an input window (the paper uses 512).
    horizon : int, default=12
        Number of steps forecast when ``y`` is None. Unused when ``y`` is
        given (``y[t]`` is then the single target of row ``t``).
    target_columns : str, int, list or None, default=None
        Columns of ``X`` to forecast when ``y`` is None: names for a
        DataFrame, integer positions otherwise; None means all columns.
    n_blocks : int, default=2
        Number of mixing blocks.
    ff_dim : int, default=64
        Hidden width of the feature-mixing MLP.
    dropout : float, default=0.1
        Dropout rate in [0, 1).
    norm : {"batch", "layer"}, default="batch"
        Normalisation inside the mixing blocks.
    revin : bool or "auto", default="auto"
        Reversible instance normalisation. "auto" uses it when ``y`` is None
        (forecasting the input channels, as in the paper) and not when ``y``
        is given, where the level of the inputs may carry the answer.
    embed_dim : int or None, default=None
        None mixes the raw channels; an int first lifts them to ``embed_dim``
        channels with a convolutional ``TokenEmbedding``.
    learning_rate : float, default=1e-3
        Adam learning rate.
    batch_size : int, default=32
        Windows per training step.
    epochs : int, default=100
        Maximum number of epochs.
    steps_per_epoch : int or None, default=None
        Batches per epoch; None is one pass over the training windows. An int
        makes each epoch that many batches of a fresh random order, so very
        long series are validated (and early-stopped) more often.
    early_stopping : bool, default=True
        Hold out the last ``validation_fraction`` of the windows (their
        targets never overlap the training targets), stop when the
        validation loss has not improved for ``patience`` epochs, and restore
        the best weights.
    patience : int, default=10
        Epochs without improvement before early stopping.
    validation_fraction : float, default=0.1
        Fraction of the windows held out when ``early_stopping`` is True.
    context : {"auto", "continue", "pad"}, default="auto"
        How ``predict``, ``score`` and ``forecast`` complete the windows of
        the first rows of ``X``. "continue": ``X`` continues the data seen in
        ``fit``, prepend its last ``input_size - 1`` rows. "pad": repeat the
        first row of ``X``. "auto": "continue" when ``X`` is a DataFrame
        whose index continues the index seen in ``fit`` (what
        ``TimeSeriesSplit`` produces on a DataFrame), else "pad".
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, dropout and shuffling; an int gives
        identical fits on a CPU. Global Keras and NumPy seeds are untouched.
    verbose : int, default=0
        Keras progress output: 0 silent, 1 progress bar, 2 one line per epoch.
    warm_start : bool, default=False
        Reuse the fitted model and scalers and train further (with a fresh
        optimizer) instead of starting anew.

    Attributes
    ----------
    model_ : keras.Model
        The trained TSMixer model, mapping scaled windows
        ``(batch, input_size, n_features_in_)`` to scaled forecasts.
    n_features_in_ : int
        Number of columns of ``X`` seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of ``X``, when it is a DataFrame with string names.
    target_indices_ : ndarray of int or None
        Positions of the forecast columns of ``X`` (None when ``y`` was given).
    n_outputs_ : int
        Number of targets (``target_columns`` or columns of ``y``).
    x_scaler_ : StandardScaler
        Scaler of ``X``, fitted on the training rows.
    y_scaler_ : StandardScaler or None
        Scaler of ``y`` (None when ``y`` was not given).
    history_ : dict of list of float
        Per-epoch training ``"loss"`` (and ``"val_loss"`` with early stopping)
        on the scaled data.
    n_iter_ : int
        Number of epochs run.

    See Also
    --------
    sktsmixer.build_tsmixer : The Keras model the estimator trains.

    Examples
    --------
    >>> import numpy as np
    >>> from sktsmixer import TSMixerRegressor
    >>> t = np.arange(400)
    >>> X = np.column_stack([np.sin(2 * np.pi * t / 24), np.cos(2 * np.pi * t / 24)])
    >>> est = TSMixerRegressor(input_size=48, horizon=6, epochs=3, random_state=0)
    >>> est.fit(X).predict(X).shape
    (400, 12)
    >>> est.forecast(X).shape
    (6, 2)
    """

    _parameter_constraints = {
        "input_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "horizon": [Interval(numbers.Integral, 1, None, closed="left")],
        "target_columns": [None, str, numbers.Integral, "array-like"],
        "n_blocks": [Interval(numbers.Integral, 1, None, closed="left")],
        "ff_dim": [Interval(numbers.Integral, 1, None, closed="left")],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "norm": [StrOptions({"batch", "layer"})],
        "revin": ["boolean", StrOptions({"auto"})],
        "embed_dim": [None, Interval(numbers.Integral, 1, None, closed="left")],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="neither")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "steps_per_epoch": [None, Interval(numbers.Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "patience": [Interval(numbers.Integral, 1, None, closed="left")],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "context": [StrOptions({"auto", "continue", "pad"})],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
    }

    def __init__(
        self,
        input_size=48,
        horizon=12,
        target_columns=None,
        n_blocks=2,
        ff_dim=64,
        dropout=0.1,
        norm="batch",
        revin="auto",
        embed_dim=None,
        learning_rate=1e-3,
        batch_size=32,
        epochs=100,
        steps_per_epoch=None,
        early_stopping=True,
        patience=10,
        validation_fraction=0.1,
        context="auto",
        random_state=None,
        verbose=0,
        warm_start=False,
    ):
        self.input_size = input_size
        self.horizon = horizon
        self.target_columns = target_columns
        self.n_blocks = n_blocks
        self.ff_dim = ff_dim
        self.dropout = dropout
        self.norm = norm
        self.revin = revin
        self.embed_dim = embed_dim
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.epochs = epochs
        self.steps_per_epoch = steps_per_epoch
        self.early_stopping = early_stopping
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.context = context
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    # ------------------------------------------------------------------ fit

    def fit(self, X, y=None):
        """Train the model on the time series ``X`` (and targets ``y``).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_timesteps, n_features)
            Evenly spaced time steps, oldest first. Must be finite.
        y : array-like of shape (n_timesteps,) or (n_timesteps, n_outputs), default=None
            None: forecast ``target_columns`` of ``X`` ``horizon`` steps ahead.
            Given: ``y[t]`` is predicted from the window ending at row ``t``;
            NaN marks rows not to train on.

        Returns
        -------
        self : TSMixerRegressor
            The fitted estimator.
        """
        self._validate_params()
        warm = self.warm_start and hasattr(self, "model_")
        X_checked, y_checked = self._validate_fit_data(X, y, reset=not warm)
        if not warm:
            self._fit_targets(y_checked)
        elif (y is None) != (self.target_indices_ is not None):
            raise ValueError(
                "warm_start=True continues the previous fit, which was made "
                + ("with y=None; call fit(X) without y." if y is not None else "with y; pass y.")
                + " Set warm_start=False to start anew."
            )
        y_rows = None if y_checked is None else y_checked.reshape(len(y_checked), -1)
        target_offsets = self._target_offsets()
        target_mask = None
        if y_rows is not None and np.isnan(y_rows).any():
            target_mask = (~np.isnan(y_rows)).astype("float32")
        ends = self._trainable_ends(len(X_checked), target_mask, target_offsets)
        train_ends, validation_ends = self._split(ends, target_offsets)
        if not warm:
            # Scalers see only rows that training windows read, never rows that
            # only the early-stopping hold-out reads.
            rows = slice(0, train_ends[-1] + target_offsets[-1] + 1)
            self.x_scaler_ = StandardScaler().fit(X_checked[rows])
            self.y_scaler_ = None if y_rows is None else StandardScaler().fit(y_rows[rows])
        series = self.x_scaler_.transform(X_checked).astype("float32")
        if y_rows is None:
            targets = series[:, self.target_indices_]
        else:
            targets = np.nan_to_num(self.y_scaler_.transform(y_rows)).astype("float32")
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        if not warm:
            self.model_ = self._build_model(seed)
        trainer = WindowedTrainer(self.model_, series, targets, target_offsets, target_mask)
        self._train(trainer, train_ends, validation_ends, seed)
        self._context_rows = series[len(series) - (self.input_size - 1) :]
        self._next_index = _next_index_label(X)
        return self

    def _train(self, trainer, train_ends, validation_ends, seed):
        batches = WindowEndBatches(
            train_ends, self.batch_size, shuffle_seed=seed, max_batches=self.steps_per_epoch
        )
        # Several steps per compiled call: on a CPU the per-call dispatch costs
        # as much as a small batch's compute.
        trainer.compile(
            optimizer=keras.optimizers.Adam(self.learning_rate),
            steps_per_execution=min(len(batches), _STEPS_PER_EXECUTION),
        )
        callbacks, validation_data = [], None
        if validation_ends is not None:
            validation_data = WindowEndBatches(validation_ends, self._predict_batch_size())
            callbacks.append(
                keras.callbacks.EarlyStopping(patience=self.patience, restore_best_weights=True)
            )
        history = trainer.fit(
            batches,
            epochs=self.epochs,
            validation_data=validation_data,
            callbacks=callbacks,
            # The batches shuffle themselves with their own generator; Keras'
            # own shuffling of a PyDataset would draw from Python's global RNG.
            shuffle=False,
            verbose=self.verbose,
        )
        self.history_ = {key: [float(v) for v in values] for key, values in history.history.items()}
        self.n_iter_ = len(self.history_["loss"])

    def _validate_fit_data(self, X, y, reset):
        X_checked = validate_data(
            self, X, reset=reset, dtype=[np.float64, np.float32], ensure_min_features=1
        )
        if y is None:
            return X_checked, None
        y_checked = check_array(
            y, ensure_2d=False, dtype=np.float64, ensure_all_finite="allow-nan", input_name="y"
        )
        if y_checked.ndim > 2:
            raise ValueError(f"y must be 1-D or 2-D, got an array of shape {y_checked.shape}.")
        if len(y_checked) != len(X_checked):
            raise ValueError(
                f"X and y must have one row per time step: X has {len(X_checked)} rows, "
                f"y has {len(y_checked)}."
            )
        if np.isnan(y_checked).all():
            raise ValueError("y holds only NaN: there is nothing to train on.")
        return X_checked, y_checked

    def _fit_targets(self, y):
        """Set ``target_indices_``, ``n_outputs_`` and the prediction layout."""
        if y is not None and self.target_columns is not None:
            raise ValueError(
                "`target_columns` selects columns of X to forecast when y is None; "
                f"got target_columns={self.target_columns!r} together with y. "
                "Drop one of them."
            )
        self._y_ndim = None if y is None else y.ndim
        if y is not None:
            self.target_indices_ = None
            self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
            return
        self.target_indices_ = self._resolve_target_columns()
        self.n_outputs_ = len(self.target_indices_)

    def _resolve_target_columns(self):
        columns = self.target_columns
        if columns is None:
            return np.arange(self.n_features_in_)
        if isinstance(columns, (str, numbers.Integral)):
            columns = [columns]
        names = list(getattr(self, "feature_names_in_", []))
        indices = []
        for column in columns:
            if isinstance(column, str) and column in names:
                indices.append(names.index(column))
            elif (
                isinstance(column, numbers.Integral)
                and not isinstance(column, bool)
                and 0 <= column < self.n_features_in_
            ):
                indices.append(int(column))
            else:
                known = names if names else f"integer positions 0..{self.n_features_in_ - 1}"
                raise ValueError(
                    f"Unknown target column {column!r} in target_columns={self.target_columns!r}; "
                    f"X has columns {known}."
                )
        if not indices or len(set(indices)) != len(indices):
            raise ValueError(
                f"target_columns must name distinct columns, got {self.target_columns!r}."
            )
        return np.asarray(indices)

    def _target_offsets(self):
        """Rows, relative to a window's end row, that hold its targets."""
        if self.target_indices_ is None:
            return np.zeros(1, dtype=int)
        return np.arange(1, self.horizon + 1)

    def _trainable_ends(self, n_rows, target_mask, target_offsets):
        """End rows of the windows that lie inside the data and have a target."""
        lookahead = int(target_offsets[-1])
        ends = np.arange(self.input_size - 1, n_rows - lookahead)
        if target_mask is not None:
            ends = ends[target_mask[ends].any(axis=1)]
        needed = self.input_size + lookahead
        if self.early_stopping:
            needed += _validation_gap(lookahead)
        if len(ends) == 0 or n_rows < needed:
            what = f"input_size={self.input_size}"
            if lookahead:
                what += f" + horizon={self.horizon}"
            if self.early_stopping:
                what += f" + {_validation_gap(lookahead)} for the early-stopping hold-out"
            raise ValueError(
                f"Too few rows to train on: got n_samples = {n_rows}, but {what} needs at "
                f"least {needed} rows with a target. Pass more rows, lower input_size"
                + (" or set early_stopping=False." if self.early_stopping else ".")
            )
        return ends

    def _split(self, ends, target_offsets):
        if not self.early_stopping:
            return ends, None
        gap = _validation_gap(int(target_offsets[-1]))
        train, validation = split_train_validation(ends, self.validation_fraction, gap)
        if len(train) == 0:
            raise ValueError(
                f"Too few windows to hold out validation_fraction={self.validation_fraction} "
                f"for early stopping: {len(ends)} windows. Pass more rows or set "
                "early_stopping=False."
            )
        return train, validation

    def _build_model(self, seed):
        mode_1 = self.target_indices_ is not None
        revin = mode_1 if self.revin == "auto" else bool(self.revin)
        return build_tsmixer(
            input_size=self.input_size,
            n_features=self.n_features_in_,
            horizon=self.horizon if mode_1 else 1,
            target_indices=self.target_indices_.tolist() if mode_1 else None,
            n_targets=None if mode_1 else self.n_outputs_,
            n_blocks=self.n_blocks,
            ff_dim=self.ff_dim,
            dropout=self.dropout,
            norm=self.norm,
            revin=revin,
            embed_dim=self.embed_dim,
            seed=seed,
        )

    # -------------------------------------------------------------- predict

    def predict(self, X):
        """Predict one row per row of ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_timesteps, n_features)
            Time steps in order; see ``context`` for how the windows of the
            first rows are completed.

        Returns
        -------
        y_pred : ndarray
            ``y`` given in ``fit``: shape ``(n,)`` or ``(n, n_outputs)``.
            ``y`` None: shape ``(n, horizon)`` for one target, else
            ``(n, horizon * n_targets)``, column ``step * n_targets + k``
            holding target ``k`` at ``step + 1`` steps ahead.
        """
        return self._prediction_layout(self._forecast_rows(X))

    def _prediction_layout(self, forecasts):
        """``(n, steps, n_outputs)`` forecasts in the shape ``predict`` documents."""
        if self.target_indices_ is None:
            return forecasts[:, 0, 0] if self._y_ndim == 1 else forecasts[:, 0, :]
        return forecasts.reshape(len(forecasts), -1)

    def forecast(self, X):
        """Forecast the ``horizon`` steps that follow the last row of ``X``.

        Only for an estimator fitted with ``y=None``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_timesteps, n_features)
            The most recent time steps, oldest first.

        Returns
        -------
        forecast : DataFrame or ndarray of shape (horizon, n_targets)
            A DataFrame indexed by the continued time index and with the
            target column names when ``X`` is a DataFrame with a regular
            ``DatetimeIndex`` or ``RangeIndex``/integer index; an array
            otherwise.
        """
        check_is_fitted(self)
        if self.target_indices_ is None:
            raise ValueError(
                "forecast() needs an estimator fitted with y=None (forecasting the "
                "columns of X); this one was fitted with y: use predict(X)."
            )
        values = self._forecast_rows(X, last_only=True)[0]
        next_label = _next_index_label(X)
        if next_label is None:
            return values
        index = _continue_index(X.index, self.horizon)
        columns = [X.columns[i] for i in self.target_indices_]
        return pd.DataFrame(values, index=index, columns=columns)

    def score(self, X, y=None):
        """R² of the predictions (uniform average over outputs).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_timesteps, n_features)
        y : array-like of shape (n_timesteps,) or (n_timesteps, n_outputs), default=None
            Required if and only if ``y`` was given to ``fit``. With
            ``y=None`` the truth is the future of ``target_columns`` inside
            ``X``: the first ``n_timesteps - horizon`` rows are scored.

        Returns
        -------
        score : float
        """
        check_is_fitted(self)
        if self.target_indices_ is not None:
            if y is not None:
                raise ValueError(
                    "This estimator forecasts columns of X (fitted with y=None); score it "
                    "with score(X) and no y."
                )
            return self._score_future_of_x(X)
        if y is None:
            raise ValueError("This estimator was fitted with y: pass y to score(X, y).")
        y_true = check_array(
            y, ensure_2d=False, dtype=np.float64, ensure_all_finite="allow-nan", input_name="y"
        )
        y_pred = self.predict(X)
        if len(y_true) != len(y_pred):
            raise ValueError(f"X has {len(y_pred)} rows but y has {len(y_true)}.")
        keep = ~np.isnan(y_true.reshape(len(y_true), -1)).any(axis=1)
        return r2_score(y_true[keep], y_pred[keep])

    def _score_future_of_x(self, X):
        values = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        n_scored = len(values) - self.horizon
        if n_scored < 1:
            raise ValueError(
                f"score(X) compares forecasts with the future inside X, so X needs more "
                f"than horizon={self.horizon} rows; got {len(values)}."
            )
        y_pred = self._prediction_layout(self._forecast_checked(X, values))
        future = np.lib.stride_tricks.sliding_window_view(
            values[1:, self.target_indices_], self.horizon, axis=0
        )  # (n_scored, n_targets, horizon)
        y_true = future.transpose(0, 2, 1).reshape(n_scored, -1)
        return r2_score(y_true, y_pred[:n_scored])

    def _forecast_rows(self, X, last_only=False):
        """Scaled-back model outputs ``(n, steps, n_outputs)`` for rows of X."""
        check_is_fitted(self)
        X_checked = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return self._forecast_checked(X, X_checked, last_only)

    def _forecast_checked(self, X, X_checked, last_only=False):
        """``_forecast_rows`` for ``X`` already validated as ``X_checked``."""
        series = self.x_scaler_.transform(X_checked).astype("float32")
        lead = self._leading_context(X, series)
        padded = np.concatenate([lead, series])
        ends = np.arange(len(lead), len(padded))
        if last_only:
            ends = ends[-1:]
        steps = 1 if self.target_indices_ is None else self.horizon
        forecasts = np.empty((len(ends), steps, self.n_outputs_))
        start = 0
        for windows in iter_windows(padded, ends, self.input_size, self._predict_batch_size()):
            forecasts[start : start + len(windows)] = self._predict_windows(windows)
            start += len(windows)
        if self.target_indices_ is None:
            scaler, cols = self.y_scaler_, slice(None)
        else:
            scaler, cols = self.x_scaler_, self.target_indices_
        forecasts *= scaler.scale_[cols]
        forecasts += scaler.mean_[cols]
        return forecasts

    def _predict_windows(self, windows):
        # Padding the batch to a power of two bounds the number of shapes the
        # compiled predict function is traced for.
        n = len(windows)
        bucket = 1 << (n - 1).bit_length()
        if bucket > n:
            windows = np.concatenate([windows, np.repeat(windows[-1:], bucket - n, axis=0)])
        return np.asarray(self.model_.predict_on_batch(windows))[:n]

    def _leading_context(self, X, series):
        """The ``input_size - 1`` rows placed before ``series``."""
        continues = self.context == "continue" or (
            self.context == "auto"
            and self._next_index is not None
            and _first_index_label(X) == self._next_index
        )
        if continues:
            return self._context_rows
        return np.repeat(series[:1], self.input_size - 1, axis=0)

    def _predict_batch_size(self):
        per_window = self.input_size * self.n_features_in_
        return int(max(1, min(1024, _PREDICT_BUDGET_VALUES // per_window)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        tags.target_tags.multi_output = True
        tags.input_tags.allow_nan = False
        return tags


def _validation_gap(lookahead):
    """Window ends skipped between training and validation so that no target
    row is shared (targets lie ``1..lookahead`` rows after the end, or on it)."""
    return max(lookahead, 1)


def _first_index_label(X):
    if isinstance(X, (pd.DataFrame, pd.Series)) and len(X.index):
        return X.index[0]
    return None


def _index_step(index):
    """The regular step of a DatetimeIndex or integer index, or None."""
    if isinstance(index, pd.DatetimeIndex):
        if index.freq is not None:
            return index.freq
        if len(index) < 3:
            return None
        steps = np.diff(index.asi8)
        if (steps == steps[0]).all() and steps[0] > 0:
            return pd.Timedelta(int(steps[0]), unit="ns")
        with warnings.catch_warnings():  # pandas is changing infer_freq's return type
            warnings.simplefilter("ignore")
            freq = pd.infer_freq(index)  # calendar steps: months, business days, ...
        return None if freq is None else pd.tseries.frequencies.to_offset(freq)
    if pd.api.types.is_integer_dtype(index.dtype) and len(index) >= 2:
        steps = np.diff(np.asarray(index))
        if (steps == steps[0]).all() and steps[0] > 0:
            return int(steps[0])
    return None


def _next_index_label(X):
    """The index label that would follow the last row of a regular DataFrame."""
    if not isinstance(X, pd.DataFrame) or len(X.index) < 2:
        return None
    step = _index_step(X.index)
    return None if step is None else X.index[-1] + step


def _continue_index(index, periods):
    step = _index_step(index)
    if isinstance(index, pd.DatetimeIndex):
        return pd.date_range(index[-1] + step, periods=periods, freq=step, name=index.name)
    start = index[-1] + step
    return pd.RangeIndex(start, start + step * periods, step, name=index.name)
