"""What TensorFlow keeps of every training run, and its release after a fit.

Internal TensorFlow structures are read here: every lookup is tolerant, so a
TensorFlow that changes them brings back the memory growth, never an error.
"""

import threading

import keras


def _is_all_reduce_gradient(grad_fn):
    """Whether a registered custom gradient is the one of ``ReplicaContext.all_reduce``.

    ``tf.custom_gradient`` registers ``internal_grad_fn``, a closure over
    ``tape_grad_fn``, a closure over the gradient that ``all_reduce``'s
    ``grad_wrapper`` returns: a lambda whose qualified name says so.
    """
    stack, visited = [grad_fn], 0
    while stack and visited < 8:
        func = stack.pop()
        visited += 1
        if "all_reduce.<locals>.grad_wrapper" in getattr(func, "__qualname__", ""):
            return True
        for cell in getattr(func, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            if callable(value) and hasattr(value, "__closure__"):
                stack.append(value)
    return False


def _reads_dataset(func, datasets):
    """Whether a ``tf.data.Dataset.from_generator`` callback reads one of ``datasets``.

    The callbacks are ``_GeneratorState.get_next_id`` (a bound method, maybe
    wrapped) and closures over that state, whose generator is
    ``PyDatasetAdapter._get_iterator`` bound to the adapter of the dataset.
    """
    func = getattr(func, "__wrapped__", func)
    states = [getattr(func, "__self__", None)]
    for cell in getattr(func, "__closure__", None) or ():
        try:
            states.append(cell.cell_contents)
        except ValueError:
            pass
    for state in states:
        adapter = getattr(getattr(state, "_generator", None), "__self__", None)
        dataset = getattr(adapter, "py_dataset", None)
        if dataset is not None and any(dataset is d for d in datasets):
            return True
    return False


class ReleaseTensorFlowReferences:
    """Drops what TensorFlow keeps of a finished training run for the process' life.

    Two process-wide structures hold every fit's traced train step, its
    functions and C++ executors, and its datasets (about 18 MiB per small fit,
    never freed, ``keras.backend.clear_session()`` included):

    * Keras' TensorFlow optimizer sums the gradients with the replica
      context's ``all_reduce``, a ``tf.custom_gradient`` when traced: its
      gradient function is registered as ``CustomGradient-<uid>`` in TF's
      global gradient registry and holds tensors of the train-step graph
      (TensorFlow issues 80895, 97697). That gradient is never taken once the
      step is traced.
    * Keras feeds a ``PyDataset`` through ``tf.data.Dataset.from_generator``,
      whose callbacks are appended to ``_py_funcs_used_in_graph`` of the
      global default graph (TensorFlow issue 123269).

    Only entries of these two kinds are removed: our datasets' callbacks,
    and the all-reduce gradients registered while fits ran. A gradient is
    looked up while a train step is traced, so with fits running in several
    threads the gradients are removed only when the last of them ends; other
    custom gradients and other datasets are left alone. Internal TensorFlow
    structures: every lookup is tolerant, and if they change the release does
    nothing (the leak returns, nothing breaks).
    """

    _lock = threading.Lock()
    _running = 0
    _gradients_before = None  # the registry's names when the first running fit began

    def __init__(self, datasets):
        self.datasets = [d for d in datasets if d is not None]
        self.active = False
        if keras.backend.backend() != "tensorflow":
            return
        registry = _gradient_registry()
        if registry is None:
            return
        cls = type(self)
        with cls._lock:
            if cls._running == 0:
                cls._gradients_before = set(registry)
            cls._running += 1
        self.active = True

    def release(self):
        if not self.active:
            return
        self.active = False
        from tensorflow.python.framework import ops

        cls = type(self)
        with cls._lock:
            cls._running -= 1
            if cls._running == 0:
                registry = _gradient_registry()
                for name in [n for n in list(registry) if n not in cls._gradients_before]:
                    entry = registry.get(name)
                    if str(name).startswith("CustomGradient-") and _is_all_reduce_gradient(
                        (entry or {}).get("type")
                    ):
                        registry.pop(name, None)
        funcs = getattr(ops.get_default_graph(), "_py_funcs_used_in_graph", None)
        # One removal at a time: another thread may be appending its own.
        for func in [f for f in funcs or () if _reads_dataset(f, self.datasets)]:
            try:
                funcs.remove(func)
            except ValueError:
                pass


def _gradient_registry():
    try:
        from tensorflow.python.framework import ops

        return ops._gradient_registry._registry
    except (ImportError, AttributeError):
        return None
