"""Forecasts of a fitted estimator for the rows of a new ``X``.

Every series of ``X`` is laid out as ``input_size - 1`` context rows (the
end of the series seen in ``fit``, or its first row repeated), its own rows,
and ``horizon`` rows after its end that hold the known-ahead values given by
``future=`` (or nothing: forecasts that would read them are NaN).
"""

import copy

import numpy as np
import pandas as pd

from sktsmixer import _training
from sktsmixer.data import key_names, parse_panel, series_key
from sktsmixer.preparation import fill_forward, standardize_blocks
from sktsmixer.time_features import time_feature_matrix
from sktsmixer.windowing import predict_windows

__all__ = ["ForecastInputs", "future_rows"]


def future_rows(est, panel, future, unseen=None):
    """Check ``future`` and return its values ``(n_series, horizon, n_future)``, or None.

    Categories of ``future`` not seen in ``fit`` are added to ``unseen``.
    """
    names = [est._dynamic_names[i] for i in est.future_indices_]
    if future is None:
        return None
    if not names:
        raise ValueError(
            "future= holds values of future_columns, and this estimator has none; fit it "
            "with future_columns=[...] or drop future=."
        )
    horizon = est.horizon
    categories = getattr(est, "categories_", None) or {}
    if not isinstance(future, pd.DataFrame):
        coded = [name for name in names if name in categories]
        if coded:
            raise ValueError(
                f"future_columns {coded} hold categories: pass future= as a DataFrame with "
                "those columns (an array holds no category labels)."
            )
        values = np.asarray(future, dtype=np.float64)
        if len(panel.labels) > 1 or values.shape != (horizon, len(names)):
            raise ValueError(
                f"future must hold the next horizon={horizon} rows of {names}: a DataFrame "
                f"indexed like X, or an array of shape ({horizon}, {len(names)}); got an "
                f"array of shape {values.shape}."
            )
        if not np.isfinite(values).all():
            raise ValueError("future holds NaN or infinite values; pass the known values.")
        return values[None]
    missing = [name for name in names if name not in future.columns]
    if missing:
        raise ValueError(
            f"future lacks the column(s) {missing}; it must hold the future_columns {names} "
            f"for the next {horizon} rows after X."
        )
    keep = names + [c for c in key_names(est.series_column) if c in future.columns]
    f_panel, _, f_dynamic = parse_panel(
        future[keep],
        est.series_column,
        categories=categories,
        calendar=getattr(est, "calendar_", None),
    )
    if unseen is not None:
        for name, values in f_panel.unseen.items():
            known = unseen.setdefault(name, [])
            known.extend(v for v in values if v not in known)
    found = {label: i for i, label in enumerate(f_panel.labels)}
    out = np.empty((len(panel.labels), horizon, len(names)))
    for i, label in enumerate(panel.labels):
        what = "future" if label is None else f"future of series {label!r}"
        if label not in found:
            raise ValueError(f"future has no rows for series {label!r}; pass {horizon} rows.")
        j = found[label]
        expected = panel.next_label(i)
        if expected is not None and f_panel.starts[j] != expected:
            raise ValueError(
                f"The {what} starts at {f_panel.starts[j]}, but X ends just before "
                f"{expected}: future must continue X's index (its first row at {expected})."
            )
        block = slice(f_panel.offsets[j], f_panel.offsets[j + 1])
        rows = f_panel.dynamic[block][:horizon]
        if len(rows) < horizon or not f_panel.present[block][:horizon].all():
            raise ValueError(
                f"The {what} holds {int(f_panel.present[block][:horizon].sum())} of the "
                f"{horizon} rows needed: pass every one of the next horizon={horizon} steps."
            )
        if not np.isfinite(rows).all():
            raise ValueError(
                f"The {what} holds NaN or infinite values in {names}; pass the known values."
            )
        out[i] = rows[:, [f_dynamic.index(name) for name in names]]
    return out


class ForecastInputs:
    """Scaled model outputs for the rows of ``X`` (or the last row of every series)."""

    def __init__(self, est, panel, X, future, last_only=False):
        self.est, self.panel = est, panel
        lead, trail = est.input_size_ - 1, est.horizon
        lengths = panel.lengths
        n_series = len(panel.labels)
        codes = [est._series_codes.get(label) for label in panel.labels]
        self.mean, self.scale = _training.block_statistics(est, panel, codes)
        dynamic = panel.dynamic
        if est.target_indices_ is not None and not last_only:
            # In the dtype of the panel: future_truth converts only what it reads.
            self._raw_targets = dynamic[:, est.target_indices_]
        standardize_blocks(dynamic, panel.offsets, self.mean, self.scale)
        fill_forward(dynamic, panel.offsets)
        # Every series laid out as lead + own + trail rows; forecasting the
        # last row only keeps the last input_size + trail of them (big panels:
        # no copy of the whole history).
        extended = lengths + lead + trail
        kept = np.minimum(extended, est.input_size_ + trail) if last_only else extended
        skip = extended - kept
        ext_offsets = np.concatenate([[0], np.cumsum(kept)])
        n_dyn, names = dynamic.shape[1], est.time_feature_names_
        wide = np.zeros((ext_offsets[-1], n_dyn + 2 * len(names)), dtype="float32")
        series = wide[:, :n_dyn]
        known = np.ones(ext_offsets[-1], dtype=bool)
        future_idx = est.future_indices_
        for i in range(n_series):
            start, stop = ext_offsets[i], ext_offsets[i + 1]
            block = dynamic[panel.offsets[i] : panel.offsets[i + 1]]
            head = self._lead_rows(X, i, codes[i], block)[skip[i] :]
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
                    scaled = (future[i] - self.mean[i, future_idx]) / self.scale[i, future_idx]
                    series[tail, future_idx] = scaled
        self.series = wide
        self.layout = _training.layout_of(est, n_dyn)
        if last_only:
            block_of_row = np.arange(n_series)
            positions = lengths - 1
        else:
            block_of_row = np.searchsorted(panel.offsets, panel.rows, side="right") - 1
            positions = panel.rows - panel.offsets[block_of_row]
        self.blocks, self.positions = block_of_row, positions
        self.ends = ext_offsets[block_of_row] - skip[block_of_row] + lead + positions
        lookahead = est.horizon if est.target_indices_ is not None else 0
        unknown = np.concatenate([[0], np.cumsum(~known)])
        self.needs_future = (unknown[self.ends + lookahead + 1] - unknown[self.ends + 1]) > 0
        static = _training.scaled_static(est, panel)
        batch = _training.predict_batch_size(est, self.layout, self.series.shape[1])
        self.raw = predict_windows(
            est.model_,
            self.layout,
            self.series,
            self.ends,
            self.blocks,
            static,
            batch,
            jit_compile=est.jit_compile_,
        )
        self.raw[self.needs_future] = np.nan

    def _lead_rows(self, X, i, code, block):
        est, lead = self.est, self.est.input_size_ - 1
        context = est._context
        continues = code is not None and (
            (est.context == "continue" and len(self.panel.labels) == 1)
            or (
                est.context == "auto"
                and self.panel.starts[i] is not None
                and context["next"][code] is not None
                and self.panel.starts[i] == context["next"][code]
            )
        )
        if continues:
            return context["rows"][code]
        return np.repeat(block[:1], lead, axis=0)

    def point(self):
        """Scaled point forecasts ``(n, steps, n_targets)``: the median for quantiles."""
        if self.est.quantiles_ is None:
            return self.raw
        median = int(np.flatnonzero(np.isclose(self.est.quantiles_, 0.5))[0])
        return self.raw[..., median]

    def _target_statistics(self, ndim):
        est = self.est
        if est.target_indices_ is None:
            return est._y_mean[0], est._y_scale[0]
        mean = self.mean[self.blocks][:, None, est.target_indices_]
        scale = self.scale[self.blocks][:, None, est.target_indices_]
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
        """Positions, among the rows of ``X``, of the last row of every series."""
        last = np.full(len(self.panel.labels), -1)
        np.maximum.at(last, self.blocks, np.arange(len(self.blocks)))
        return last

    def take(self, rows):
        """These inputs restricted to the forecasts of ``rows`` (positions among them)."""
        taken = copy.copy(self)
        taken.raw, taken.blocks = self.raw[rows], self.blocks[rows]
        taken.positions, taken.ends = self.positions[rows], self.ends[rows]
        return taken

    def future_truth(self):
        """The targets on the ``horizon`` rows after every row, inside its series (else NaN)."""
        panel, est = self.panel, self.est
        raw = self._raw_targets
        lengths = panel.lengths
        block = self.blocks
        position = panel.rows - panel.offsets[block]
        steps = np.arange(1, est.horizon + 1)
        target_pos = position[:, None] + steps
        inside = target_pos < lengths[block][:, None]
        rows = panel.offsets[block][:, None] + np.minimum(target_pos, lengths[block][:, None] - 1)
        truth = raw[rows].astype(np.float64, copy=False)
        truth[~inside] = np.nan
        return truth

    def forecast_index(self):
        """Index of ``forecast``'s rows: continued time, per series for a panel."""
        panel, est = self.panel, self.est
        if panel.index_kind is None:
            return None
        starts = [panel.next_label(i) for i in range(len(panel.labels))]
        if len(panel.labels) == 1 and panel.labels[0] is None:
            return _steps_after(panel, starts[0], est.horizon).rename(panel.time_name)
        times = _continued_times(panel, starts, est.horizon)
        key = series_key(est.series_column)
        time_name = panel.time_name or "time"
        if isinstance(key, list):  # a compound key: one level per key column
            labels = pd.MultiIndex.from_tuples(panel.labels).repeat(est.horizon)
            levels = [labels.get_level_values(i) for i in range(len(key))]
            return pd.MultiIndex.from_arrays([*levels, times], names=[*key, time_name])
        labels = np.repeat(np.asarray(panel.labels, dtype=object), est.horizon)
        name = key if key is not None else "series"
        return pd.MultiIndex.from_arrays([labels, times], names=[name, time_name])


def _steps_after(panel, start, horizon):
    if panel.calendar is not None:  # business hours and days: on to the next session
        return panel.calendar.range(start, horizon)
    if panel.index_kind == "integer":
        return pd.RangeIndex(start, start + horizon * panel.step, panel.step)
    return pd.date_range(start, periods=horizon, freq=panel.step)


def _continued_times(panel, starts, horizon):
    """``horizon`` time labels from each of ``starts``, one flat index for all series.

    Fixed steps are added to all series at once: one small index per series
    would cost more than the forecasts on a panel of tens of thousands.
    """
    if panel.index_kind == "integer":
        return pd.Index((np.asarray(starts)[:, None] + panel.step * np.arange(horizon)).ravel())
    if panel.calendar is not None:
        return panel.calendar.continued(starts, horizon)
    try:
        step = pd.Timedelta(panel.step)
    except (TypeError, ValueError):  # calendar offsets (months, business days)
        pieces = [_steps_after(panel, start, horizon) for start in starts]
        return pieces[0].append(pieces[1:]) if len(pieces) > 1 else pieces[0]
    first = pd.DatetimeIndex(starts)
    tz = first.tz
    if tz is not None:  # fixed steps are fixed in UTC, across daylight saving changes
        first = first.tz_convert("UTC").tz_localize(None)
    offsets = step.to_timedelta64() * np.arange(horizon)
    times = pd.DatetimeIndex((first.values[:, None] + offsets).ravel())
    return times if tz is None else times.tz_localize("UTC").tz_convert(tz)


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
