"""What ``TSMixerRegressor.fit`` does between checking ``X`` and storing the model.

Turns a checked :class:`~sktsmixer.data.Panel` into training arrays (scaled
per series, gaps filled and masked, windows chosen and split), trains the
Keras model with early stopping and interruption handling, and calibrates
intervals on the hold-out.
"""

import warnings
from dataclasses import dataclass

import keras
import numpy as np

from sktsmixer._devices import n_replicas, round_up
from sktsmixer._flat_adam import FlatAdam, flat_adam_usable
from sktsmixer._quiet import no_retracing_notes
from sktsmixer._tf_input import fit_input
from sktsmixer._tf_references import ReleaseTensorFlowReferences
from sktsmixer._xla_steps import StepGroups, install_grouped_steps, steps_per_group
from sktsmixer.calibration import SplitConformal
from sktsmixer.categorical import keep_unscaled, model_categoricals
from sktsmixer.model import build_tsmixer, dense_flops
from sktsmixer.model_ext import build_tsmixer_ext
from sktsmixer.preparation import (
    fill_forward,
    last_window_ends,
    scaling_statistics,
    split_by_series,
    standardize_blocks,
    valid_window_ends,
)
from sktsmixer.time_features import time_feature_matrix
from sktsmixer.windowing import (
    GatheredTrainer,
    GatheredWindows,
    WindowedTrainer,
    WindowEndBatches,
    WindowLayout,
    numpy_targets,
    predict_windows,
)

# Cap on the values of one predict batch of windows: every activation of the
# forward pass is about that size, so wide series get fewer windows per batch.
PREDICT_BUDGET_VALUES = 4 * 2**20
STEPS_PER_EXECUTION = 16
# Hold-out windows scored at each early-stopping check (at most).
VALIDATION_WINDOWS = 2048
# Planned training FLOPs from which XLA's compile time (a few seconds on a
# CPU, paid again for each new batch shape) is won back: XLA ran the
# ETTh1-sized step 1.2-2x faster on two cores, a 48-step, 3-channel model's
# 1,000-window fit lost 3-5 s to compiling.
XLA_MIN_TRAINING_FLOPS = 3e11


def resolve_jit_compile(est, n_columns, windows_per_epoch):
    """The ``jit_compile`` a fit compiles with: the user's, ours on TensorFlow, or Keras'."""
    if est.jit_compile != "auto":
        return bool(est.jit_compile)
    if keras.backend.backend() != "tensorflow":
        return "auto"  # JAX always compiles; torch.compile starts slower than it gains here
    flops = dense_flops(est.input_size_, est.horizon, n_columns, est.n_blocks, est.ff_dim)
    # Below the bar, Keras decides: XLA with a GPU, none on a CPU.
    return True if 3 * flops * windows_per_epoch * est.epochs_ >= XLA_MIN_TRAINING_FLOPS else "auto"


# Series bigger than this are not copied into the backend: their windows are
# gathered in NumPy, batch by batch (see windowing.GatheredWindows).
GATHER_IN_NUMPY_BYTES = 256 * 2**20


@dataclass
class Prepared:
    layout: WindowLayout
    series: np.ndarray
    targets: object  # None: the target_columns of series
    target_columns: object
    target_mask: object
    target_offsets: np.ndarray
    static: object
    train: tuple
    validation: object
    context: dict


def layout_of(est, n_dynamic):
    """The model inputs of ``est``: plain past window, or named inputs."""
    n_time = 2 * len(est.time_feature_names_)
    n_static = len(est._static_mean) if est._static_mean is not None else 0
    future = tuple(int(i) for i in est.future_indices_) + tuple(
        range(n_dynamic, n_dynamic + n_time)
    )
    # Category codes are encoded inside the Ext model only.
    coded = bool(getattr(est, "categorical_encoding_", None))
    named = bool(future) or n_static > 0 or est.quantiles_ is not None or coded
    return WindowLayout(est.input_size_, est.horizon, None, future, n_static, named)


def predict_batch_size(est, layout, n_columns):
    per_window = est.input_size_ * n_columns
    return int(max(1, min(1024, PREDICT_BUDGET_VALUES // per_window)))


def time_feature_rows(panel, names, dtype=np.float32):
    """Time features of the rows of every block (``names`` must not be empty)."""
    return np.concatenate(
        [time_feature_matrix(panel.block_times(i), names, dtype) for i in range(len(panel.labels))]
    )


def _too_few_rows(est, n_rows, lookahead):
    needed = est.input_size_ + lookahead + (max(lookahead, 1) if est.early_stopping else 0)
    what = f"input_size={est.input_size_}"
    if lookahead:
        what += f" + horizon={est.horizon}"
    if est.early_stopping:
        what += f" + {max(lookahead, 1)} for the early-stopping hold-out"
    return ValueError(
        f"Too few rows to train on: got n_samples = {n_rows}, but {what} needs at least "
        f"{needed} rows with a target (per series). Pass more rows, lower input_size"
        + (" or set early_stopping=False." if est.early_stopping else ".")
    )


def prepare(est, panel, y, warm):
    """Scale, fill and window ``panel`` (and ``y``) for training ``est``."""
    offsets, dynamic = panel.offsets, panel.dynamic
    n_rows = int(np.count_nonzero(panel.present))  # the rows of X
    mode_1 = y is None
    if mode_1:
        # The targets are columns of the series: no copy of them is made, the
        # trainer reads them there.
        observed = np.column_stack([~np.isnan(dynamic[:, i]) for i in est.target_indices_])
        target_offsets = np.arange(1, est.horizon + 1)
    else:
        raw_targets = np.full((len(dynamic), est.n_outputs_), np.nan)
        raw_targets[panel.rows] = y.reshape(len(y), -1)
        observed = ~np.isnan(raw_targets)
        target_offsets = np.zeros(1, dtype=int)
    ends, codes = valid_window_ends(
        panel.present, offsets, est.input_size_, target_offsets, observed.any(axis=1)
    )
    lookahead = int(target_offsets[-1])
    if len(ends) == 0:
        raise _too_few_rows(est, n_rows, lookahead)
    validation = None
    train = np.ones(len(ends), dtype=bool)
    if est.early_stopping:
        gap = max(lookahead, 1)
        train, held_out = split_by_series(
            ends, codes, len(panel.labels), est.validation_fraction, gap
        )
        if not train.any():
            if n_rows < est.input_size_ + lookahead + gap:
                raise _too_few_rows(est, n_rows, lookahead)
            raise ValueError(
                f"Too few windows to hold out validation_fraction={est.validation_fraction} "
                f"for early stopping: {len(ends)} windows. Pass more rows or set "
                "early_stopping=False."
            )
        validation = (ends[held_out], codes[held_out])
    if not warm:
        # Statistics come from the rows training windows read, never from rows
        # that only the hold-out reads.
        stops = offsets[1:].copy()
        last_train = last_window_ends(ends, codes, train, len(panel.labels))
        has = last_train >= 0
        stops[has] = last_train[has] + lookahead + 1
        est.series_mean_, est.series_scale_ = scaling_statistics(dynamic, offsets, stops)
        est._series_codes = {label: i for i, label in enumerate(panel.labels)}
        est._y_mean = est._y_scale = None
        if not mode_1:
            est._y_mean, est._y_scale = scaling_statistics(raw_targets, offsets, stops)
        est._static_mean = est._static_scale = None
        if panel.static.shape[1]:
            est._static_mean = panel.static.mean(axis=0)
            std = panel.static.std(axis=0)
            est._static_scale = np.where(std > 0, std, 1.0)
        # Category codes are labels: never standardised (see categorical).
        keep_unscaled(est, est.series_mean_, est.series_scale_)
        keep_unscaled(est, est._static_mean, est._static_scale, static=True)
    block_codes = [est._series_codes.get(label) for label in panel.labels]
    mean, scale = block_statistics(est, panel, block_codes)
    standardize_blocks(dynamic, offsets, mean, scale)
    targets = target_columns = None
    if mode_1:
        # Missing targets hold filled inputs there, masked out of the loss.
        target_columns = tuple(int(i) for i in est.target_indices_)
    else:
        targets = (raw_targets - est._y_mean[0]) / est._y_scale[0]
        targets = np.nan_to_num(targets).astype("float32")
    target_mask = observed.astype("float32") if not observed.all() else None
    del observed
    fill_forward(dynamic, offsets)
    layout = layout_of(est, dynamic.shape[1])
    # The model's copy of the series: one float32 array, and no second one
    # when there are no calendar columns to append (big panels).
    if est.time_feature_names_:
        calendar = time_feature_rows(panel, est.time_feature_names_, dtype=np.float32)
        series = np.concatenate([dynamic, calendar], axis=1, dtype=np.float32)
    else:
        series = dynamic.astype(np.float32, copy=False)
    static = scaled_static(est, panel)
    context = _context(est, panel, dynamic)
    return Prepared(
        layout,
        series,
        targets,
        target_columns,
        target_mask,
        target_offsets,
        static,
        (ends, codes) if train.all() else (ends[train], codes[train]),
        validation,
        context,
    )


def block_statistics(est, panel, block_codes):
    """Mean and scale of every block: the fitted ones for series seen in
    ``fit``, else the block's own (a series new to the model)."""
    unseen = [i for i, c in enumerate(block_codes) if c is None]
    own_mean = own_scale = None
    if unseen:
        own_mean, own_scale = scaling_statistics(panel.dynamic, panel.offsets, panel.offsets[1:])
    n_columns = panel.dynamic.shape[1]
    mean = np.empty((len(block_codes), n_columns))
    scale = np.empty((len(block_codes), n_columns))
    for i, c in enumerate(block_codes):
        mean[i] = est.series_mean_[c] if c is not None else own_mean[i]
        scale[i] = est.series_scale_[c] if c is not None else own_scale[i]
    keep_unscaled(est, mean, scale)  # a new series' own statistics of codes, too
    return mean, scale


def scaled_static(est, panel):
    if est._static_mean is None:
        return None
    return ((panel.static - est._static_mean) / est._static_scale).astype("float32")


def _context(est, panel, dynamic):
    """The last ``input_size - 1`` scaled rows of every series, and what follows them."""
    lead = est.input_size_ - 1
    rows = np.empty((len(panel.labels), lead, dynamic.shape[1]), dtype="float32")
    for i in range(len(panel.labels)):
        block = dynamic[panel.offsets[i] : panel.offsets[i + 1]][-lead:] if lead else dynamic[:0]
        if len(block) < lead:
            block = np.concatenate([np.repeat(block[:1], lead - len(block), axis=0), block])
        rows[i] = block
    return {
        "rows": rows,
        "next": [panel.next_label(i) for i in range(len(panel.labels))],
    }


def build_model(est, seed, layout):
    """The Keras model ``est`` trains (``build_tsmixer`` or, for named inputs, the Ext one)."""
    mode_1 = est.target_indices_ is not None
    # Instance normalisation rescales the targets by statistics of the
    # past window only; a known-ahead column stays in the units of the
    # series, so with one the effect of that input would change from window
    # to window. Calendar features, category codes and statics are not in
    # those units and keep it on (tourism panel, tuning block: relMASE 0.858
    # with categorical statics and RevIN, 0.895 without RevIN, 0.867 with
    # neither). The series are standardised per series anyway.
    categories = getattr(est, "categories_", None) or {}
    in_units = [i for i in est.future_indices_ if est._dynamic_names[i] not in categories]
    revin = (mode_1 and not in_units) if est.revin == "auto" else bool(est.revin)
    if layout.named:
        # A known-ahead column is read on the horizon in the units of the
        # series: its past values stay in them too.
        known_ahead = set(layout.future_columns)
        n_past = len(est._dynamic_names) + 2 * len(est.time_feature_names_)
        return build_tsmixer_ext(
            input_size=est.input_size_,
            horizon=est.horizon,
            n_past_features=n_past,
            target_indices=est.target_indices_.tolist(),
            n_future_features=len(layout.future_columns),
            n_static_features=layout.n_static,
            n_quantiles=None if est.quantiles_ is None else len(est.quantiles_),
            n_blocks=est.n_blocks,
            ff_dim=est.ff_dim,
            hidden_dim=est.embed_dim,
            dropout=est.dropout_,
            norm=est.norm,
            revin=revin,
            revin_channels=[c for c in range(n_past) if c not in known_ahead],
            seed=seed,
            **model_categoricals(est),
        )
    return build_tsmixer(
        input_size=est.input_size_,
        n_features=len(est._dynamic_names),
        horizon=est.horizon if mode_1 else 1,
        target_indices=est.target_indices_.tolist() if mode_1 else None,
        n_targets=None if mode_1 else est.n_outputs_,
        n_blocks=est.n_blocks,
        ff_dim=est.ff_dim,
        dropout=est.dropout_,
        norm=est.norm,
        revin=revin,
        embed_dim=est.embed_dim,
        seed=seed,
    )


def train(est, prepared, seed):
    """Fit ``est.model_`` on the prepared windows.

    Returns ``(history, n_iter, jit_compile)``: whether XLA compiled the steps.
    """
    replicas = n_replicas()
    if est.batch_size % replicas:
        raise ValueError(
            f"batch_size={est.batch_size} must be a multiple of the {replicas} devices that "
            f"share each batch; pass batch_size={round_up(est.batch_size, replicas)}."
        )
    # Small series live in the backend and windows are gathered inside the
    # compiled step; big ones are read in NumPy, as a backend copy would
    # double the biggest array of the fit.
    gathered = prepared.series.nbytes > GATHER_IN_NUMPY_BYTES
    shared = dict(
        layout=prepared.layout,
        series=prepared.series,
        targets=prepared.targets,
        target_offsets=prepared.target_offsets,
        target_mask=prepared.target_mask,
        static=prepared.static,
        target_columns=prepared.target_columns,
    )
    if gathered:
        trainer = GatheredTrainer(est.model_, est.loss, est.quantiles_)

        def batches_of(ends, codes, batch_size, **kwargs):
            return GatheredWindows(
                ends=ends, codes=codes, batch_size=batch_size, **shared, **kwargs
            )
    else:
        trainer = WindowedTrainer(est.model_, loss=est.loss, quantiles=est.quantiles_, **shared)
        batches_of = WindowEndBatches
    train_ends, train_codes = prepared.train
    batches = batches_of(
        train_ends,
        train_codes,
        est.batch_size,
        shuffle_seed=seed,
        max_batches=est.steps_per_epoch_,
        multiple_of=replicas,
        # prepare made these arrays for this fit alone (a warm start makes new ones).
        shuffle_in_place=True,
    )
    # Several steps per compiled call: on a CPU the per-call dispatch costs as
    # much as a small batch's compute. PyTorch's trainer runs one at a time.
    steps = 1 if keras.backend.backend() == "torch" else min(len(batches), STEPS_PER_EXECUTION)
    averaged = est.weight_averaging is not None
    averaging = {"use_ema": True, "ema_momentum": est.weight_averaging} if averaged else {}
    # One flat Adam update instead of one per variable (see _flat_adam); its
    # update skips the replicas' gradient all-reduce, so one device only.
    flat = keras.backend.backend() == "tensorflow" and replicas == 1 and flat_adam_usable()
    optimizer = (FlatAdam if flat else keras.optimizers.Adam)(est.learning_rate, **averaging)
    trainer.compile(
        optimizer=optimizer,
        steps_per_execution=steps,
        jit_compile=resolve_jit_compile(
            est, prepared.series.shape[1], len(batches) * est.batch_size
        ),
    )
    # Slots made now, eagerly: on TensorFlow, Keras would create them inside
    # the first trace of the step, and tf.function traces a step that creates
    # variables twice (2-3 s of a covariate model's fit on two cores).
    optimizer.build(trainer.trainable_variables)
    group = steps_per_group(
        keras.backend.backend(), trainer.jit_compile, steps, replicas, not gathered
    )
    fit_batches = batches
    # The group is one execution of Keras' loop; its steps run in one XLA
    # call (see _xla_steps).
    if group > 1 and install_grouped_steps(trainer):
        fit_batches = StepGroups(batches, group)
    history = keras.callbacks.History()
    callbacks, validation_data, stopper = [history], None, None
    if prepared.validation is not None:
        n_columns = prepared.series.shape[1]
        batch = round_up(predict_batch_size(est, prepared.layout, n_columns), replicas)
        ends, codes = prepared.validation
        if len(ends) > VALIDATION_WINDOWS:
            # Every check scores an evenly spread subset: on long series the
            # whole hold-out would cost as much as the training steps between
            # checks. Calibration still uses all of it.
            keep = np.linspace(0, len(ends) - 1, VALIDATION_WINDOWS).round().astype(int)
            ends, codes = ends[keep], codes[keep]
        validation_data = batches_of(ends, codes, batch, multiple_of=replicas)
        stopper = keras.callbacks.EarlyStopping(patience=est.patience_, restore_best_weights=True)
        if averaged:
            # Listed before the stopper: the hold-out is scored, and the best
            # weights are kept, with the averaged weights in the model; the
            # raw ones come back at the next epoch's start.
            callbacks.append(keras.callbacks.SwapEMAWeights(swap_on_epoch=True))
        callbacks.append(stopper)
    references = ReleaseTensorFlowReferences([fit_batches, validation_data])
    try:
        with no_retracing_notes():
            trainer.fit(
                fit_input(fit_batches),
                epochs=est.epochs_,
                validation_data=fit_input(validation_data),
                callbacks=callbacks,
                # The batches shuffle themselves with their own generator; Keras'
                # own shuffling of a PyDataset would draw from Python's global RNG.
                shuffle=False,
                verbose=est.verbose,
            )
    except KeyboardInterrupt:
        best = stopper.best_weights if stopper is not None else None
        if best is not None:
            trainer.set_weights(best)
        elif averaged and stopper is None:
            # Without a hold-out no swap ever put the raw weights aside, so
            # the optimizer's averages are the averaged weights fit promised.
            optimizer.finalize_variable_values(trainer.trainable_weights)
        warnings.warn(
            f"Training interrupted after {len(history.history.get('loss', []))} complete "
            "epoch(s); the estimator keeps "
            + ("the best weights seen on the hold-out." if best is not None else "its weights.")
            + " Call fit again (warm_start=True continues) to train further.",
            UserWarning,
            stacklevel=4,  # the caller of fit (fit -> _fit -> train)
        )
    finally:
        references.release()
    records = {key: [float(v) for v in values] for key, values in history.history.items()}
    records.setdefault("loss", [])
    if stopper is not None:  # interrupted before the first epoch ended: no epoch, no value
        records.setdefault("val_loss", [])
    return records, len(records["loss"]), bool(trainer.jit_compile)


def calibrate(est, prepared):
    """Hold-out forecasts and truth for split-conformal intervals (or None)."""
    if prepared.validation is None:
        return None
    ends, codes = prepared.validation
    batch = predict_batch_size(est, prepared.layout, prepared.series.shape[1])
    raw = predict_windows(
        est.model_,
        prepared.layout,
        prepared.series,
        ends,
        codes,
        prepared.static,
        batch,
        jit_compile=est.jit_compile_,
    )
    rows = ends[:, None] + prepared.target_offsets
    truth = numpy_targets(prepared.series, prepared.targets, prepared.target_columns, rows)
    truth = truth.astype(np.float64)
    if prepared.target_mask is not None:
        truth[prepared.target_mask[rows] == 0] = np.nan
    if est.quantiles_ is None:
        return SplitConformal(truth, raw)
    median = int(np.flatnonzero(np.isclose(est.quantiles_, 0.5))[0])
    return SplitConformal(truth, raw[..., median], raw, est.quantiles_)
