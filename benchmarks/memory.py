"""Peak memory (RSS) of fit and predict at Electricity's size.

A synthetic float32 series of 321 columns x 26,304 rows, horizon 96, all
columns targets. Each measurement runs in a fresh child process and reports
that process's peak resident set size (``ru_maxrss``), which includes Python,
TensorFlow and the data itself:

* ``baseline``: import sktsmixer (and the backend), make the data;
* ``fit``: the same, then ``fit`` for ``--steps`` training steps;
* ``predict``: load a fitted estimator (pickle), then ``predict`` the last
  1,000 rows.

Windows are gathered per batch, so ``fit`` should not grow with
``input_size``; ``--input-sizes 96 512`` shows it.

    python benchmarks/memory.py            # prints a table, writes JSON
    python benchmarks/memory.py --smoke    # tiny sizes, for the test suite
"""

import argparse
import json
import pathlib
import resource
import subprocess
import sys
import tempfile

import _common

GIB = 2**30


def parse_args(argv=None):
    parser = _common.make_parser(__doc__)
    parser.add_argument("--rows", type=int, default=26_304)
    parser.add_argument("--columns", type=int, default=321)
    parser.add_argument("--input-sizes", type=int, nargs="+", default=[96, 512])
    parser.add_argument("--horizon", type=int, default=96)
    parser.add_argument(
        "--steps", type=int, default=4, help="training steps in the fit measurement"
    )
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--predict-rows", type=int, default=1000)
    parser.add_argument(
        "--limit-gib", type=float, default=3.0, help="the bar the table is checked against"
    )
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument(
        "--json", default=None, help="output path (default benchmarks/results/memory.json)"
    )
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.smoke:
        args.rows, args.columns, args.input_sizes, args.horizon = 400, 5, [16], 4
        args.steps, args.predict_rows = 2, 50
    return args


def _data(rows, columns):
    import numpy as np

    rng = np.random.default_rng(0)
    t = np.arange(rows, dtype="float32")[:, None]
    phase = rng.uniform(0, 6, columns).astype("float32")
    return np.sin(2 * np.pi * t / 24 + phase) + 0.1 * rng.standard_normal(
        (rows, columns), dtype="float32"
    )


def child(spec):
    """Run one measurement in this (fresh) process; print the peak RSS in bytes."""
    import pickle

    from sktsmixer import TSMixerRegressor

    X = _data(spec["rows"], spec["columns"])
    if spec["task"] == "fit":
        est = TSMixerRegressor(
            input_size=spec["input_size"],
            horizon=spec["horizon"],
            batch_size=spec["batch_size"],
            epochs=1,
            steps_per_epoch=spec["steps"],
            early_stopping=False,
            random_state=0,
        ).fit(X)
        if spec.get("save"):
            pathlib.Path(spec["save"]).write_bytes(pickle.dumps(est))
    elif spec["task"] == "predict":
        est = pickle.loads(pathlib.Path(spec["load"]).read_bytes())
        predicted = est.predict(X[-spec["predict_rows"] :])
        assert predicted.shape == (spec["predict_rows"], spec["horizon"] * spec["columns"])
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)


def measure(spec):
    out = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(spec)],
        capture_output=True,
        text=True,
        check=True,
        cwd=pathlib.Path(__file__).parent,
    ).stdout
    return int(out.strip().splitlines()[-1])


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        return child(json.loads(args.child))
    base = {
        "rows": args.rows,
        "columns": args.columns,
        "horizon": args.horizon,
        "batch_size": args.batch_size,
        "steps": args.steps,
        "predict_rows": args.predict_rows,
    }
    results = [
        {
            "task": "baseline (imports + data)",
            "input_size": None,
            "peak_rss": measure({**base, "task": "baseline"}),
        }
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for input_size in args.input_sizes:
            saved = str(pathlib.Path(tmp) / f"est_{input_size}.pkl")
            spec = {**base, "input_size": input_size}
            results.append(
                {
                    "task": f"fit ({args.steps} steps, batch {args.batch_size})",
                    "input_size": input_size,
                    "peak_rss": measure({**spec, "task": "fit", "save": saved}),
                }
            )
            results.append(
                {
                    "task": f"predict last {args.predict_rows} rows",
                    "input_size": input_size,
                    "peak_rss": measure({**spec, "task": "predict", "load": saved}),
                }
            )
    for r in results:
        r["peak_gib"] = r["peak_rss"] / GIB
        r["under_limit"] = r["peak_gib"] < args.limit_gib
    print(
        f"{args.columns} columns x {args.rows:,} rows float32 "
        f"({args.rows * args.columns * 4 / 2**20:.0f} MiB), horizon {args.horizon}; "
        f"bar: < {args.limit_gib} GiB"
    )
    _common.print_table(
        ["task", "input_size", "peak RSS (GiB)", f"< {args.limit_gib} GiB"],
        [
            [
                r["task"],
                r["input_size"] or "-",
                f"{r['peak_gib']:.2f}",
                "yes" if r["under_limit"] else "NO",
            ]
            for r in results
        ],
    )
    _common.write_json(
        "memory",
        {"machine": _common.machine(), "config": vars(args), "results": results},
        args.json,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
