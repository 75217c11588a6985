"""What TensorFlow keeps of every fit's input pipeline, and its release after a fit.

Keras' TensorFlow optimizer used to leave a second structure behind (the
all-reduce gradient that its ``_backend_update_step`` registers in TF's
global gradient registry); ``FlatAdam`` replaces that step, so a fit that
uses it registers none, and a fit that falls back to Keras' Adam keeps that
growth (TensorFlow issues 80895, 97697).
"""

import keras

from sktsmixer._fallbacks import warn_fallback

_WHAT = "release of TensorFlow's references to finished fits' datasets"
_PUBLIC = "no release (each fit keeps a few MiB until the process ends)"


def _reads_dataset(func, datasets):
    """Whether a ``tf.data.Dataset.from_generator`` callback reads one of ``datasets``.

    The callbacks are ``_GeneratorState.get_next_id`` (a bound method, maybe
    wrapped) and closures over that state, whose generator is a bound method
    of an object with a ``py_dataset`` attribute (``_tf_input.UntunedBatches``
    or Keras' ``PyDatasetAdapter``).
    """
    func = getattr(func, "__wrapped__", func)
    states = [getattr(func, "__self__", None)]
    for cell in getattr(func, "__closure__", None) or ():
        try:
            states.append(cell.cell_contents)
        except ValueError:  # an empty cell
            pass
    for state in states:
        owner = getattr(getattr(state, "_generator", None), "__self__", None)
        dataset = getattr(owner, "py_dataset", None)
        if dataset is not None and any(dataset is d for d in datasets):
            return True
    return False


class ReleaseTensorFlowReferences:
    """Drops what TensorFlow keeps of a finished fit's datasets for the process' life.

    Keras feeds a ``PyDataset`` through ``tf.data.Dataset.from_generator``,
    whose callbacks are appended to ``_py_funcs_used_in_graph`` of the
    global default graph (TensorFlow issue 123269) and hold the dataset,
    with its copy of the training windows, and the traced pipeline. Only the
    callbacks of ``datasets`` are removed; other datasets' are left alone.

    That list is a TensorFlow internal: when it is missing, or none of a
    fit's callbacks can be found in it, nothing is released and one
    ``InternalsFallbackWarning`` says so. ``release`` never raises.

    Args:
        datasets: The ``PyDataset`` objects a fit read (None entries are skipped).
    """

    def __init__(self, datasets):
        self.datasets = [d for d in datasets if d is not None]
        self.active = keras.backend.backend() == "tensorflow" and bool(self.datasets)

    def release(self):
        if not self.active:
            return
        self.active = False
        try:
            found = _remove_callbacks(self.datasets)
        except Exception as error:  # an internal that changed: keep the references
            warn_fallback(_WHAT, f"{type(error).__name__}: {error}", _PUBLIC)
            return
        if found is None:
            warn_fallback(_WHAT, "this TensorFlow's graph has no _py_funcs_used_in_graph", _PUBLIC)
        elif not found:
            warn_fallback(_WHAT, "no dataset callback of the fit was found", _PUBLIC)


def _remove_callbacks(datasets):
    """Remove the callbacks reading ``datasets``; how many were found (None: no list)."""
    import tensorflow as tf

    funcs = getattr(tf.compat.v1.get_default_graph(), "_py_funcs_used_in_graph", None)
    if not isinstance(funcs, list):
        return None
    ours = [f for f in list(funcs) if _reads_dataset(f, datasets)]
    # One removal at a time: another thread may be appending its own.
    for func in ours:
        try:
            funcs.remove(func)
        except ValueError:
            pass
    return len(ours)
