"""What ``fit`` learns about the data, applied to training and forecasting alike.

:class:`PanelEncoder` is a fitted transformer in the manner of
scikit-learn's ``_BinMapper``: :meth:`~PanelEncoder.fit_transform` learns the
per-series scaling statistics (from the rows the training windows read,
never from the hold-out's own), the static statistics, the series codes and
the context rows that a later forecast continues from, and returns the
training windows; :meth:`~PanelEncoder.transform` lays out the windows of a
new ``X`` with the same statistics and calendar features;
:class:`Forecasts` maps the model's scaled outputs back to the data's units
and index. Nothing here imports Keras: the model is run by the caller.

For prediction every series of ``X`` is laid out as ``input_size - 1``
context rows (the end of the series seen in ``fit``, or its first row
repeated), its own rows, and ``horizon`` rows after its end that hold the
known-ahead values given by ``future=`` (or nothing: forecasts that would
read them are NaN).
"""

import numpy as np
import pandas as pd

from sktsmixer.data.categorical import keep_unscaled
from sktsmixer.data.future import continued_times, future_values, steps_after
from sktsmixer.data.keys import series_key
from sktsmixer.data.scaling import (
    fill_forward,
    last_window_ends,
    scaling_statistics,
    split_by_series,
    standardize_blocks,
    valid_window_ends,
)
from sktsmixer.data.time_features import time_feature_matrix
from sktsmixer.data.windows import PredictionWindows, TrainingWindows, WindowLayout

__all__ = ["PanelEncoder"]


class PanelEncoder:
    """Fitted encoding of a panel: scaling, calendar features and context.

    Parameters
    ----------
    input_size, horizon : int
        Window length and forecast horizon.
    dynamic_names, static_names : list
        Names of the time-varying and static columns of the panel.
    target_indices : ndarray of int or None
        Columns of the panel that are forecast (None: targets are a
        separate ``y``, one step per window).
    future_indices : ndarray of int
        Columns known ahead, read on the horizon rows.
    time_feature_names : list of str
        Calendar features appended to every row.
    categories : dict
        Categories of the categorical columns: their codes are not scaled.
    series_column : str, list or None
        The series key, for the index of forecasts.
    calendar : SessionCalendar or None
        Business calendar the panel lies on.
    named : bool, default=False
        Whether the model takes named inputs even without known-ahead and
        static columns (quantile outputs, category codes).

    Attributes
    ----------
    series_codes_ : dict
        Code of every series label seen in ``fit``.
    series_mean_, series_scale_ : ndarray of shape (n_series, n_dynamic)
    y_mean_, y_scale_ : ndarray or None
        Statistics of ``y`` per series (None: no ``y``).
    static_mean_, static_scale_ : ndarray or None
    context_ : dict
        ``"rows"``: the last ``input_size - 1`` scaled rows of every series;
        ``"next"``: the time label that would follow each series.
    """

    def __init__(
        self,
        *,
        input_size,
        horizon,
        dynamic_names,
        static_names,
        target_indices,
        future_indices,
        time_feature_names,
        categories=None,
        series_column=None,
        calendar=None,
        named=False,
    ):
        self.input_size = int(input_size)
        self.horizon = int(horizon)
        self.dynamic_names = list(dynamic_names)
        self.static_names = list(static_names)
        self.target_indices = target_indices
        self.future_indices = np.asarray(future_indices, dtype=int)
        self.time_feature_names = list(time_feature_names)
        self.categories = dict(categories or {})
        self.series_column = series_column
        self.calendar = calendar
        self.named = bool(named)

    # ------------------------------------------------------------ layout

    @property
    def forecasts_columns(self):
        """Whether the targets are columns of the panel (``y`` is None)."""
        return self.target_indices is not None

    @property
    def layout(self):
        """The model inputs: plain past window, or named inputs."""
        n_dynamic = len(self.dynamic_names)
        n_time = 2 * len(self.time_feature_names)
        future = tuple(int(i) for i in self.future_indices) + tuple(
            range(n_dynamic, n_dynamic + n_time)
        )
        n_static = len(self.static_names)
        named = bool(future) or n_static > 0 or self.named
        return WindowLayout(self.input_size, self.horizon, None, future, n_static, named)

    @property
    def n_columns(self):
        """Width of the series array the model reads."""
        return len(self.dynamic_names) + 2 * len(self.time_feature_names)

    # ------------------------------------------------------------ training

    def fit_transform(self, panel, y=None, holdout=None):
        """Learn the statistics of ``panel`` (and ``y``); return its training windows.

        Parameters
        ----------
        panel : Panel
            Its ``dynamic`` array is scaled and filled in place.
        y : ndarray of shape (n_rows, n_outputs) or None
        holdout : (float, str) or None
            ``(validation_fraction, how to turn it off)``: the last share of
            every series' windows is held out for early stopping, and the
            statistics come from the rows the training windows read only.

        Returns
        -------
        TrainingWindows
        """
        return self._training_windows(panel, y, holdout, learn=True)

    def transform_training(self, panel, y=None, holdout=None):
        """Training windows of ``panel`` with the statistics learned already (warm start)."""
        return self._training_windows(panel, y, holdout, learn=False)

    def _training_windows(self, panel, y, holdout, learn):
        offsets, dynamic = panel.offsets, panel.dynamic
        n_rows = int(np.count_nonzero(panel.present))  # the rows of X
        if self.forecasts_columns:
            # The targets are columns of the series: no copy of them is made,
            # the trainer reads them there.
            observed = np.column_stack([~np.isnan(dynamic[:, i]) for i in self.target_indices])
            target_offsets = np.arange(1, self.horizon + 1)
        else:
            raw_targets = np.full((len(dynamic), y.shape[1]), np.nan)
            raw_targets[panel.rows] = y
            observed = ~np.isnan(raw_targets)
            target_offsets = np.zeros(1, dtype=int)
        ends, codes = valid_window_ends(
            panel.present, offsets, self.input_size, target_offsets, observed.any(axis=1)
        )
        lookahead = int(target_offsets[-1])
        if len(ends) == 0:
            raise self._too_few_rows(n_rows, lookahead, holdout)
        validation = None
        train = np.ones(len(ends), dtype=bool)
        if holdout is not None:
            fraction, _ = holdout
            gap = max(lookahead, 1)
            train, held_out = split_by_series(ends, codes, len(panel.labels), fraction, gap)
            if not train.any():
                if n_rows < self.input_size + lookahead + gap:
                    raise self._too_few_rows(n_rows, lookahead, holdout)
                raise ValueError(
                    f"Too few windows to hold out validation_fraction={fraction} for early "
                    f"stopping: {len(ends)} windows. Pass more rows or {holdout[1]}."
                )
            validation = (ends[held_out], codes[held_out])
        if learn:
            # Statistics come from the rows training windows read, never from
            # rows that only the hold-out reads.
            stops = offsets[1:].copy()
            last_train = last_window_ends(ends, codes, train, len(panel.labels))
            has = last_train >= 0
            stops[has] = last_train[has] + lookahead + 1
            self._learn(panel, None if self.forecasts_columns else raw_targets, stops)
        block_codes = [self.series_codes_.get(label) for label in panel.labels]
        mean, scale = self.block_statistics(panel, block_codes)
        standardize_blocks(dynamic, offsets, mean, scale)
        targets = target_columns = None
        if self.forecasts_columns:
            # Missing targets hold filled inputs there, masked out of the loss.
            target_columns = tuple(int(i) for i in self.target_indices)
        else:
            targets = (raw_targets - self.y_mean_[0]) / self.y_scale_[0]
            targets = np.nan_to_num(targets).astype("float32")
        target_mask = observed.astype("float32") if not observed.all() else None
        del observed
        fill_forward(dynamic, offsets)
        # The model's copy of the series: one float32 array, and no second one
        # when there are no calendar columns to append (big panels).
        if self.time_feature_names:
            calendar = np.concatenate(
                [
                    time_feature_matrix(panel.block_times(i), self.time_feature_names, np.float32)
                    for i in range(len(panel.labels))
                ]
            )
            series = np.concatenate([dynamic, calendar], axis=1, dtype=np.float32)
        else:
            series = dynamic.astype(np.float32, copy=False)
        if learn:
            self.context_ = self._context(panel, dynamic)
        return TrainingWindows(
            self.layout,
            series,
            targets,
            target_columns,
            target_mask,
            target_offsets,
            self.scaled_static(panel),
            (ends, codes) if train.all() else (ends[train], codes[train]),
            validation,
        )

    def _learn(self, panel, raw_targets, stops):
        offsets, dynamic = panel.offsets, panel.dynamic
        self.series_mean_, self.series_scale_ = scaling_statistics(dynamic, offsets, stops)
        self.series_codes_ = {label: i for i, label in enumerate(panel.labels)}
        self.y_mean_ = self.y_scale_ = None
        if raw_targets is not None:
            self.y_mean_, self.y_scale_ = scaling_statistics(raw_targets, offsets, stops)
        self.static_mean_ = self.static_scale_ = None
        if panel.static.shape[1]:
            self.static_mean_ = panel.static.mean(axis=0)
            std = panel.static.std(axis=0)
            self.static_scale_ = np.where(std > 0, std, 1.0)
        # Category codes are labels: never standardised (see categorical).
        keep_unscaled(self.dynamic_names, self.categories, self.series_mean_, self.series_scale_)
        keep_unscaled(self.static_names, self.categories, self.static_mean_, self.static_scale_)

    def _too_few_rows(self, n_rows, lookahead, holdout):
        extra = max(lookahead, 1) if holdout is not None else 0
        needed = self.input_size + lookahead + extra
        what = f"input_size={self.input_size}"
        if lookahead:
            what += f" + horizon={self.horizon}"
        if extra:
            what += f" + {extra} for the early-stopping hold-out"
        return ValueError(
            f"Too few rows to train on: got n_samples = {n_rows}, but {what} needs at least "
            f"{needed} rows with a target (per series). Pass more rows, lower input_size"
            + (f" or {holdout[1]}." if holdout is not None else ".")
        )

    def _context(self, panel, dynamic):
        """The last ``input_size - 1`` scaled rows of every series, and what follows them."""
        lead = self.input_size - 1
        rows = np.empty((len(panel.labels), lead, dynamic.shape[1]), dtype="float32")
        for i in range(len(panel.labels)):
            block = (
                dynamic[panel.offsets[i] : panel.offsets[i + 1]][-lead:] if lead else dynamic[:0]
            )
            if len(block) < lead:
                block = np.concatenate([np.repeat(block[:1], lead - len(block), axis=0), block])
            rows[i] = block
        return {"rows": rows, "next": [panel.next_label(i) for i in range(len(panel.labels))]}

    # ------------------------------------------------------------ statistics

    def block_statistics(self, panel, block_codes):
        """Mean and scale of every block: the fitted ones for series seen in
        ``fit``, else the block's own (a series new to the model)."""
        unseen = [i for i, c in enumerate(block_codes) if c is None]
        own_mean = own_scale = None
        if unseen:
            own_mean, own_scale = scaling_statistics(
                panel.dynamic, panel.offsets, panel.offsets[1:]
            )
        n_columns = panel.dynamic.shape[1]
        mean = np.empty((len(block_codes), n_columns))
        scale = np.empty((len(block_codes), n_columns))
        for i, c in enumerate(block_codes):
            mean[i] = self.series_mean_[c] if c is not None else own_mean[i]
            scale[i] = self.series_scale_[c] if c is not None else own_scale[i]
        keep_unscaled(self.dynamic_names, self.categories, mean, scale)  # a new series' own
        return mean, scale

    def scaled_static(self, panel):
        """The static table of ``panel`` with the fitted statistics (None: no statics)."""
        if self.static_mean_ is None:
            return None
        return ((panel.static - self.static_mean_) / self.static_scale_).astype("float32")

    # ------------------------------------------------------------ prediction

    def future_values(self, panel, future, unseen=None):
        """Check ``future`` for ``panel``: its values ``(n_series, horizon, n_future)``, or None.

        See :func:`sktsmixer.data.future.future_values`.
        """
        names = [self.dynamic_names[i] for i in self.future_indices]
        return future_values(
            panel,
            future,
            names,
            self.horizon,
            self.series_column,
            self.categories,
            self.calendar,
            unseen,
        )

    def transform(self, panel, future=None, last_only=False, context="auto"):
        """The prediction windows of every row of ``panel`` (or its series' last rows).

        Parameters
        ----------
        panel : Panel
            Its ``dynamic`` array is scaled and filled in place.
        future : ndarray of shape (n_series, horizon, n_future) or None
            Known-ahead values after every series (see :meth:`future_values`).
        last_only : bool, default=False
            Only the window of the last row of every series (``forecast``).
        context : {"auto", "continue", "pad"}, default="auto"
            What a series' first window reads before its first row: the end
            of the same series in ``fit`` when ``X`` continues it ("auto"),
            always for a single series ("continue"), or its first row
            repeated ("pad").

        Returns
        -------
        PredictionWindows
        """
        lead, trail = self.input_size - 1, self.horizon
        lengths = panel.lengths
        n_series = len(panel.labels)
        codes = [self.series_codes_.get(label) for label in panel.labels]
        mean, scale = self.block_statistics(panel, codes)
        dynamic = panel.dynamic
        raw_targets = None
        if self.forecasts_columns and not last_only:
            # In the dtype of the panel: future_truth converts only what it reads.
            raw_targets = dynamic[:, self.target_indices]
        standardize_blocks(dynamic, panel.offsets, mean, scale)
        fill_forward(dynamic, panel.offsets)
        # Every series laid out as lead + own + trail rows; forecasting the
        # last row only keeps the last input_size + trail of them (big panels:
        # no copy of the whole history).
        extended = lengths + lead + trail
        kept = np.minimum(extended, self.input_size + trail) if last_only else extended
        skip = extended - kept
        ext_offsets = np.concatenate([[0], np.cumsum(kept)])
        n_dyn, names = dynamic.shape[1], self.time_feature_names
        wide = np.zeros((ext_offsets[-1], n_dyn + 2 * len(names)), dtype="float32")
        series = wide[:, :n_dyn]
        known = np.ones(ext_offsets[-1], dtype=bool)
        future_idx = self.future_indices
        for i in range(n_series):
            start, stop = ext_offsets[i], ext_offsets[i + 1]
            block = dynamic[panel.offsets[i] : panel.offsets[i + 1]]
            head = self._lead_rows(panel, i, codes[i], block, context)[skip[i] :]
            body = block[max(skip[i] - lead, 0) :]
            series[start : start + len(head)] = head
            series[start + len(head) : start + len(head) + len(body)] = body
            if names:
                times = panel.block_times(i, lead, trail)[skip[i] :]
                wide[start:stop, n_dyn:] = time_feature_matrix(times, names, np.float32)
            tail = slice(stop - trail, stop)
            if len(future_idx):
                if future is None:
                    known[tail] = False
                else:
                    scaled = (future[i] - mean[i, future_idx]) / scale[i, future_idx]
                    series[tail, future_idx] = scaled
        if last_only:
            blocks = np.arange(n_series)
            positions = lengths - 1
        else:
            blocks = np.searchsorted(panel.offsets, panel.rows, side="right") - 1
            positions = panel.rows - panel.offsets[blocks]
        ends = ext_offsets[blocks] - skip[blocks] + lead + positions
        lookahead = self.horizon if self.forecasts_columns else 0
        unknown = np.concatenate([[0], np.cumsum(~known)])
        needs_future = (unknown[ends + lookahead + 1] - unknown[ends + 1]) > 0
        return PredictionWindows(
            self.layout,
            wide,
            ends,
            blocks,
            positions,
            self.scaled_static(panel),
            needs_future,
            mean,
            scale,
            raw_targets,
            panel,
        )

    def _lead_rows(self, panel, i, code, block, context):
        lead = self.input_size - 1
        fitted = self.context_
        continues = code is not None and (
            (context == "continue" and len(panel.labels) == 1)
            or (
                context == "auto"
                and panel.starts[i] is not None
                and fitted["next"][code] is not None
                and panel.starts[i] == fitted["next"][code]
            )
        )
        if continues:
            return fitted["rows"][code]
        return np.repeat(block[:1], lead, axis=0)

    def forecast_index(self, panel):
        """Index of the ``horizon`` rows after every series of ``panel`` (None: no time index).

        Continued time, with the series key as the first level(s) for a panel.
        """
        if panel.index_kind is None:
            return None
        starts = [panel.next_label(i) for i in range(len(panel.labels))]
        if len(panel.labels) == 1 and panel.labels[0] is None:
            return steps_after(panel, starts[0], self.horizon).rename(panel.time_name)
        times = continued_times(panel, starts, self.horizon)
        key = series_key(self.series_column)
        time_name = panel.time_name or "time"
        if isinstance(key, list):  # a compound key: one level per key column
            labels = pd.MultiIndex.from_tuples(panel.labels).repeat(self.horizon)
            levels = [labels.get_level_values(i) for i in range(len(key))]
            return pd.MultiIndex.from_arrays([*levels, times], names=[*key, time_name])
        labels = np.repeat(np.asarray(panel.labels, dtype=object), self.horizon)
        name = key if key is not None else "series"
        return pd.MultiIndex.from_arrays([labels, times], names=[name, time_name])
