"""Memory growth over many fits in one process (a notebook, a grid search).

Fits a small ``TSMixerRegressor`` ``--n-fits`` times on the same data in one
process (each fit a fresh estimator, then ``predict``; the previous one is
deleted and ``gc.collect()`` runs) and prints the resident set size (RSS)
after every fit, with what TensorFlow keeps alive: Python callbacks held by
the global default graph (``_py_funcs_used_in_graph``), functions in the eager
context, and live ``FuncGraph`` / ``AtomicFunction`` / ``PyDatasetAdapter``
objects. The growth per fit is the slope of a straight line fitted to the RSS
after the first 10 fits (warm-up: imports, first traces, allocator pools).

``--patched`` runs the same loop with the proposed fix for
``sktsmixer/_training.py`` applied by monkeypatching: after each training
run, drop the two process-wide references TensorFlow keeps to it --

* ``release_all_reduce_gradients``: the ``CustomGradient-<uid>`` entries that
  Keras' optimizer (``all_reduce`` of the gradients, a ``tf.custom_gradient``)
  leaves in TensorFlow's global gradient registry, each holding a traced
  train-step graph with all its functions (TensorFlow issues 80895, 97697);
* ``release_py_funcs``: the callbacks of ``tf.data.Dataset.from_generator``
  (how Keras feeds our ``WindowEndBatches``) that the global default graph
  keeps, each holding a dataset (TensorFlow issue 123269).

    python benchmarks/repeated_fits.py              # 100 fits
    python benchmarks/repeated_fits.py --quick      # 10 fits
    python benchmarks/repeated_fits.py --n-fits 40 --patched
"""

import ctypes
import gc
import sys
import time

import _common

MIB = 2**20


def parse_args(argv=None):
    parser = _common.make_parser(__doc__)
    parser.add_argument("--n-fits", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="10 fits")
    parser.add_argument("--warmup", type=int, default=10, help="fits left out of the slope")
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--columns", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument(
        "--patched", action="store_true", help="apply the proposed _training.py fix"
    )
    parser.add_argument(
        "--no-census", action="store_true", help="skip the (slower) gc object census"
    )
    parser.add_argument(
        "--malloc-trim",
        action="store_true",
        help="call glibc malloc_trim(0) before each RSS reading (freed but unreturned memory)",
    )
    parser.add_argument(
        "--json",
        default=None,
        help="output path (default benchmarks/results/repeated_fits[_patched].json)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.n_fits = 10
    return args


def _data(rows, columns):
    import numpy as np

    rng = np.random.default_rng(0)
    t = np.arange(rows)[:, None]
    return np.sin(2 * np.pi * t / 24 + np.arange(columns)) + 0.1 * rng.standard_normal(
        (rows, columns)
    )


# ------------------------------------------------ the proposed fix, as a patch


def _reads_dataset(func, datasets):
    """Whether a ``from_generator`` callback reads one of ``datasets``.

    The callbacks are ``_GeneratorState.get_next_id`` (a bound method, maybe
    wrapped) and two closures over that state; the state's generator is
    ``PyDatasetAdapter._get_iterator``, bound to the adapter of our dataset.
    """
    func = getattr(func, "__wrapped__", func)
    states = [getattr(func, "__self__", None)]
    for cell in getattr(func, "__closure__", None) or ():
        try:
            states.append(cell.cell_contents)
        except ValueError:  # an empty cell
            pass
    for state in states:
        adapter = getattr(getattr(state, "_generator", None), "__self__", None)
        dataset = getattr(adapter, "py_dataset", None)
        if dataset is not None and any(dataset is d for d in datasets):
            return True
    return False


def release_py_funcs(datasets):
    """Drop the global graph's references to the callbacks reading ``datasets``.

    Called once training is over. On the TensorFlow backend Keras feeds a
    ``PyDataset`` through ``tf.data.Dataset.from_generator``, whose callbacks
    ``script_ops`` appends to ``_py_funcs_used_in_graph`` of the outermost
    graph -- in eager mode the process-wide default graph, so each fit's
    datasets, their traced functions and everything they reference stay
    alive for the life of the process. Only callbacks of our own datasets are
    removed, so other datasets (another thread's fit, the user's) keep theirs.
    """
    import keras

    if keras.backend.backend() != "tensorflow":
        return 0
    from tensorflow.python.framework import ops

    funcs = getattr(ops.get_default_graph(), "_py_funcs_used_in_graph", None)
    if not funcs:
        return 0
    kept = [f for f in funcs if not _reads_dataset(f, datasets)]
    removed = len(funcs) - len(kept)
    funcs[:] = kept
    return removed


def _is_all_reduce_gradient(grad_fn):
    """Whether a registered custom gradient is the one of ``ReplicaContext.all_reduce``.

    ``custom_gradient`` registers ``internal_grad_fn``, a closure over
    ``tape_grad_fn``, a closure over the gradient returned by ``all_reduce``'s
    ``grad_wrapper``: a lambda whose qualified name says so.
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


def gradient_names():
    """Names in TensorFlow's global gradient registry (a snapshot, before training)."""
    from tensorflow.python.framework import ops

    return set(ops._gradient_registry._registry)


def release_all_reduce_gradients(before):
    """Drop the all-reduce gradients registered since ``before``.

    Keras' TensorFlow optimizer sums the gradients with
    ``tf.distribute.get_replica_context().all_reduce`` (the default strategy
    too). Traced in a ``tf.function``, ``all_reduce`` is a
    ``tf.custom_gradient``, whose gradient function is registered under a
    fresh ``CustomGradient-<uid>`` name in a process-wide registry and holds
    tensors of the traced train step: the registry keeps every train-step
    graph of every fit, its functions and their C++ executors, alive
    (TensorFlow issues 80895, 97697). The gradient of that all-reduce is never
    taken after the train step is traced, so once training is over the
    entries are dead weight. Only all-reduce gradients registered during this
    fit are dropped; any other custom gradient stays.
    """
    import keras

    if keras.backend.backend() != "tensorflow":
        return 0
    from tensorflow.python.framework import ops

    registry = ops._gradient_registry._registry
    stale = [
        name
        for name in list(registry)
        if name.startswith("CustomGradient-")
        and name not in before
        and _is_all_reduce_gradient(registry[name].get("type"))
    ]
    for name in stale:
        registry.pop(name, None)
    return len(stale)


def apply_patch():
    """Monkeypatch ``_training.train`` with the proposed fix (same logic)."""
    import weakref

    from sktsmixer import _training, windowing

    created = weakref.WeakSet()
    original_init = windowing.WindowEndBatches.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        created.add(self)

    original_train = _training.train

    def train(est, prepared, seed):
        # The library fix passes its own `batches` and `validation_data`;
        # the patch finds them as the WindowEndBatches made during train().
        created.clear()
        before = gradient_names()
        try:
            return original_train(est, prepared, seed)
        finally:
            release_py_funcs(list(created))
            release_all_reduce_gradients(before)

    windowing.WindowEndBatches.__init__ = init
    _training.train = train


# ------------------------------------------------------------- measurement


def census():
    """Live objects of the kinds that pile up when TensorFlow keeps functions."""
    kinds = ("FuncGraph", "AtomicFunction", "PyDatasetAdapter", "WindowedTrainer", "Functional")
    counts = dict.fromkeys(kinds, 0)
    for obj in gc.get_objects():
        name = type(obj).__name__
        if name in counts:
            counts[name] += 1
    return counts


def tf_state():
    import keras

    if keras.backend.backend() != "tensorflow":
        return {}
    from tensorflow.python.eager import context
    from tensorflow.python.framework import ops

    graph = ops.get_default_graph()
    return {
        "graph_py_funcs": len(getattr(graph, "_py_funcs_used_in_graph", [])),
        "custom_gradients": sum(
            name.startswith("CustomGradient-") for name in ops._gradient_registry._registry
        ),
        "eager_functions": len(context.context().list_function_names()),
    }


def slope(values, warmup):
    import numpy as np

    tail = np.asarray(values[warmup:], dtype=float)
    if len(tail) < 2:
        return None
    return float(np.polyfit(np.arange(len(tail)), tail, 1)[0])


def main(argv=None):
    args = parse_args(argv)
    import psutil

    if args.patched:
        apply_patch()
    from sktsmixer import TSMixerRegressor

    process = psutil.Process()
    X = _data(args.rows, args.columns)
    params = dict(
        input_size=16, horizon=4, n_blocks=1, ff_dim=8, epochs=args.epochs, random_state=0
    )
    warmup = min(args.warmup, args.n_fits // 2)
    start_rss = process.memory_info().rss / MIB
    print(
        f"{args.n_fits} fits of TSMixerRegressor({params}) on {args.rows} x {args.columns}"
        f"{' (patched)' if args.patched else ''}; RSS after import: {start_rss:.1f} MiB"
    )
    rows = []
    for i in range(args.n_fits):
        t0 = time.perf_counter()
        est = TSMixerRegressor(**params).fit(X)
        est.predict(X[-50:])
        del est
        gc.collect()
        if args.malloc_trim:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        row = {
            "fit": i + 1,
            "rss_mib": process.memory_info().rss / MIB,
            "seconds": time.perf_counter() - t0,
            **tf_state(),
        }
        if not args.no_census:
            row.update(census())
        rows.append(row)
        extra = "  ".join(
            f"{k}={v}" for k, v in row.items() if k not in ("fit", "rss_mib", "seconds")
        )
        print(
            f"fit {i + 1:4d}  RSS {row['rss_mib']:8.1f} MiB  ({row['seconds']:.1f} s)  {extra}",
            flush=True,
        )
    rss = [r["rss_mib"] for r in rows]
    per_fit = slope(rss, warmup)
    summary = {
        "n_fits": args.n_fits,
        "warmup_fits": warmup,
        "rss_after_import_mib": start_rss,
        "rss_first_mib": rss[0],
        "rss_last_mib": rss[-1],
        "mib_per_fit_after_warmup": per_fit,
    }
    if per_fit is None:
        print("too few fits for a slope")
    else:
        print(
            f"RSS {rss[0]:.1f} -> {rss[-1]:.1f} MiB; growth after the first {warmup} fits: "
            f"{per_fit:.2f} MiB per fit"
        )
    name = (
        "repeated_fits"
        + ("_patched" if args.patched else "")
        + ("_trimmed" if args.malloc_trim else "")
    )
    _common.write_json(
        name,
        {
            "machine": _common.machine(),
            "config": {**vars(args), "params": params},
            "summary": summary,
            "fits": rows,
        },
        args.json,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
