"""Groups of training steps run as one XLA computation (TensorFlow, ``jit_compile=True``).

Keras' TensorFlow trainer runs ``steps_per_execution`` steps as a TensorFlow
while loop that launches one XLA computation per step. Each launch hands
over every variable (weights, optimizer slots, averages: 212 tensors for
the covariate model of the EPF benchmark with Keras' Adam, 108 with the
flat one) and each batch comes through
tf.data's Python generator on its own. Here the loop is inside the
compiled computation: one launch and one batch of batches per group. The
steps, their order and their random numbers are those of Keras' loop.

The function takes the place of Keras' own through ``trainer.train_function``,
which Keras' ``fit`` reuses when it is set: ``install_grouped_steps``
checks that the installed Keras still does, and leaves Keras' loop in
place otherwise.
"""

import math

import keras
import numpy as np

from sktsmixer._fallbacks import warn_fallback


def steps_per_group(backend, jit_compile, steps_per_execution, n_replicas, windows_in_backend):
    """How many steps one compiled call runs (1: Keras' own loop)."""
    grouped = (
        backend == "tensorflow"
        and jit_compile is True
        and n_replicas == 1
        # Batches that carry the windows themselves (big series) are too big to stack.
        and windows_in_backend
    )
    return steps_per_execution if grouped else 1


class StepGroups(keras.utils.PyDataset):
    """The batches of ``batches``, ``steps`` at a time: ``(stack, count)``.

    ``stack`` holds ``steps`` batches (the last group is padded with copies
    of its last batch, never trained on) and ``count`` how many of them are
    real. A short last batch of an epoch gets a group of its own, as a
    stack holds batches of one size.

    Args:
        batches: A ``WindowEndBatches``: each item an int32 array ``(batch, 2)``.
        steps: Batches per group.
    """

    def __init__(self, batches, steps):
        super().__init__()
        self.batches = batches
        self.steps = steps
        n = len(batches)
        self._n_full = n - (n > 0 and len(batches[n - 1]) != len(batches[0]))

    def __len__(self):
        return math.ceil(self._n_full / self.steps) + (len(self.batches) - self._n_full)

    def __getitem__(self, index):
        first = index * self.steps
        if first >= self._n_full:  # the short last batch
            members = [len(self.batches) - 1]
        else:
            members = list(range(first, min(first + self.steps, self._n_full)))
        count = len(members)
        members += members[-1:] * (self.steps - count)
        stack = np.stack([self.batches[i] for i in members])
        return stack, np.array([count], dtype="int32")

    def element_shapes(self):
        # The short last batch's group is narrower than the others.
        return (self.steps, None, 2), (1,)

    def on_epoch_end(self):
        self.batches.on_epoch_end()


def grouped_train_function(trainer):
    """A ``train_function`` for ``trainer.fit`` on ``StepGroups``: one XLA call per group.

    ``trainer`` must be compiled (``steps_per_execution=1``: a group is one
    execution); the function returns the metrics after the group's last step,
    as Keras' does after its last.
    """
    import tensorflow as tf

    @tf.function(jit_compile=True, reduce_retracing=True)
    def run_group(stack, count):
        def step(i):
            trainer.train_step(stack[i])
            return (i + 1,)

        tf.while_loop(lambda i: i < count[0], step, (tf.constant(0),))
        return trainer.get_metrics_result()

    def train_function(iterator):
        stack, count = next(iterator)
        return run_group(stack, count)

    return train_function


def install_grouped_steps(trainer):
    """Make ``trainer.fit`` run ``grouped_train_function``; False if this Keras would not.

    Keras' ``fit`` asks ``make_train_function()`` for the function to call,
    which returns ``train_function`` when one is set. On a Keras where that
    no longer holds, ``trainer`` keeps Keras' own loop and one
    ``InternalsFallbackWarning`` says so; the caller must then feed it
    plain batches, not ``StepGroups``.
    """
    function = grouped_train_function(trainer)
    steps = trainer.steps_per_execution
    trainer.steps_per_execution = 1  # a group is one execution of Keras' loop
    trainer.train_function = function
    try:
        made = trainer.make_train_function()
        kept = trainer.train_function is function and made in (None, function)
    except Exception as error:  # any failure means: Keras' own loop
        kept, reason = False, f"make_train_function failed ({type(error).__name__}: {error})"
    else:
        reason = "this Keras' fit does not call a train_function set on the model"
    if not kept:
        trainer.steps_per_execution = steps
        trainer.train_function = None  # fit makes Keras' own
        warn_fallback("grouped XLA training steps", reason, "Keras' own train function")
    return kept
