"""The training loop: compile, optimiser, early stopping, averaging, interruption.

:class:`Trainer` takes a Keras model and the windows of a fit
(:class:`~sktsmixer.data.encoder.TrainingWindows`) and trains the model in
place; it knows nothing of the estimator. The speed work it switches on
lives beside it, each piece behind a check that falls back to Keras' public
path: grouped XLA steps (:mod:`~sktsmixer.training.xla_steps`), the flat
Adam update (:mod:`~sktsmixer.training.flat_adam`), TensorFlow's input
pipeline (:mod:`~sktsmixer.training.tf_input`) and the release of the
references TensorFlow keeps after a fit
(:mod:`~sktsmixer.training.tf_references`).
"""

import warnings

import keras
import numpy as np

from sktsmixer.data.windows import numpy_targets
from sktsmixer.training.batches import (
    GatheredTrainer,
    GatheredWindows,
    WindowedTrainer,
    WindowEndBatches,
    predict_batch_size,
    predict_windows,
)
from sktsmixer.training.devices import n_replicas, round_up
from sktsmixer.training.flat_adam import FlatAdam, flat_adam_usable
from sktsmixer.training.quiet import no_retracing_notes
from sktsmixer.training.tf_input import fit_input
from sktsmixer.training.tf_references import ReleaseTensorFlowReferences
from sktsmixer.training.xla_steps import StepGroups, install_grouped_steps, steps_per_group

__all__ = ["Trainer", "resolve_jit_compile"]

STEPS_PER_EXECUTION = 16
# Hold-out windows scored at each early-stopping check (at most).
VALIDATION_WINDOWS = 2048
# Planned training FLOPs from which XLA's compile time (a few seconds on a
# CPU, paid again for each new batch shape) is won back: XLA ran the
# ETTh1-sized step 1.2-2x faster on two cores, a 48-step, 3-channel model's
# 1,000-window fit lost 3-5 s to compiling.
XLA_MIN_TRAINING_FLOPS = 3e11
# Series bigger than this are not copied into the backend: their windows are
# gathered in NumPy, batch by batch (see batches.GatheredWindows).
GATHER_IN_NUMPY_BYTES = 256 * 2**20


def resolve_jit_compile(setting, flops_per_window, windows_per_epoch, epochs):
    """The ``jit_compile`` a fit compiles with: the user's, ours on TensorFlow, or Keras'."""
    if setting != "auto":
        return bool(setting)
    if keras.backend.backend() != "tensorflow":
        return "auto"  # JAX always compiles; torch.compile starts slower than it gains here
    # Below the bar, Keras decides: XLA with a GPU, none on a CPU.
    work = 3 * flops_per_window * windows_per_epoch * epochs
    return True if work >= XLA_MIN_TRAINING_FLOPS else "auto"


class Trainer:
    """Trains a Keras forecaster on windows, in place.

    Parameters
    ----------
    loss : str
        ``"squared_error"``, ``"absolute_error"`` or ``"quantile"``; masked
        where a target is missing.
    quantiles : ndarray or None
        The levels of a quantile model's last output axis.
    batch_size, learning_rate : int, float
    epochs, steps_per_epoch, patience : int
        ``steps_per_epoch`` None: every batch each epoch. ``patience``: hold-out
        checks without improvement before stopping (with a hold-out).
    weight_averaging : float or None
        Momentum of the exponential moving average of the weights kept.
    jit_compile : bool or "auto"
        XLA; "auto" compiles on TensorFlow when the fit is big enough to
        win its compile time back.
    flops_per_window : float
        Forward-pass FLOPs of one window, for the "auto" XLA choice.
    verbose : int
        Keras' progress output.

    Attributes
    ----------
    history_ : dict
        Loss (and ``val_loss``) per epoch.
    n_iter_ : int
        Epochs run.
    jit_compile_ : bool
        Whether XLA compiled the steps.
    """

    def __init__(
        self,
        *,
        loss,
        quantiles,
        batch_size,
        learning_rate,
        epochs,
        steps_per_epoch,
        patience,
        weight_averaging=None,
        jit_compile="auto",
        flops_per_window=0.0,
        verbose=0,
    ):
        self.loss, self.quantiles = loss, quantiles
        self.batch_size, self.learning_rate = batch_size, learning_rate
        self.epochs, self.steps_per_epoch, self.patience = epochs, steps_per_epoch, patience
        self.weight_averaging = weight_averaging
        self.jit_compile = jit_compile
        self.flops_per_window = flops_per_window
        self.verbose = verbose

    def fit(self, model, windows, seed):
        """Train ``model`` on ``windows`` (a ``TrainingWindows``); returns self.

        Interrupting it (KeyboardInterrupt) keeps the best weights seen on
        the hold-out (or the current ones), warns and returns normally.
        """
        replicas = n_replicas()
        if self.batch_size % replicas:
            raise ValueError(
                f"batch_size={self.batch_size} must be a multiple of the {replicas} devices "
                f"that share each batch; pass batch_size={round_up(self.batch_size, replicas)}."
            )
        # Small series live in the backend and windows are gathered inside the
        # compiled step; big ones are read in NumPy, as a backend copy would
        # double the biggest array of the fit.
        gathered = windows.series.nbytes > GATHER_IN_NUMPY_BYTES
        shared = dict(
            layout=windows.layout,
            series=windows.series,
            targets=windows.targets,
            target_offsets=windows.target_offsets,
            target_mask=windows.target_mask,
            static=windows.static,
            target_columns=windows.target_columns,
        )
        if gathered:
            trainer = GatheredTrainer(model, self.loss, self.quantiles)

            def batches_of(ends, codes, batch_size, **kwargs):
                return GatheredWindows(
                    ends=ends, codes=codes, batch_size=batch_size, **shared, **kwargs
                )
        else:
            trainer = WindowedTrainer(model, loss=self.loss, quantiles=self.quantiles, **shared)
            batches_of = WindowEndBatches
        train_ends, train_codes = windows.train
        batches = batches_of(
            train_ends,
            train_codes,
            self.batch_size,
            shuffle_seed=seed,
            max_batches=self.steps_per_epoch,
            multiple_of=replicas,
            # The encoder made these arrays for this fit alone (a warm start makes new ones).
            shuffle_in_place=True,
        )
        # Several steps per compiled call: on a CPU the per-call dispatch costs
        # as much as a small batch's compute. PyTorch's trainer runs one at a time.
        steps = 1 if keras.backend.backend() == "torch" else min(len(batches), STEPS_PER_EXECUTION)
        averaged = self.weight_averaging is not None
        averaging = {"use_ema": True, "ema_momentum": self.weight_averaging} if averaged else {}
        # One flat Adam update instead of one per variable (see flat_adam); its
        # update skips the replicas' gradient all-reduce, so one device only.
        flat = keras.backend.backend() == "tensorflow" and replicas == 1 and flat_adam_usable()
        optimizer = (FlatAdam if flat else keras.optimizers.Adam)(self.learning_rate, **averaging)
        trainer.compile(
            optimizer=optimizer,
            steps_per_execution=steps,
            jit_compile=resolve_jit_compile(
                self.jit_compile,
                self.flops_per_window,
                len(batches) * self.batch_size,
                self.epochs,
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
        # call (see xla_steps).
        if group > 1 and install_grouped_steps(trainer):
            fit_batches = StepGroups(batches, group)
        history = keras.callbacks.History()
        callbacks, validation_data, stopper = [history], None, None
        if windows.validation is not None:
            n_columns = windows.series.shape[1]
            batch = round_up(predict_batch_size(windows.layout.input_size, n_columns), replicas)
            ends, codes = windows.validation
            if len(ends) > VALIDATION_WINDOWS:
                # Every check scores an evenly spread subset: on long series the
                # whole hold-out would cost as much as the training steps between
                # checks. Calibration still uses all of it.
                keep = np.linspace(0, len(ends) - 1, VALIDATION_WINDOWS).round().astype(int)
                ends, codes = ends[keep], codes[keep]
            validation_data = batches_of(ends, codes, batch, multiple_of=replicas)
            stopper = keras.callbacks.EarlyStopping(
                patience=self.patience, restore_best_weights=True
            )
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
                    epochs=self.epochs,
                    validation_data=fit_input(validation_data),
                    callbacks=callbacks,
                    # The batches shuffle themselves with their own generator;
                    # Keras' own shuffling of a PyDataset would draw from
                    # Python's global RNG.
                    shuffle=False,
                    verbose=self.verbose,
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
                stacklevel=4,  # the caller of the estimator's fit (fit -> _fit -> Trainer.fit)
            )
        finally:
            references.release()
        records = {key: [float(v) for v in values] for key, values in history.history.items()}
        records.setdefault("loss", [])
        if stopper is not None:  # interrupted before the first epoch ended: no value
            records.setdefault("val_loss", [])
        self.history_, self.n_iter_ = records, len(records["loss"])
        self.jit_compile_ = bool(trainer.jit_compile)
        return self

    def holdout_forecasts(self, model, windows):
        """Forecasts and truth ``(n, steps, n_targets)`` on the hold-out (None: none).

        The truth is NaN where a target is missing; a quantile model's
        forecasts keep their last axis of levels.
        """
        if windows.validation is None:
            return None
        ends, codes = windows.validation
        raw = predict_windows(
            model,
            windows.layout,
            windows.series,
            ends,
            codes,
            windows.static,
            predict_batch_size(windows.layout.input_size, windows.series.shape[1]),
            jit_compile=getattr(self, "jit_compile_", None),
        )
        rows = ends[:, None] + windows.target_offsets
        truth = numpy_targets(windows.series, windows.targets, windows.target_columns, rows)
        truth = truth.astype(np.float64)
        if windows.target_mask is not None:
            truth[windows.target_mask[rows] == 0] = np.nan
        return truth, raw
