"""Peak memory and speed of a panel with M5's shape ("many series").

A synthetic long panel shaped like the M5 competition: ``--n-series`` daily
series (30,490) x ``--n-rows`` rows (1,941), i.e. 59 million rows, with one
target (``sales``), five known-ahead covariates, three static columns, all
float32, the series in an ``item`` column (a pandas Categorical of string
labels, or ``--series-dtype int32`` codes) and a DatetimeIndex; rows sorted by
series, then time. The estimator is::

    TSMixerRegressor(input_size=56, horizon=28, target_columns=["sales"],
                     future_columns=[5 names], static_columns=[3 names],
                     series_column="item", steps_per_epoch=--steps, epochs=1,
                     early_stopping=False)   # --early-stopping turns it on

Each measurement runs in a fresh child process (imports sktsmixer and its
backend, builds the frame, then):

* ``frame``: nothing more -- peak RSS of imports + building the frame, and
  the frame's own size (``frame.memory_usage(deep=True).sum()``);
* ``fit``: ``fit`` for ``--steps`` training steps; training windows/s;
* ``forecast``: loads the fitted estimator (pickle) and forecasts every
  series, ``future=`` the next 28 rows of the covariates of all series.

Peak RSS is the child's ``ru_maxrss``. The parent watches every child's RSS
and kills it over ``--rss-limit-gib`` (or 90 % of the memory available when it
starts), so a size that does not fit is reported as killed, not as a machine
out of memory. Inside the children, the library's steps are wrapped (this
script only, no library change) and a thread samples RSS every few ms, so the
table of phases says which step holds the peak.

The bar: peak RSS <= frame size + 3 GiB.

``--sizes 1000 3000 10000`` measures those numbers of series (at ``--n-rows``
rows) and extrapolates linearly in the number of rows to ``--n-series``;
measured and extrapolated figures are reported apart.

    python benchmarks/panel_scale.py --sizes 1000 3000 10000   # ladder + extrapolation
    python benchmarks/panel_scale.py                           # the full M5 shape
    python benchmarks/panel_scale.py --quick                   # seconds, for the tests
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import threading
import time

import _common

GIB = 2**30
FUTURE = ["price", "snap", "event", "promo", "temp"]
STATIC = ["store", "dept", "cat"]
TARGET = "sales"
SERIES = "item"


def parse_args(argv=None):
    parser = _common.make_parser(__doc__)
    parser.add_argument("--n-series", type=int, default=30_490)
    parser.add_argument("--n-rows", type=int, default=1_941, help="rows per series")
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=None,
        help="numbers of series to measure (at --n-rows each), extrapolated to --n-series; "
        "default: --n-series alone",
    )
    parser.add_argument("--steps", type=int, default=200, help="training steps of the fit")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--input-size", type=int, default=56)
    parser.add_argument("--horizon", type=int, default=28)
    parser.add_argument("--early-stopping", action="store_true")
    parser.add_argument(
        "--time-features", default=None, help="time_features of the estimator (e.g. auto)"
    )
    parser.add_argument("--series-dtype", choices=["category", "int32"], default="category")
    parser.add_argument(
        "--gather",
        choices=["auto", "numpy", "graph"],
        default="auto",
        help="where training windows are gathered: the estimator's choice by the size of "
        "the series, always in NumPy, or always inside the compiled step (A/B)",
    )
    parser.add_argument(
        "--tasks",
        nargs="+",
        choices=["frame", "fit", "forecast"],
        default=["frame", "fit", "forecast"],
    )
    parser.add_argument("--bar-gib", type=float, default=3.0, help="allowed peak above the frame")
    parser.add_argument(
        "--rss-limit-gib", type=float, default=18.0, help="kill a child whose RSS passes this"
    )
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per child")
    parser.add_argument(
        "--sample-ms", type=float, default=5.0, help="RSS sampling period inside children"
    )
    parser.add_argument("--quick", action="store_true", help="300 series x 400 rows, 20 steps")
    parser.add_argument(
        "--json", default=None, help="output path (default benchmarks/results/panel_scale.json)"
    )
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.n_series, args.n_rows, args.steps = 300, 400, 20
        args.sizes = None
    if args.sizes is None:
        args.sizes = [args.n_series]
    return args


# --------------------------------------------------------------------- data


def _fill(values, n_series, n_rows, start, seed=0):
    """Write the 9 value columns for ``n_rows`` steps from step ``start``.

    ``values`` has one block of ``n_rows`` rows per series. Deterministic in
    (series, step), so the future rows continue the history exactly.
    """
    import numpy as np

    chunk = max(1, 2_000_000 // n_rows)
    t = np.arange(start, start + n_rows, dtype=np.float64)
    dow = np.sin(2 * np.pi * t / 7)
    snap = ((t % 30) < 10).astype(np.float32)
    event = ((t % 61) == 0).astype(np.float32)
    for s0 in range(0, n_series, chunk):
        s1 = min(n_series, s0 + chunk)
        s = np.arange(s0, s1)[:, None]
        block = slice(s0 * n_rows, s1 * n_rows)
        rng = np.random.default_rng([seed, s0, start])
        level = (1.0 + (s * 2654435761 % 1000) / 100.0).astype(np.float32)
        promo = (((s * 7919 + t.astype(np.int64) * 104729) % 13) == 0).astype(np.float32)
        price = level * (1.0 - 0.2 * promo)
        temp = 15 + 10 * np.sin(2 * np.pi * t / 365.25 + s % 7)
        noise = rng.standard_normal((s1 - s0, n_rows), dtype=np.float32)
        sales = np.maximum(0.0, level * (1 + 0.3 * dow) * (1 + 0.5 * promo) + noise)
        columns = [sales, price, snap, event, promo, temp, s % 10, s % 7, s % 3]
        for j, column in enumerate(columns):
            values[block, j] = np.broadcast_to(column, (s1 - s0, n_rows)).ravel()


def make_frame(n_series, n_rows, series_dtype="category", start=0, columns=None):
    """The long float32 panel, built without a copy of its values."""
    import numpy as np
    import pandas as pd

    names = [TARGET, *FUTURE, *STATIC]
    n = n_series * n_rows
    # Column-major: each column is contiguous, and pandas keeps the array
    # (its block is ``values.T``) instead of copying it.
    values = np.empty((n, len(names)), dtype=np.float32, order="F")
    _fill(values, n_series, n_rows, start)
    dates = pd.date_range("2011-01-29", periods=start + n_rows, freq="D")[start:]
    ticks = np.tile(dates.as_unit("ns").asi8, n_series)
    index = pd.DatetimeIndex(ticks.view("M8[ns]"), name="date")
    del ticks
    frame = pd.DataFrame(values, columns=names, index=index, copy=False)
    if columns is not None:
        frame = frame[columns]
    codes = np.repeat(np.arange(n_series, dtype=np.int32), n_rows)
    if series_dtype == "category":
        labels = [f"ITEM_{i:05d}_CA_1" for i in range(n_series)]
        item = pd.Categorical.from_codes(
            codes.astype(np.int16 if n_series < 2**15 else np.int32), labels
        )
    else:
        item = codes
    frame.insert(0, SERIES, item)
    return frame


# ------------------------------------------------------- inside the children


class PhaseRecorder:
    """Wraps library functions; a thread samples RSS and charges it to the
    phases running at that moment (inclusive) and to the innermost (self)."""

    def __init__(self, period_s):
        import psutil

        self._process = psutil.Process()
        self.period_s = period_s
        self.stack = []
        self.records = []
        self.rss_max = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def rss(self):
        return self._process.memory_info().rss

    def _charge(self, rss):
        self.rss_max = max(self.rss_max, rss)
        stack = list(self.stack)
        for record in stack:
            record["peak_rss"] = max(record["peak_rss"], rss)
        if stack:
            stack[-1]["self_peak_rss"] = max(stack[-1]["self_peak_rss"], rss)

    def _sample(self):
        while not self._stop.is_set():
            self._charge(self.rss())
            time.sleep(self.period_s)

    def stop(self):
        self._stop.set()
        self._thread.join()

    def wrap(self, owner, name, label=None):
        original = getattr(owner, name)
        label = label or name
        recorder = self

        def wrapper(*args, **kwargs):
            rss = recorder.rss()
            record = {
                "phase": label,
                "depth": len(recorder.stack),
                "rss_in": rss,
                "peak_rss": rss,
                "self_peak_rss": rss,
            }
            recorder._charge(rss)
            recorder.records.append(record)
            recorder.stack.append(record)
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                record["seconds"] = time.perf_counter() - start
                rss = recorder.rss()
                recorder._charge(rss)
                record["rss_out"] = rss
                recorder.stack.pop()

        wrapper.__wrapped__ = original
        setattr(owner, name, wrapper)


def instrument(recorder):
    """Wrap the steps of fit and forecast that may hold the peak."""
    import pandas as pd

    from sktsmixer import estimator
    from sktsmixer.data import encoder
    from sktsmixer.data import panel as data
    from sktsmixer.training import batches, trainer

    w = recorder.wrap
    w(estimator.TSMixerRegressor, "fit")
    w(estimator.TSMixerRegressor, "forecast")
    w(estimator.TSMixerRegressor, "_build_model")
    # parse_panel and its helpers (imported by name into two modules)
    w(data, "_split_series_and_time")
    w(data, "_time_step")
    w(data, "_grid_positions")
    w(data, "_static_table")
    # pd.factorize as parse_panel sees it (its own module attribute)
    data.pd = _Namespace(pd)
    w(data.pd, "factorize", "pd.factorize")
    w(data, "parse_panel")
    estimator.parse_panel = data.parse_panel
    # fit: the encoder, then the trainer
    for name in ("fit_transform", "_learn", "_context", "block_statistics", "scaled_static"):
        w(encoder.PanelEncoder, name, f"PanelEncoder.{name}")
    for name in (
        "valid_window_ends",
        "split_by_series",
        "scaling_statistics",
        "standardize_blocks",
        "fill_forward",
    ):
        w(encoder, name)  # as the encoder imported them
    w(trainer.Trainer, "fit", "Trainer.fit")
    w(trainer.Trainer, "holdout_forecasts", "Trainer.holdout_forecasts")
    w(batches.WindowEndBatches, "__init__", "WindowEndBatches.__init__")
    w(batches.WindowedTrainer, "__init__", "WindowedTrainer.__init__ (keras.Variable)")
    w(batches.GatheredWindows, "__init__", "GatheredWindows.__init__")
    # forecast
    w(encoder.PanelEncoder, "future_values", "PanelEncoder.future_values")
    w(encoder.PanelEncoder, "transform", "PanelEncoder.transform")
    w(estimator, "predict_windows")
    w(estimator.TSMixerRegressor, "_check_input_names")
    w(encoder.PanelEncoder, "forecast_index", "PanelEncoder.forecast_index")
    w(estimator, "forecast_frame")


class _Namespace:
    """A stand-in for a module whose attributes can be wrapped one by one."""

    def __init__(self, module):
        self._module = module

    def __getattr__(self, name):
        return getattr(self._module, name)


class _TrainClock:
    """Times the training batches: steady windows/s after the first call."""

    def __init__(self):
        self.marks = []

    def callback(self):
        import keras

        clock = self

        class Clock(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                clock.marks.append((-1, time.perf_counter()))

            def on_train_batch_end(self, batch, logs=None):
                clock.marks.append((batch, time.perf_counter()))

        return Clock()


def _clocked_training(clock):
    """Add the clock to the trainer's callbacks (this process only)."""
    from sktsmixer.training import batches as windowing

    for trainer in (windowing.WindowedTrainer, windowing.GatheredTrainer):

        def fit(self, *args, callbacks=None, _original=trainer.fit, **kwargs):
            callbacks = [*(callbacks or []), clock.callback()]
            return _original(self, *args, callbacks=callbacks, **kwargs)

        trainer.fit = fit


def _estimator(spec):
    from sktsmixer import TSMixerRegressor

    return TSMixerRegressor(
        input_size=spec["input_size"],
        horizon=spec["horizon"],
        target_columns=[TARGET],
        future_columns=FUTURE,
        static_columns=STATIC,
        series_column=SERIES,
        time_features=spec["time_features"],
        batch_size=spec["batch_size"],
        epochs=1,
        steps_per_epoch=spec["steps"],
        early_stopping=spec["early_stopping"],
        random_state=0,
    )


def child(spec):
    """One measurement in this fresh process; prints a JSON line."""
    import pickle

    import numpy as np

    import sktsmixer  # noqa: F401  (the library and its backend count in every figure)

    recorder = PhaseRecorder(spec["sample_ms"] / 1000)
    instrument(recorder)
    if spec["gather"] != "auto":
        from sktsmixer.training import trainer as _training

        _training.GATHER_IN_NUMPY_BYTES = 0 if spec["gather"] == "numpy" else float("inf")
    out = {"task": spec["task"], "rss_after_import": recorder.rss(), "load_avg": os.getloadavg()}
    t0 = time.perf_counter()
    frame = make_frame(spec["n_series"], spec["n_rows"], spec["series_dtype"])
    out["frame_seconds"] = time.perf_counter() - t0
    out["frame_bytes"] = int(frame.memory_usage(deep=True).sum())
    out["rss_after_frame"] = recorder.rss()
    out["peak_rss_after_frame"] = _maxrss()
    if spec["task"] == "fit":
        clock = _TrainClock()
        _clocked_training(clock)
        est = _estimator(spec)
        start = time.perf_counter()
        est.fit(frame)
        out["seconds"] = time.perf_counter() - start
        out["peak_rss"] = _maxrss()
        out.update(_training_speed(clock, spec["batch_size"], recorder.records))
        # Everything but the training loop: parse, prepare, model, calibration.
        out["setup_seconds"] = out["seconds"] - out["train_seconds"]
        out["n_train_steps"] = spec["steps"]
        pathlib.Path(spec["save"]).write_bytes(pickle.dumps(est))
    elif spec["task"] == "forecast":
        future = make_frame(
            spec["n_series"],
            spec["horizon"],
            spec["series_dtype"],
            start=spec["n_rows"],
            columns=FUTURE,
        )
        est = pickle.loads(pathlib.Path(spec["load"]).read_bytes())
        start = time.perf_counter()
        forecast = est.forecast(frame, future=future)
        out["seconds"] = time.perf_counter() - start
        out["peak_rss"] = _maxrss()
        assert len(forecast) == spec["n_series"] * spec["horizon"], forecast.shape
        out["forecast_finite"] = bool(np.isfinite(forecast.to_numpy()).all())
    else:
        out["peak_rss"] = _maxrss()
    recorder.stop()
    out["sampled_peak_rss"] = recorder.rss_max
    out["phases"] = recorder.records
    print(json.dumps(out))


def _maxrss():
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _training_speed(clock, batch_size, records):
    train = [r for r in records if r["phase"] == "Trainer.fit"]
    train_seconds = train[-1]["seconds"] if train else float("nan")
    marks = [m for m in clock.marks if m[0] >= 0]
    result = {"train_seconds": train_seconds}
    if len(marks) >= 2:
        steps = marks[-1][0] - marks[0][0]
        result["windows_per_s"] = steps * batch_size / (marks[-1][1] - marks[0][1])
    if marks:
        total = marks[-1][0] + 1
        result["windows_per_s_with_tracing"] = total * batch_size / train_seconds
    return result


# ------------------------------------------------------------- the parent


def measure(spec, limit_bytes, timeout):
    """Run one child, watching its RSS; returns its JSON (or why it stopped)."""
    import psutil

    available = psutil.virtual_memory().available
    guard = min(limit_bytes, int(0.9 * available))
    process = subprocess.Popen(
        [sys.executable, __file__, "--child", json.dumps(spec)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=pathlib.Path(__file__).parent,
    )
    watched = psutil.Process(process.pid)
    seen, reason, start = 0, None, time.monotonic()
    out, err = [], []
    readers = [
        threading.Thread(target=lambda: out.append(process.stdout.read()), daemon=True),
        threading.Thread(target=lambda: err.append(process.stderr.read()), daemon=True),
    ]
    for reader in readers:
        reader.start()
    while process.poll() is None:
        try:
            rss = watched.memory_info().rss
        except psutil.Error:
            rss = 0
        seen = max(seen, rss)
        if rss > guard:
            reason = f"killed: RSS {rss / GIB:.1f} GiB passed the guard of {guard / GIB:.1f} GiB"
        elif time.monotonic() - start > timeout:
            reason = f"killed: ran past {timeout:.0f} s"
        if reason:
            process.kill()
            break
        time.sleep(0.05)
    process.wait()
    for reader in readers:
        reader.join()
    wall = time.monotonic() - start
    stdout, stderr = "".join(out), "".join(err)
    if reason or process.returncode != 0:
        return {
            "task": spec["task"],
            "failed": reason or f"exit status {process.returncode}",
            "max_rss_seen": seen,
            "wall_seconds": wall,
            "stderr_tail": stderr[-2000:],
        }
    result = json.loads(stdout.strip().splitlines()[-1])
    result["wall_seconds"] = wall
    return result


def measure_size(args, n_series, tmp):
    base = {
        "n_series": n_series,
        "n_rows": args.n_rows,
        "steps": args.steps,
        "batch_size": args.batch_size,
        "input_size": args.input_size,
        "horizon": args.horizon,
        "early_stopping": args.early_stopping,
        "time_features": args.time_features,
        "series_dtype": args.series_dtype,
        "gather": args.gather,
        "sample_ms": args.sample_ms,
        "save": str(pathlib.Path(tmp) / f"est_{n_series}.pkl"),
    }
    base["load"] = base["save"]
    limit = int(args.rss_limit_gib * GIB)
    row = {"n_series": n_series, "n_rows": args.n_rows, "panel_rows": n_series * args.n_rows}
    for task in ("frame", "fit", "forecast"):
        if task not in args.tasks:
            continue
        if task == "forecast" and ("fit" not in row or "failed" in row["fit"]):
            row[task] = {"task": task, "failed": "no fitted estimator"}
            continue
        print(f"  {n_series:,} series: {task} ...", flush=True, file=sys.stderr)
        row[task] = measure({**base, "task": task}, limit, args.timeout)
    sizes = [
        row[t]["frame_bytes"]
        for t in ("frame", "fit", "forecast")
        if "frame_bytes" in row.get(t, {})
    ]
    row["frame_bytes"] = sizes[0] if sizes else None
    row["bar"] = _bar(row, args.bar_gib)
    return row


def _bar(row, bar_gib):
    """Per task: allowed peak (frame + bar) and whether the peak stays under it."""
    frame = row.get("frame_bytes")
    verdict = {}
    for task in ("fit", "forecast"):
        peak = row.get(task, {}).get("peak_rss")
        if frame is None or peak is None:
            verdict[task] = None if "failed" not in row.get(task, {}) else False
            continue
        verdict[task] = peak <= frame + bar_gib * GIB
    verdict["allowed_bytes"] = None if frame is None else frame + bar_gib * GIB
    return verdict


def extrapolate(rows, target_rows, bar_gib):
    """Least-squares line in the number of panel rows, through the measured sizes."""
    import numpy as np

    def line(values):
        points = [(x, y) for x, y in values if y is not None]
        if len(points) < 2:
            return None
        x, y = np.array(points, dtype=np.float64).T
        slope, intercept = np.polyfit(x, y, 1)
        return {
            "value": float(intercept + slope * target_rows),
            "per_million_rows": float(slope * 1e6),
            "intercept": float(intercept),
        }

    def get(task, key):
        return [(r["panel_rows"], r.get(task, {}).get(key)) for r in rows]

    result = {
        "panel_rows": target_rows,
        "basis_n_series": [r["n_series"] for r in rows],
        "method": "least-squares line of each figure against panel rows (n_series x n_rows)",
        "frame_bytes": line([(r["panel_rows"], r["frame_bytes"]) for r in rows]),
        "frame_peak_rss": line(get("frame", "peak_rss")),
        "fit_peak_rss": line(get("fit", "peak_rss")),
        "forecast_peak_rss": line(get("forecast", "peak_rss")),
        "fit_seconds": line(get("fit", "seconds")),
        "fit_setup_seconds": line(get("fit", "setup_seconds")),
        "forecast_seconds": line(get("forecast", "seconds")),
    }
    # Peak by phase, to see what dominates at the target size.
    phases = {}
    for task in ("fit", "forecast"):
        names = _phase_peaks(rows[-1].get(task, {}))
        for name in names:
            phases[f"{task}: {name}"] = line(
                [(r["panel_rows"], _phase_peaks(r.get(task, {})).get(name)) for r in rows]
            )
    result["phase_peak_rss"] = phases
    frame = result["frame_bytes"]
    result["bar"] = {
        task: (
            None
            if frame is None or result[f"{task}_peak_rss"] is None
            else result[f"{task}_peak_rss"]["value"] <= frame["value"] + bar_gib * GIB
        )
        for task in ("fit", "forecast")
    }
    return result


def _phase_peaks(result):
    """Largest inclusive peak of every top-level-ish phase (first call of each name)."""
    peaks = {}
    for record in result.get("phases", []):
        peaks.setdefault(record["phase"], record["peak_rss"])
    return peaks


def _gib(value):
    return "-" if value is None else f"{value / GIB:.2f}"


def print_phases(row):
    for task in ("fit", "forecast"):
        result = row.get(task, {})
        if not result.get("phases"):
            continue
        print(f"\n{task}, {row['n_series']:,} series: phases (RSS GiB; self = while innermost)")
        _common.print_table(
            ["phase", "in", "peak", "self peak", "out", "seconds"],
            [
                [
                    "  " * r["depth"] + r["phase"],
                    _gib(r["rss_in"]),
                    _gib(r["peak_rss"]),
                    _gib(r["self_peak_rss"]),
                    _gib(r.get("rss_out")),
                    f"{r.get('seconds', float('nan')):.2f}",
                ]
                for r in result["phases"]
                if r.get("seconds", 0) >= 0.05 or r["peak_rss"] - r["rss_in"] > 50 * 2**20
            ],
        )


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        return child(json.loads(args.child))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n_series in args.sizes:
            rows.append(measure_size(args, n_series, tmp))
    print(
        f"\nMeasured: series x {args.n_rows:,} rows, 1 target + {len(FUTURE)} known-ahead + "
        f"{len(STATIC)} static float32 columns, series as {args.series_dtype}; "
        f"input_size={args.input_size}, horizon={args.horizon}, {args.steps} steps of batch "
        f"{args.batch_size}, early_stopping={args.early_stopping}; "
        f"bar: peak <= frame + {args.bar_gib:g} GiB"
    )
    _common.print_table(
        [
            "series",
            "rows",
            "frame GiB",
            "frame peak",
            "fit peak",
            "fit s",
            "setup s",
            "windows/s",
            "load",
            "forecast peak",
            "forecast s",
            "fit bar",
            "forecast bar",
        ],
        [
            [
                f"{r['n_series']:,}",
                f"{r['panel_rows'] / 1e6:.1f}M",
                _gib(r["frame_bytes"]),
                _cell(r, "frame", "peak_rss"),
                _cell(r, "fit", "peak_rss"),
                _cell(r, "fit", "seconds"),
                _cell(r, "fit", "setup_seconds"),
                _cell(r, "fit", "windows_per_s"),
                _load(r.get("fit", {})),
                _cell(r, "forecast", "peak_rss"),
                _cell(r, "forecast", "seconds"),
                _yes(r["bar"].get("fit")),
                _yes(r["bar"].get("forecast")),
            ]
            for r in rows
        ],
    )
    target_rows = args.n_series * args.n_rows
    extrapolated = None
    if len(rows) >= 2 and target_rows != rows[-1]["panel_rows"]:
        extrapolated = extrapolate(rows, target_rows, args.bar_gib)
        e = extrapolated
        print(
            f"\nExtrapolated (not measured) to {args.n_series:,} series x {args.n_rows:,} rows "
            f"({target_rows / 1e6:.1f}M rows), from {e['basis_n_series']} series:"
        )
        _common.print_table(
            ["figure", "value", "per 1M rows"],
            [
                [name, _fmt(name, e[name]["value"]), _fmt(name, e[name]["per_million_rows"])]
                for name in (
                    "frame_bytes",
                    "frame_peak_rss",
                    "fit_peak_rss",
                    "forecast_peak_rss",
                    "fit_seconds",
                    "fit_setup_seconds",
                    "forecast_seconds",
                )
                if e[name] is not None
            ],
        )
        bar = e["bar"]
        print(f"bar met (extrapolated): fit {_yes(bar['fit'])}, forecast {_yes(bar['forecast'])}")
    for row in rows:
        print_phases(row)
    _common.write_json(
        "panel_scale",
        {
            "machine": _common.machine(),
            "config": vars(args),
            "measured": rows,
            "extrapolated": extrapolated,
        },
        args.json,
    )
    return 0


def _cell(row, task, key):
    result = row.get(task, {})
    if "failed" in result:
        return "killed" if result["failed"].startswith("killed") else "failed"
    value = result.get(key)
    if value is None:
        return "-"
    if key == "peak_rss":
        return _gib(value)
    return f"{value:,.0f}" if key == "windows_per_s" else f"{value:.1f}"


def _load(result):
    """1-minute load average when the child started (the machine is shared)."""
    load = result.get("load_avg")
    return "-" if not load else f"{load[0]:.1f}"


def _fmt(name, value):
    return f"{value / GIB:.2f} GiB" if name.endswith(("bytes", "rss")) else f"{value:.1f} s"


def _yes(flag):
    return {True: "yes", False: "NO", None: "-"}[flag]


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.exit(main())
