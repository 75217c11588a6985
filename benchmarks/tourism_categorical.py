"""Categorical statics on the tourism panel, and the time of a 24-origin backtest.

Data: the suite's tourism panel (304 quarterly series named by ``Region``,
``State`` and ``Purpose``; horizon 8, period 4), cut to the suite's TUNING
block (``_suite_data.cut_to_block(..., "tune")``: 2 origins 4 quarters apart,
the last horizon ending at the test block's first origin). The test block
is never read.

Accuracy. Two configurations of ``TSMixerRegressor(horizon=8,
series_column=["Region", "State", "Purpose"], target_columns=["y"],
random_state=seed)``, the estimator's defaults otherwise:

* ``key only``: the compound key names the series and nothing more;
* ``key + statics``: copies of the three key columns (``Region_s``,
  ``State_s``, ``Purpose_s``; a key column cannot also be a static one) are
  passed as ``static_columns``, read as categories (text columns).

Each is fitted once per seed on the data up to the block's first origin and
forecasts both origins from one ``predict`` pass, as the suite's
``run_ours`` does. MASE and relMASE (MASE / seasonal naive's MASE, period 4)
are the suite's (``_suite_data.mase``). ``fit s`` is the wall time of
``fit``; ``predict s`` that of the ``predict`` pass.

Backtest timing. With the ``key only`` model of seed 0 (already fitted):
``sktsmixer.model_selection.backtest(est, X, origins=24)`` on the block's
data (``refit=False``: one ``predict(X)`` pass over every row of ``X``, the
24 last origin times whose horizon lies in ``X``, and the tidy frame with the
actuals). Beside it, neuralforecast's ``NeuralForecast(models=[NHITS(h=8,
input_size=16, max_steps=NF_STEPS, scaler_type="standard")],
freq="QS").cross_validation(df, n_windows=24, step_size=1, refit=False)``
on the same rows, whose single call trains the model (on the data before the
first of its 24 origins) and forecasts them: compare it with our ``fit +
backtest``.

Run ``python benchmarks/tourism_categorical.py`` (writes
``results/tourism_categorical.json``); ``--quick`` is a smoke run on 3 short
series with tiny training budgets; ``--peer-from`` reports an earlier run's
neuralforecast timing instead of a new call; ``--revin-diagnostic`` adds
``key + statics`` with ``revin=True``.
"""

import dataclasses
import os
import pathlib
import shlex
import sys
import time
import warnings

import _common
import _suite_data as sd
import _suite_peers as peers
import numpy as np
import pandas as pd

KEY = ["Region", "State", "Purpose"]
STATICS = [f"{name}_s" for name in KEY]
SEEDS = (0, 1, 2)
BACKTEST_ORIGINS = 24
QUICK_ROWS = 44  # --quick: quarters before the block, enough for 24 backtest origins
NF_STEPS = 1000  # NHITS's own default max_steps
NF_SEED = 1  # NHITS's own default random_seed
LOADED = 4.0  # a 1-minute load average above this inflates timings on a 2-core machine
PACKAGES = (
    "sktsmixer",
    "keras",
    "tensorflow",
    "numpy",
    "pandas",
    "scikit-learn",
    "neuralforecast",
    "torch",
    "pytorch-lightning",
)


def parse_args(argv=None):
    parser = _common.make_parser(__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke run, tiny budgets")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--nf-steps", type=int, default=None, help=f"default {NF_STEPS}")
    parser.add_argument("--no-peer", action="store_true", help="skip the neuralforecast call")
    parser.add_argument(
        "--peer-from",
        default=None,
        help="JSON of an earlier run whose neuralforecast timing is reported instead of a new "
        "call (it does not depend on sktsmixer's code; that run's commit and date are kept)",
    )
    parser.add_argument(
        "--revin-diagnostic",
        action="store_true",
        help="also fit key + statics with revin=True (the default drops RevIN with statics)",
    )
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--out", default=None, help="JSON path")
    args = parser.parse_args(argv)
    if args.nf_steps is None:
        args.nf_steps = peers.QUICK_STEPS if args.quick else NF_STEPS
    if args.out is None:
        name = "tourism_categorical_quick" if args.quick else "tourism_categorical"
        args.out = str(_common.RESULTS / f"{name}.json")
    return args


def load_average():
    """The 1-, 5- and 15-minute load averages (None where the OS has none)."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def panel(frame):
    """Ours' layout: indexed by time, the key's three columns, ``y`` and the static copies.

    The suite's loader names a series ``"Region / State / Purpose"``; the
    labels contain no ``" / "``, so the split gives the file's columns back.
    """
    parts = frame["unique_id"].str.split(" / ", expand=True)
    if parts.shape[1] != len(KEY):
        raise RuntimeError("a tourism series key does not split into Region / State / Purpose")
    X = pd.DataFrame(parts.to_numpy(), columns=KEY, index=pd.DatetimeIndex(frame["ds"], name="ds"))
    X["y"] = frame["y"].to_numpy()
    for name, copy in zip(KEY, STATICS, strict=True):
        X[copy] = X[name]
    return X


def estimator(seed, statics, quick, **params):
    from sktsmixer import TSMixerRegressor

    est = TSMixerRegressor(
        horizon=sd.SPECS["tourism"].horizon,
        series_column=KEY,
        target_columns=["y"],
        static_columns=list(STATICS) if statics else None,
        random_state=seed,
        **params,
    )
    if quick:
        known = est.get_params()
        est.set_params(**{k: v for k, v in peers.OURS_QUICK.items() if k in known})
    return est


def forecast_block(est, X, uid, frame, block):
    """Fit before the block's first origin; forecasts ``(n_origins, n_series, horizon)``.

    ``uid`` is the suite's series name of every row of ``X`` (the rows are
    the frame's), used only to find the origin rows.
    """
    cuts = sd.cutoffs(frame, block)
    times = np.sort(frame["ds"].unique())
    train = X[X.index <= cuts[0]]
    load = load_average()
    start = time.perf_counter()
    est.fit(train)
    fit_s = time.perf_counter() - start
    # Forecasts read the past of each origin only: rows after the last
    # origin are not needed, nor those before the first origin's window.
    window = int(est.input_size_)
    first = times[max(0, np.searchsorted(times, cuts[0]) - window - 1)]
    keep = (X.index <= cuts[-1]) & (X.index >= first)
    Xp, ids = X[keep], np.asarray(uid)[keep]
    keys = pd.MultiIndex.from_arrays([ids, Xp.index])
    series = list(pd.unique(frame["unique_id"]))
    rows = keys.get_indexer(pd.MultiIndex.from_product([cuts, series]).swaplevel())
    if (rows < 0).any():
        raise RuntimeError("an origin of the block is missing from the prediction frame")
    start = time.perf_counter()
    point = np.asarray(est.predict(Xp))
    predict_s = time.perf_counter() - start
    point = point[rows].reshape(len(cuts), len(series), block.horizon)
    return point, fit_s, predict_s, load


def fitted_settings(est):
    """The settings ``fit`` decided (the 'auto' parameters and the categories)."""
    out = {}
    for name in ("input_size_", "dropout_", "n_iter_", "season_length_", "jit_compile_"):
        value = getattr(est, name, None)
        if value is not None:
            out[name] = value.item() if hasattr(value, "item") else value
    categories = getattr(est, "categories_", None) or {}
    out["n_categories"] = {name: len(c) for name, c in categories.items()}
    out["categorical_encoding_"] = getattr(est, "categorical_encoding_", None)
    out["n_params"] = int(est.model_.count_params())
    # revin="auto" is decided in fit and kept as the model's layer, not an attribute.
    out["revin"] = any(layer.name == "rev_norm" for layer in est.model_.layers)
    out["model"] = est.model_.name
    return out


def summary(values):
    values = np.asarray(values, dtype=float)
    std = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    return {"mean": float(np.mean(values)), "std": std}


def time_backtest(est, X):
    """``backtest(est, X, origins=24)`` with the fitted estimator: seconds, frame facts."""
    from sktsmixer.model_selection import backtest

    origins = BACKTEST_ORIGINS
    load = load_average()
    start = time.perf_counter()
    bt = backtest(est, X, origins=origins)
    seconds = time.perf_counter() - start
    return {
        "call": f"backtest(est, X, origins={origins})  # refit=False",
        "seconds": seconds,
        "origins": origins,
        "rows": len(bt),
        "first_origin": str(bt["origin"].min()),
        "last_origin": str(bt["origin"].max()),
        "load_average_before": load,
    }


def time_nhits(frame, origins, steps, quick):
    """neuralforecast's rolling-origin call on the same rows; its fit is inside it."""
    from neuralforecast import NeuralForecast
    from neuralforecast.models import NHITS

    _common.quiet_lightning()
    import torch

    torch.set_num_threads(os.cpu_count())
    spec = sd.SPECS["tourism"]
    quiet = dict(
        enable_progress_bar=False,
        enable_model_summary=False,
        enable_checkpointing=False,
        logger=False,
        accelerator="cpu",
    )
    if quick:  # as the suite's --quick: NHITS samples 1024 windows a step by default
        quiet.update(windows_batch_size=32, inference_windows_batch_size=32)
    model = NHITS(
        h=spec.horizon,
        input_size=spec.nf_input_size,
        max_steps=steps,
        scaler_type="standard",
        **quiet,
    )
    nf = NeuralForecast(models=[model], freq=spec.freq)
    df = frame[["unique_id", "ds", "y"]]
    load = load_average()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cv = nf.cross_validation(df, n_windows=origins, step_size=1, refit=False)
    seconds = time.perf_counter() - start
    cv = cv.reset_index() if "cutoff" not in cv.columns else cv
    return {
        "call": (
            f"NeuralForecast(models=[NHITS(h={spec.horizon}, input_size={spec.nf_input_size}, "
            f'max_steps={steps}, scaler_type="standard")], freq="{spec.freq}")'
            f".cross_validation(df, n_windows={origins}, step_size=1, refit=False)"
        ),
        "seconds": seconds,
        "includes": "the fit (max_steps steps, no early stopping) and the 24-origin forecasts",
        "max_steps": steps,
        "random_seed": NF_SEED,
        "origins": int(cv["cutoff"].nunique()),
        "rows": len(cv),
        "first_origin": str(cv["cutoff"].min()),
        "last_origin": str(cv["cutoff"].max()),
        "load_average_before": load,
    }


def reused_peer(path):
    """The neuralforecast timing of an earlier run of this script, with where it came from."""
    import json

    earlier = json.loads(pathlib.Path(path).read_text())
    peer = dict(earlier["backtest_timing"]["neuralforecast"])
    if "seconds" not in peer:
        raise SystemExit(f"--peer-from {path}: that run has no neuralforecast timing")
    peer["reused_from"] = {
        "file": str(path),
        "date": earlier["machine"]["date"],
        "commit": earlier["commit"],
        "load_average_end": earlier.get("load_average_end"),
    }
    return peer


def main(argv=None):
    args = parse_args(argv)
    commit = _common.git_commit()  # the code the run starts with (others may commit meanwhile)
    spec = sd.SPECS["tourism"]
    full = sd.load(spec, sd.data_dir(args.data_dir))
    frame, block = sd.cut_to_block(full, spec, "tune")
    if args.quick:
        # The suite's --quick block (one origin) ends later than the tuning
        # block; cut from the tuning block's data, it never reaches the test
        # block. That data is shorter: QUICK_ROWS of history, not the suite's 60.
        short = dataclasses.replace(spec, quick_rows=QUICK_ROWS)
        frame, block = sd.cut_to_block(frame, short, "tune", quick=True)
    X = panel(frame)
    uid = frame["unique_id"].to_numpy()
    values = sd.series_values(frame)
    y_true = sd.truth(values, block)
    scale = sd.seasonal_scale(values, block, spec.period)
    naive_mase = sd.mase(y_true, sd.seasonal_naive(values, block, spec.period), scale)
    cuts = sd.cutoffs(frame, block)
    print(f"tourism, tuning block: {len(values)} series, origins {[str(c)[:10] for c in cuts]}")
    print(f"seasonal naive MASE {naive_mase:.4f}")

    configs = {
        "key only": (False, X.drop(columns=STATICS), {}),
        "key + statics": (True, X, {}),
    }
    if args.revin_diagnostic:
        # revin="auto" drops RevIN when statics are given: this run keeps it,
        # so that the statics are the only difference from "key only".
        configs["key + statics, revin=True"] = (True, X, {"revin": True})
    results, fitted_a0 = {}, None
    for label, (statics, data, params) in configs.items():
        runs = []
        for seed in args.seeds:
            est = estimator(seed, statics, args.quick, **params)
            point, fit_s, predict_s, load = forecast_block(est, data, uid, frame, block)
            score = sd.mase(y_true, point, scale)
            runs.append(
                {
                    "seed": seed,
                    "mase": score,
                    "relmase": score / naive_mase,
                    "fit_s": fit_s,
                    "predict_s": predict_s,
                    "load_average_before": load,
                    "fitted": fitted_settings(est),
                }
            )
            print(f"{label:14s} seed {seed}: MASE {score:.4f}, fit {fit_s:.1f} s")
            if not statics and seed == args.seeds[0]:
                fitted_a0 = est
        results[label] = {
            "static_columns": list(STATICS) if statics else None,
            "params": params,
            "runs": runs,
            **{k: summary([r[k] for r in runs]) for k in ("mase", "relmase", "fit_s")},
        }

    # Paired by seed: the same initial draws but for the statics' own weights.
    gain = [
        a["mase"] - b["mase"]
        for a, b in zip(results["key only"]["runs"], results["key + statics"]["runs"], strict=True)
    ]
    fit_a0 = results["key only"]["runs"][0]["fit_s"]
    ours_bt = time_backtest(fitted_a0, configs["key only"][1])
    ours_bt["includes"] = (
        f"one predict(X) pass over every row of X (all {len(values)} series), picking the "
        "origin rows, lining up the actuals and building the long frame; not the fit"
    )
    ours_bt["fit_s_seed0"] = fit_a0
    ours_bt["fit_plus_backtest_s"] = fit_a0 + ours_bt["seconds"]
    if args.peer_from:
        peer = reused_peer(args.peer_from)
    elif args.no_peer:
        peer = {"skipped": "--no-peer"}
    else:
        try:
            peer = time_nhits(frame, ours_bt["origins"], args.nf_steps, args.quick)
        except ImportError as error:
            peer = {"skipped": f"neuralforecast not importable: {error}"}

    load_end = load_average()
    loads = [load_end] + [r["load_average_before"] for v in results.values() for r in v["runs"]]
    loaded = any(v is not None and v[0] > LOADED for v in loads)
    payload = {
        "command": " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv]),
        "machine": {**_common.machine(), "cpu_flags": _common.cpu_flags()},
        "commit": commit,
        "versions": _common.package_versions(PACKAGES),
        "quick": args.quick,
        "data": str(sd.data_dir(args.data_dir) / spec.path),
        "block": {
            "name": block.name,
            "n_windows": block.n_windows,
            "step": block.step,
            "horizon": block.horizon,
            "origins": [str(pd.Timestamp(c).date()) for c in cuts],
            "last_time_in_data": str(frame["ds"].max()),
            "series": len(values),
            "quarters_dropped_from_end": sd.block_end(spec, "tune", block.n_windows),
        },
        "metric": "MASE: mean |error| / in-sample seasonal-naive MAE (period 4) of the series",
        "seasonal_naive_mase": naive_mase,
        "models": results,
        "statics_minus_key_only_mase": {
            "per_seed": [-g for g in gain],
            **summary([-g for g in gain]),
        },
        "statics_better_in_every_seed": bool(all(g > 0 for g in gain)),
        "backtest_timing": {"ours": ours_bt, "neuralforecast": peer},
        "load_average_end": load_end,
        "loaded": loaded,
        "load_note": (
            f"1-minute load average above {LOADED} during the run: timings on this "
            "shared 2-core machine are inflated"
            if loaded
            else ""
        ),
    }
    _common.write_json("tourism_categorical", payload, args.out)

    rows = [
        [
            label,
            f"{r['mase']['mean']:.4f} ± {r['mase']['std']:.4f}",
            f"{r['relmase']['mean']:.4f} ± {r['relmase']['std']:.4f}",
            f"{r['fit_s']['mean']:.1f}",
        ]
        for label, r in results.items()
    ]
    _common.print_table(["model", "MASE", "relMASE", "fit s"], rows)
    print(f"statics - key only (MASE, per seed): {[round(-g, 4) for g in gain]}")
    print(f"ours: fit {fit_a0:.1f} s + backtest {ours_bt['seconds']:.1f} s")
    if peer and "seconds" in peer:
        print(f"neuralforecast NHITS cross_validation: {peer['seconds']:.1f} s")
    if loaded:
        print(payload["load_note"])
    return payload


if __name__ == "__main__":
    main()
