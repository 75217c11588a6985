"""``TSMixerRegressor``: the scikit-learn estimator around the Keras model."""

import dataclasses
import numbers

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from sktsmixer._legacy import legacy_encoder
from sktsmixer._sklearn_compat import Interval, StrOptions, validate_params
from sktsmixer.adaptive import auto_dropout, auto_input_size, auto_schedule
from sktsmixer.data.calendars import SessionCalendar
from sktsmixer.data.categorical import model_categoricals, warn_unseen
from sktsmixer.data.encoder import PanelEncoder
from sktsmixer.data.forecasts import Forecasts, forecast_frame
from sktsmixer.data.panel import key_names, parse_panel
from sktsmixer.data.roles import check_mode, check_y, column_roles
from sktsmixer.data.seasonality import panel_season, panel_wants_calendar
from sktsmixer.data.time_features import resolve_time_features
from sktsmixer.models import build_model
from sktsmixer.models.tsmixer import dense_flops
from sktsmixer.training.batches import predict_batch_size, predict_windows
from sktsmixer.training.devices import placed_for, resolve_distribution, scope
from sktsmixer.training.trainer import Trainer
from sktsmixer.uncertainty.calibration import calibrate
from sktsmixer.uncertainty.intervals import UncertaintyMixin
from sktsmixer.uncertainty.losses import LOSSES

__all__ = ["TSMixerRegressor"]

# Parameters that change the network or the windows: warm_start refuses them changed.
_ARCHITECTURE = (
    "input_size",
    "horizon",
    "target_columns",
    "future_columns",
    "static_columns",
    "series_column",
    "calendar",
    "time_features",
    "n_blocks",
    "ff_dim",
    "norm",
    "revin",
    "embed_dim",
    "loss",
    "quantiles",
    "categorical_embedding",
)


class TSMixerRegressor(UncertaintyMixin, RegressorMixin, BaseEstimator):
    """TSMixer forecaster (Chen et al., 2023) with the scikit-learn API.

    Rows of ``X`` are evenly spaced time steps of one series or, in a long
    DataFrame, of many series trained as one global model, each standardised
    by its own statistics. Training runs on a GPU when the Keras backend sees
    one. See the user guide, :ref:`one_series` and :ref:`panel`.

    **Data contract.**

    * ``fit(X)`` (``y=None``) forecasts the next ``horizon`` values of
      ``target_columns`` (column roles: :ref:`column_roles`). ``predict(X)``
      returns one row per row of ``X``, in its order: ``(n, horizon)``, or
      ``(n, horizon * n_targets)`` with target ``k`` at ``step + 1`` steps
      ahead in column ``step * n_targets + k``. Known-ahead values past the
      end of a series come from ``future=``, else those forecasts are NaN.
    * ``fit(X, y)`` regresses ``y[t]`` (shape ``(n,)`` or ``(n, n_outputs)``)
      on the window of ``X`` ending at row ``t``; shift ``y`` yourself. The
      covariate parameters and ``loss="quantile"`` need ``y=None``.
    * The time index (``DatetimeIndex`` or integer) must be sorted and free
      of duplicates. Missing steps and NaN are gaps, filled in the inputs and
      left out of the loss; infinite values raise (:ref:`data_and_gaps`).
    * ``score(X, y=None)`` is the R² of the point forecast over the rows
      whose future lies inside ``X`` (``y=None``) or whose ``y`` is known.

    Parameters
    ----------
    input_size : int or "auto", default="auto"
        Time steps in an input window (the paper uses 512); "auto" derives it
        from the data's cycle and the horizon (:ref:`auto_settings`).
    horizon : int, default=12
        Number of steps forecast when ``y`` is None.
    target_columns : str, int, list or None, default=None
        Columns to forecast when ``y`` is None (names, or positions for an
        array); None: every column that is not a future, static or series one.
    future_columns : list or None, default=None
        Columns known in advance, read on the horizon from the rows after the
        forecast origin or from ``future=``.
    static_columns : list or None, default=None
        Columns constant within a series; they condition every mixing block.
    series_column : str, list or None, default=None
        Column or index level naming the series of a long DataFrame, or a list
        of them for a compound key; a ``(series, time)`` MultiIndex needs none
        (:ref:`panel_series`).
    categorical_embedding : "auto", "onehot", int or dict, default="auto"
        Encoding of text and ``category`` columns: "auto" (one-hot up to 16
        categories, else a learned embedding), "onehot", an int (embedding
        size) or a dict by column (:ref:`categorical_columns`).
    calendar : "auto", SessionCalendar or None, default="auto"
        The clock of a ``DatetimeIndex``: "auto" infers a business calendar
        (opening hours, weekdays) where the data follows one, None keeps the
        continuous clock (:ref:`business_calendars`).
    time_features : None, "auto" or list of str, default="auto"
        Known-ahead sine/cosine features of the ``DatetimeIndex`` among
        ``"minute", "hour", "dayofweek", "dayofmonth", "dayofyear", "month"``;
        "auto" adds them where they help (:ref:`calendar_features`).
    n_blocks : int, default=2
        Number of mixing blocks.
    ff_dim : int, default=64
        Hidden width of the feature-mixing MLP.
    dropout : float or "auto", default="auto"
        Dropout rate in [0, 1); "auto" goes from 0.3 down to 0.1 as the
        number of training windows grows.
    norm : {"batch", "layer"}, default="batch"
        Normalisation inside the mixing blocks.
    revin : bool or "auto", default="auto"
        Reversible instance normalisation; "auto": on when ``y`` is None
        unless the model reads numeric known-ahead columns, off with ``y``.
    embed_dim : int or None, default=None
        Plain model: None mixes the raw channels, an int first lifts them to
        that many with a ``TokenEmbedding``. With covariates: the width of the
        mixed features (None: ``ff_dim``).
    loss : {"absolute_error", "squared_error", "quantile"}, default="absolute_error"
        Training loss: the median, the mean, or every level of ``quantiles``
        with the pinball loss, whose point forecast is the median
        (:ref:`training_loss`).
    quantiles : tuple of float, default=(0.1, 0.5, 0.9)
        Levels learned with ``loss="quantile"`` (0.5 is always added).
    learning_rate : float, default=1e-3
        Adam learning rate.
    weight_averaging : float or None, default=None
        Momentum of an exponential moving average of the weights used by the
        fitted model; None keeps the raw weights (:ref:`weight_averaging`).
    batch_size : int, default=32
        Windows per training step.
    epochs : int or "auto", default="auto"
        Maximum number of epochs; "auto": a budget of ``max_steps`` optimiser
        steps, with a hold-out check every 100 steps at most.
    max_steps : int or "auto", default="auto"
        Optimiser steps of an ``epochs="auto"`` fit ("auto": 1,000); with an
        integer ``epochs``, an integer caps the epochs and "auto" sets no cap.
    steps_per_epoch : int or None, default=None
        Batches per epoch; None: one pass over the training windows (at most
        100 steps with ``epochs="auto"``).
    early_stopping : bool, default=True
        Hold out the last ``validation_fraction`` of every series' windows,
        stop after ``patience`` epochs without improvement and restore the
        best weights. The hold-out also calibrates ``predict_interval``.
    patience : int or "auto", default="auto"
        Epochs without improvement before early stopping; "auto": 5 checks
        with ``epochs="auto"``, else 10 epochs.
    validation_fraction : float, default=0.1
        Fraction of the windows held out when ``early_stopping`` is True.
    context : {"auto", "continue", "pad"}, default="auto"
        Completes windows that reach before a series' first row with its last
        rows seen in ``fit`` ("continue") or its first row ("pad"); "auto"
        continues where the time index continues the one seen in ``fit``.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, dropout and shuffling; an int gives
        identical fits on a CPU. Global Keras and NumPy seeds are untouched.
    verbose : int, default=0
        Keras progress output: 0 silent, 1 progress bar, 2 one line per epoch.
    warm_start : bool, default=False
        Train the fitted model further (fresh optimizer); changing a parameter
        that shapes the network or the windows raises ``ValueError``.
    devices : None, "all", int or list of str, default=None
        Data-parallel training and prediction (JAX) on all devices, the first
        ``n`` or named ones (``["gpu:0", "gpu:1"]``); None follows the global
        Keras distribution (:ref:`multiple_devices`).
    jit_compile : "auto" or bool, default="auto"
        Compile with XLA; "auto" also compiles large fits on a CPU with
        TensorFlow (:ref:`compilation`).

    Attributes
    ----------
    input_size_ : int
        The window length used.
    season_length_ : int
        The seasonal period the "auto" settings read (1: none).
    dropout_ : float
        The dropout rate used.
    epochs_, steps_per_epoch_, patience_ : int, int or None, int
        The training schedule used.
    model_ : keras.Model
        The trained Keras model (``build_tsmixer`` or ``build_tsmixer_ext``).
    n_features_in_ : int
        Number of value columns of ``X`` seen in ``fit`` (not the series one).
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the value columns, when ``X`` has string column names.
    target_indices_ : ndarray of int or None
        Positions of the forecast columns among them (None with ``y``).
    target_names_ : list
        Names (or positions) of the forecast columns.
    n_outputs_ : int
        Number of targets.
    quantiles_ : ndarray or None
        Quantile levels learned (``loss="quantile"``).
    series_labels_ : list
        The series seen in ``fit``, in order of first appearance (``[None]``
        for one series, tuples for a compound ``series_column``).
    categories_ : dict
        Column name -> ``pandas.Index`` of its categories (code ``i + 1`` is
        category ``i``; 0 is unknown).
    categorical_encoding_ : dict
        Column name -> ``("onehot", n_categories)`` or ``("embedding", size)``.
    calendar_ : SessionCalendar or None
        The business calendar the data was laid on (None: continuous clock).
    encoder_ : PanelEncoder
        What ``fit`` learned about the data (scaling, statics, series codes,
        context rows); it lays out the windows of training and prediction.
    series_mean_, series_scale_ : ndarray of shape (n_series, n_dynamic)
        The per-series scaling statistics of the value columns.
    history_ : dict of list of float
        Per-epoch training ``"loss"`` (and ``"val_loss"``) on scaled data.
    n_iter_ : int
        Number of epochs run.
    calibration_ : SplitConformal or None
        Hold-out forecasts for ``predict_interval`` (None without a hold-out).
    jit_compile_ : bool
        Whether the last fit, and prediction, compile with XLA.

    See Also
    --------
    sktsmixer.build_tsmixer : The plain Keras model.
    sktsmixer.build_tsmixer_ext : The model with known-ahead and static inputs.
    sktsmixer.model_selection.PanelTimeSeriesSplit : Time-ordered folds of a panel.

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
    >>> est.predict_interval(X, coverage=0.8).shape
    (400, 12, 2)
    """

    _parameter_constraints = {
        "input_size": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "horizon": [Interval(numbers.Integral, 1, None, closed="left")],
        "target_columns": [None, str, numbers.Integral, "array-like"],
        "future_columns": [None, str, "array-like"],
        "static_columns": [None, str, "array-like"],
        "series_column": [None, str, numbers.Integral, list],
        "categorical_embedding": [
            StrOptions({"auto", "onehot"}),
            Interval(numbers.Integral, 1, None, closed="left"),
            dict,
        ],
        "calendar": [None, StrOptions({"auto"}), SessionCalendar],
        "time_features": [None, StrOptions({"auto"}), "array-like"],
        "n_blocks": [Interval(numbers.Integral, 1, None, closed="left")],
        "ff_dim": [Interval(numbers.Integral, 1, None, closed="left")],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left"), StrOptions({"auto"})],
        "norm": [StrOptions({"batch", "layer"})],
        "revin": ["boolean", StrOptions({"auto"})],
        "embed_dim": [None, Interval(numbers.Integral, 1, None, closed="left")],
        "loss": [StrOptions(set(LOSSES))],
        "quantiles": ["array-like"],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="neither")],
        "weight_averaging": [None, Interval(numbers.Real, 0, 1, closed="neither")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "epochs": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "max_steps": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "steps_per_epoch": [None, Interval(numbers.Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "patience": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "context": [StrOptions({"auto", "continue", "pad"})],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "jit_compile": [StrOptions({"auto"}), "boolean"],
        "devices": [
            None,
            StrOptions({"all"}),
            Interval(numbers.Integral, 1, None, closed="left"),
            list,
        ],
    }

    def __init__(
        self,
        input_size="auto",
        horizon=12,
        target_columns=None,
        future_columns=None,
        static_columns=None,
        series_column=None,
        time_features="auto",
        n_blocks=2,
        ff_dim=64,
        dropout="auto",
        norm="batch",
        revin="auto",
        embed_dim=None,
        loss="absolute_error",
        quantiles=(0.1, 0.5, 0.9),
        learning_rate=1e-3,
        weight_averaging=None,
        batch_size=32,
        epochs="auto",
        max_steps="auto",
        steps_per_epoch=None,
        early_stopping=True,
        patience="auto",
        validation_fraction=0.1,
        context="auto",
        random_state=None,
        verbose=0,
        warm_start=False,
        devices=None,
        jit_compile="auto",
        categorical_embedding="auto",
        calendar="auto",
    ):
        self.input_size = input_size
        self.horizon = horizon
        self.target_columns = target_columns
        self.future_columns = future_columns
        self.static_columns = static_columns
        self.series_column = series_column
        self.time_features = time_features
        self.n_blocks = n_blocks
        self.ff_dim = ff_dim
        self.dropout = dropout
        self.norm = norm
        self.revin = revin
        self.embed_dim = embed_dim
        self.loss = loss
        self.quantiles = quantiles
        self.learning_rate = learning_rate
        self.weight_averaging = weight_averaging
        self.batch_size = batch_size
        self.epochs = epochs
        self.max_steps = max_steps
        self.steps_per_epoch = steps_per_epoch
        self.early_stopping = early_stopping
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.context = context
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.devices = devices
        self.jit_compile = jit_compile
        self.categorical_embedding = categorical_embedding
        self.calendar = calendar

    # ------------------------------------------------------------------ fit

    def fit(self, X, y=None):
        """Train the model on the time series in ``X`` (and targets ``y``).

        A fit that fails leaves the estimator as it was before (fitted or
        not). Interrupting a fit (KeyboardInterrupt, e.g. Ctrl-C) stops
        training, keeps the best weights seen so far, warns, and returns the
        usable fitted estimator.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_columns)
            One series (rows = time steps, oldest first) or a long panel;
            see the class docstring.
        y : array-like of shape (n_rows,) or (n_rows, n_outputs), default=None
            None: forecast ``target_columns`` of ``X`` ``horizon`` steps
            ahead. Given: ``y[t]`` is predicted from the window ending at row
            ``t``; NaN marks rows not to train on.

        Returns
        -------
        self : TSMixerRegressor
            The fitted estimator.
        """
        validate_params(self)
        before = dict(self.__dict__)
        # A warm start trains the fitted model in place: keep its weights to put back.
        weights = self.model_.get_weights() if self.warm_start and "model_" in before else None
        try:
            with scope(resolve_distribution(self.devices)):
                return self._fit(X, y)
        except BaseException:
            # Never leave a half-fitted estimator: back to the previous state.
            self.__dict__.clear()
            self.__dict__.update(before)
            if weights is not None:
                self.model_.set_weights(weights)
            raise

    def _fit(self, X, y):
        warm = self.warm_start and hasattr(self, "model_")
        if warm:
            self._check_warm_start(y)
        params = self.get_params(deep=False)
        check_mode(params, y)
        self._check_input_names(X, reset=not warm)
        panel, names, dynamic_names = parse_panel(
            X,
            self.series_column,
            self.static_columns,
            categories=self._categories(warm),
            calendar=self.encoder_.calendar if warm else self.calendar,
        )
        warn_unseen(panel.unseen, stacklevel=4)
        y_checked = None if y is None else check_y(y, len(panel.rows))
        if not warm:
            auto_calendar = self.time_features == "auto"
            if auto_calendar:
                params = {**params, "time_features": None}
            roles = column_roles(params, names, dynamic_names, panel, y_checked)
            if auto_calendar and y is None and panel_wants_calendar(panel, roles.future_indices):
                roles.time_feature_names = resolve_time_features("auto", panel.step)
            self._set_roles(roles)
            self._decide_window(panel, y_checked)
            self._architecture = {name: getattr(self, name) for name in _ARCHITECTURE}
        if y is None:
            # Training reads the rows of X through panel.present; the map of
            # them is 4 bytes a row of a big panel.
            panel = dataclasses.replace(panel, rows=None)
        holdout = None
        if self.early_stopping:
            holdout = (self.validation_fraction, "set early_stopping=False")
        y_rows = None if y_checked is None else y_checked.reshape(len(y_checked), -1)
        if warm:
            windows = self.encoder_.transform_training(panel, y_rows, holdout)
        else:
            self.encoder_ = self._make_encoder(panel)
            windows = self.encoder_.fit_transform(panel, y_rows, holdout)
        self._decide_schedule(len(windows.train[0]), warm)
        del panel  # its row maps are not needed to train (on big panels: 5 bytes a row)
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        if not warm:
            self.model_ = self._build_model(seed, windows.layout)
        trainer = Trainer(
            loss=self.loss,
            quantiles=self.quantiles_,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            epochs=self.epochs_,
            steps_per_epoch=self.steps_per_epoch_,
            patience=self.patience_,
            weight_averaging=self.weight_averaging,
            jit_compile=self.jit_compile,
            flops_per_window=dense_flops(
                self.input_size_,
                self.horizon,
                windows.series.shape[1],
                self.n_blocks,
                self.ff_dim,
            ),
            verbose=self.verbose,
        ).fit(self.model_, windows, seed)
        self.history_, self.n_iter_ = trainer.history_, trainer.n_iter_
        self.jit_compile_ = trainer.jit_compile_
        self.calibration_ = calibrate(
            trainer.holdout_forecasts(self.model_, windows), self.quantiles_
        )
        return self

    def _make_encoder(self, panel):
        coded = bool(self.categorical_encoding_)
        return PanelEncoder(
            input_size=self.input_size_,
            horizon=self.horizon,
            dynamic_names=self._dynamic_names,
            static_names=self._static_names,
            target_indices=self.target_indices_,
            future_indices=self.future_indices_,
            time_feature_names=self.time_feature_names_,
            categories=self.categories_,
            series_column=self.series_column,
            calendar=panel.calendar,
            # Quantile outputs and category codes need the Ext model's named inputs.
            named=self.quantiles_ is not None or coded,
        )

    def _build_model(self, seed, layout):
        """The Keras model to train (see :func:`sktsmixer.models.build_model`)."""
        categories = self.categories_ or {}
        return build_model(
            layout,
            input_size=self.input_size_,
            horizon=self.horizon,
            n_dynamic=len(self._dynamic_names),
            n_time_features=len(self.time_feature_names_),
            target_indices=self.target_indices_,
            n_outputs=self.n_outputs_,
            n_quantiles=None if self.quantiles_ is None else len(self.quantiles_),
            n_blocks=self.n_blocks,
            ff_dim=self.ff_dim,
            embed_dim=self.embed_dim,
            dropout=self.dropout_,
            norm=self.norm,
            revin=self.revin,
            # a known-ahead column in the units of the series (not a category)
            known_ahead_in_units=any(
                self._dynamic_names[i] not in categories for i in self.future_indices_
            ),
            categoricals=model_categoricals(
                self._dynamic_names,
                self._future_names(),
                self._static_names,
                categories,
                self.categorical_encoding_ or {},
            ),
            seed=seed,
        )

    def _decide_window(self, panel, y):
        """Resolve ``season_length_`` and ``input_size_`` (see :mod:`sktsmixer.adaptive`)."""
        period, cycle = panel_season(panel, y, self.target_indices_)
        self.season_length_ = int(period)
        horizon = self.horizon if y is None else 1
        if self.input_size == "auto":
            self.input_size_ = auto_input_size(horizon, period, cycle, panel.lengths)
        else:
            self.input_size_ = int(self.input_size)

    def _decide_schedule(self, n_windows, warm):
        """Resolve ``dropout``, ``epochs``, ``steps_per_epoch`` and ``patience``."""
        if not warm:
            self.dropout_ = auto_dropout(n_windows) if self.dropout == "auto" else self.dropout
        n_batches = max(1, -(-n_windows // self.batch_size))
        self.epochs_, self.steps_per_epoch_, self.patience_ = auto_schedule(
            n_batches, self.epochs, self.max_steps, self.steps_per_epoch, self.patience
        )

    def _check_warm_start(self, y):
        if (y is None) != (self.target_indices_ is not None):
            raise ValueError(
                "warm_start=True continues the previous fit, which was made "
                + ("with y=None; call fit(X) without y." if y is not None else "with y; pass y.")
                + " Set warm_start=False to start anew."
            )
        for name, value in self._architecture.items():
            if not _same(getattr(self, name), value):
                raise ValueError(
                    f"warm_start=True continues the previous fit, but {name} changed from "
                    f"{value!r} to {getattr(self, name)!r}, which changes the network or the "
                    f"windows. Set {name}={value!r} back, or set warm_start=False to start anew."
                )

    def _set_roles(self, roles):
        self.future_indices_ = roles.future_indices
        self.time_feature_names_ = roles.time_feature_names
        self.quantiles_ = roles.quantiles
        self.target_indices_ = roles.target_indices
        self.target_names_ = roles.target_names
        self.n_outputs_ = roles.n_outputs
        self._y_ndim = roles.y_ndim
        self._dynamic_names = roles.dynamic_names
        self._static_names = roles.static_names
        self.categories_ = roles.categories
        self.categorical_encoding_ = roles.categorical_encoding

    def _categories(self, fitted=True):
        """The categories learned in ``fit`` (None: learn them)."""
        return getattr(self, "categories_", {}) if fitted else None

    def _check_input_names(self, X, reset):
        if isinstance(X, pd.DataFrame):
            # The value columns only (an empty frame, no copy of the data): a
            # panel with the series as a column or as an index level is the same.
            X = X.iloc[:0]
            key = [c for c in key_names(self.series_column) if c in X.columns]
            if key:
                X = X.drop(columns=key)
        shape = getattr(X, "shape", None)
        two_d = shape is not None and len(shape) == 2
        if hasattr(X, "columns") or reset or two_d:
            # Names always; the column count of 2-D input only (ensure_2d).
            validate_data(self, X, reset=reset, skip_check_array=True, ensure_2d=two_d)

    # -------------------------------------------------------------- predict

    def predict(self, X, future=None):
        """Predict one row per row of ``X``, in ``X``'s order.

        Parameters
        ----------
        X : array-like or DataFrame
            Time steps of one series or a long panel, as in ``fit``.
        future : DataFrame or ndarray, default=None
            The next ``horizon`` rows of the ``future_columns`` after the end
            of ``X`` (of every series of a panel); see ``forecast``. Without
            it, rows whose horizon runs past the end of ``X`` are NaN when
            the model has ``future_columns``.

        Returns
        -------
        y_pred : ndarray
            ``y`` given in ``fit``: shape ``(n,)`` or ``(n, n_outputs)``.
            ``y`` None: shape ``(n, horizon)`` for one target, else
            ``(n, horizon * n_targets)``, column ``step * n_targets + k``
            holding target ``k`` at ``step + 1`` steps ahead. For
            ``loss="quantile"`` the median.
        """
        inputs = self._inputs(X, future)
        return self._layout(inputs.unscale(inputs.point()))

    def forecast(self, X, future=None, coverage=None, quantiles=None, adapt_rate=None):
        """Forecast the ``horizon`` steps that follow the last row of ``X``.

        Only for an estimator fitted with ``y=None``.

        Parameters
        ----------
        X : array-like or DataFrame
            The most recent time steps (of every series), oldest first.
        future : DataFrame or ndarray, default=None
            Required when the model has ``future_columns``: their values on
            the ``horizon`` steps after ``X``. One series: a DataFrame whose
            index continues ``X``'s (or an array of shape ``(horizon,
            n_future_columns)``). A panel: a long DataFrame in ``X``'s
            format with ``horizon`` rows for every series of ``X``. Extra
            columns are ignored.
        coverage : float or None, default=None
            Adds ``"{name}_lower"`` and ``"{name}_upper"`` columns: the
            conformal interval of that coverage.
        quantiles : sequence of float or None, default=None
            Adds ``"{name}_q{level}"`` columns with those quantiles,
            calibrated on the hold-out as in ``predict_quantiles``.
        adapt_rate : float in (0, 1) or None, default=None
            With ``coverage``: the interval's margin adapted to the errors of
            the forecasts made inside ``X``, as in ``predict_interval`` (this
            forecasts every row of ``X`` to replay them).

        Returns
        -------
        forecast : DataFrame or ndarray
            ``horizon`` rows per series, indexed by the continued time index
            (a ``(series, time)`` MultiIndex for a panel), one column per
            target. A plain array ``(horizon, n_targets)`` when ``X`` has no
            time index and no interval or quantile is asked.
        """
        check_is_fitted(self)
        if self.target_indices_ is None:
            raise ValueError(
                "forecast() needs an estimator fitted with y=None (forecasting the "
                "columns of X); this one was fitted with y: use predict(X)."
            )
        if self.future_indices_.size and future is None:
            raise ValueError(
                f"This model reads future_columns={self._future_names()} on the forecast "
                f"horizon: pass future=, their next {self.horizon} rows (a DataFrame whose "
                "index continues X's, with those columns)."
            )
        if adapt_rate is not None and coverage is None:
            raise ValueError(
                "adapt_rate= adapts the margin of the interval: pass coverage= with it."
            )
        replay = adapt_rate is not None
        inputs = self._inputs(X, future, last_only=not replay)
        extra = []
        if coverage is not None:
            rows = inputs.last_rows() if replay else None
            lower, upper = self._interval(inputs, coverage, adapt_rate, rows)
            extra += [("lower", lower), ("upper", upper)]
        if replay:
            inputs = inputs.take(inputs.last_rows())
        point = inputs.unscale(inputs.point())
        if quantiles is not None:
            levels = self._quantile_levels(quantiles, calibrated=True)
            values = self._quantile_values(inputs, levels, calibrated=True)
            extra += [(f"q{tau:g}", values[..., n]) for n, tau in enumerate(levels)]
        index = inputs.forecast_index()
        if index is None and not extra:
            return point[0]
        return forecast_frame(self.target_names_, point, extra, index)

    def _future_names(self):
        return [self._dynamic_names[i] for i in self.future_indices_]

    def _inputs(self, X, future, last_only=False):
        """The model's forecasts for the rows of ``X`` (``last_only``: the last of
        every series), as a :class:`~sktsmixer.data.encoder.Forecasts`."""
        check_is_fitted(self)
        self._check_input_names(X, reset=False)
        encoder = self.encoder_
        panel, _, _ = parse_panel(
            X,
            self.series_column,
            self.static_columns,
            categories=self._categories(),
            calendar=encoder.calendar,
        )
        unseen = dict(panel.unseen)
        values = encoder.future_values(panel, future, unseen)
        warn_unseen(unseen, stacklevel=4)
        windows = encoder.transform(panel, values, last_only, context=self.context)
        distribution = resolve_distribution(self.devices, for_prediction=True)
        if not placed_for(self.model_, distribution):
            distribution = None
        with scope(distribution):
            raw = predict_windows(
                self.model_,
                windows.layout,
                windows.series,
                windows.ends,
                windows.blocks,
                windows.static,
                predict_batch_size(self.input_size_, windows.series.shape[1]),
                jit_compile=self.jit_compile_,
            )
        return Forecasts(encoder, windows, raw, self.quantiles_)

    def _layout(self, forecasts):
        """``(n, steps, n_outputs)`` forecasts in the shape ``predict`` documents."""
        if self.target_indices_ is None:
            return forecasts[:, 0, 0] if self._y_ndim == 1 else forecasts[:, 0, :]
        return forecasts.reshape(len(forecasts), -1)

    def score(self, X, y=None):
        """R² of the point forecasts (uniform average over outputs).

        Parameters
        ----------
        X : array-like or DataFrame
        y : array-like of shape (n_rows,) or (n_rows, n_outputs), default=None
            Required if and only if ``y`` was given to ``fit``. With
            ``y=None`` the truth is the future of ``target_columns`` inside
            ``X``: rows whose whole horizon lies in their series are scored.

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
            inputs = self._inputs(X, None)
            y_true = inputs.future_truth()
            y_pred = self._layout(inputs.unscale(inputs.point()))
            y_true = self._layout(y_true)
            keep = np.isfinite(y_true).all(axis=1) & np.isfinite(y_pred).all(axis=1)
            if not keep.any():
                raise ValueError(
                    "score(X) compares forecasts with the future inside X, so X needs more "
                    f"than horizon={self.horizon} rows (per series); got {len(y_pred)} rows."
                )
            return r2_score(y_true[keep], y_pred[keep])
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

    def __setstate__(self, state):
        state.setdefault("devices", None)  # pickled before the parameter existed
        state.setdefault("categorical_embedding", "auto")
        # Pickled before calendars: fitted, and to be refitted, on a continuous
        # clock (the legacy encoder reads no calendar_ as None).
        state.setdefault("calendar", None)
        state.setdefault("max_steps", "auto")
        if "model_" in state and "input_size_" not in state:
            # Fitted before the settings decided from the data: they were the parameters.
            state["input_size_"] = state["input_size"]
            state["dropout_"] = state["dropout"]
            state["epochs_"] = state["epochs"]
            state["steps_per_epoch_"] = state["steps_per_epoch"]
            state["patience_"] = state["patience"]
            state["season_length_"] = None
        if "model_" in state and "encoder_" not in state:
            # Pickled with the flat layout (0.2): what fit learned about the data lay in
            # private attributes of the estimator; it now lies in the encoder.
            state["encoder_"] = legacy_encoder(state)
        super().__setstate__(state)

    # What fit learned about the data lies in the encoder; these fitted
    # attributes are read from it.
    series_mean_ = property(lambda self: self.encoder_.series_mean_)
    series_scale_ = property(lambda self: self.encoder_.series_scale_)
    series_labels_ = property(lambda self: list(self.encoder_.series_codes_))
    calendar_ = property(lambda self: self.encoder_.calendar)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        tags.target_tags.multi_output = True
        # NaN marks a missing value (masked in the loss, filled as input).
        tags.input_tags.allow_nan = True
        return tags


def _same(a, b):
    try:
        return bool(np.all(np.asarray(a, dtype=object) == np.asarray(b, dtype=object))) and (
            np.shape(np.asarray(a, dtype=object)) == np.shape(np.asarray(b, dtype=object))
        )
    except (ValueError, TypeError):
        return a == b
