"""Memory growth over many fits in one process (a notebook, a grid search).

Fits a small ``TSMixerRegressor`` ``--n-fits`` times on the same data in one
process (each fit a fresh estimator, then ``predict``; the previous one is
deleted and ``gc.collect()`` runs) and prints the resident set size (RSS)
after every fit, with what TensorFlow keeps alive: Python callbacks held by
the global default graph (``_py_funcs_used_in_graph``), functions in the eager
context, and live ``FuncGraph`` / ``AtomicFunction`` / ``PyDatasetAdapter``
objects. The growth per fit is the slope of a straight line fitted to the RSS
after the first 10 fits (warm-up: imports, first traces, allocator pools).

The library drops the two process-wide references TensorFlow keeps to every
training run (``sktsmixer.training.tf_references.ReleaseTensorFlowReferences``: the
all-reduce ``CustomGradient-<uid>`` entries of TensorFlow's gradient registry,
TensorFlow issues 80895 and 97697, and the ``from_generator`` callbacks of the
global default graph, issue 123269). ``--without-release`` turns that off to
show the growth it prevents.

    python benchmarks/repeated_fits.py              # 100 fits
    python benchmarks/repeated_fits.py --quick      # 10 fits
    python benchmarks/repeated_fits.py --n-fits 40 --without-release
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
        "--without-release",
        action="store_true",
        help="turn off the library's release of TensorFlow's per-fit references",
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
        help="output path (default benchmarks/results/repeated_fits[_without_release].json)",
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


# ------------------------------------------------------------ the switch


def disable_release():
    """Turn off the library's release of TensorFlow's per-fit references
    (``sktsmixer.training.tf_references.ReleaseTensorFlowReferences``), to measure without it."""
    from sktsmixer.training import tf_references as _tf_references

    _tf_references.ReleaseTensorFlowReferences.release = lambda self: None


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

    if args.without_release:
        disable_release()
    from sktsmixer import TSMixerRegressor

    process = psutil.Process()
    X = _data(args.rows, args.columns)
    params = dict(
        input_size=16, horizon=4, n_blocks=1, ff_dim=8, epochs=args.epochs, random_state=0
    )
    warmup = min(args.warmup, args.n_fits // 2)
    start_rss = process.memory_info().rss / MIB
    mode = " (without release)" if args.without_release else ""
    print(
        f"{args.n_fits} fits of TSMixerRegressor({params}) on {args.rows} x {args.columns}"
        f"{mode}; RSS after import: {start_rss:.1f} MiB"
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
        + ("_without_release" if args.without_release else "")
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
