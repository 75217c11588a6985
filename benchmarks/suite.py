"""The forecasting suite: every model on five real data sets, one table.

Data sets (``--data-dir``, else ``$SKTSMIXER_DATA``, else ``../shared/data``
from the repository root; a data set whose file is absent is skipped with
the reason printed):

=============  =========  =======  ======  =======================================
data set       frequency  horizon  period  series
=============  =========  =======  ======  =======================================
etth1          hourly     96       24      7 channels (ours: one 7-target series)
epf            hourly     24       24      FR, BE prices (ours: one 2-target
                                           series); known ahead: gen_forecast,
                                           system_load; calendar: hour, week_day
tourism        quarterly  8        4       304 (Region / State / Purpose key)
us_employment  monthly    18       12      147 ragged (leading NaN dropped; one
                                           series discontinued in 2017 dropped)
bank_calls     5-minute   169      169     1, on its business clock: integer
                                           time index (row), calendar slot =
                                           row % 169, weekday = row // 169 % 5;
                                           a day without calls is not scored
=============  =========  =======  ======  =======================================

Blocks. The final TEST block of a data set is its last ``n_windows`` origins
``step`` rows apart, the last horizon ending on the last row (etth1 and epf:
7 daily origins; tourism: 2 origins 4 quarters apart; us_employment: 2
origins 6 months apart; bank_calls: 5 business days). The TUNING block has
the same shape and ends at the test block's first origin. ``--block tune``
is the default; the test block is run only when asked, and the JSON counts
how often it was. In a block every model is fitted once, on the data before
its first origin, and forecasts at every origin without refitting.

Models. ``snaive``: the last season repeated. ``ets``: statsforecast
AutoETS with season length = period, AutoTheta where period > 24 (ETS
models no longer season); 80% intervals give the 10%/90% quantiles.
``lightgbm``: mlforecast with LGBMRegressor (default parameters) on lags
1..period plus two seasons (and one week for sub-daily data), date features
(hour and day of week, quarter, month; slot and weekday of the business
clock), the known-ahead columns, the series id as a categorical static
feature, per-series standardised targets (LocalStandardScaler); conformal
PredictionIntervals (2 windows) for quantiles. ``nhits`` and ``tsmixerx``:
neuralforecast with their default sizes, ``scaler_type="standard"``, input
window 5 x horizon (hourly and finer) or 2 x horizon (monthly, quarterly),
early stopping (5 checks every 50 steps) on a validation block as long as the
evaluation block, at most 1000 steps (their default), the known-ahead and
calendar columns as ``futr_exog_list``; TSMixerx needs series on one time
axis (n/a on us_employment). ``ours``: ``TSMixerRegressor(horizon=h,
roles, random_state=seed, **--ours-params)``, given the same known-ahead and
calendar columns; its 10-90% range is ``predict_quantiles`` for a quantile
model, else the conformal ``predict_interval(coverage=0.8)`` around the point.

Metrics (per data set and model, over every series or target, origin and
step): MASE = absolute error / the series' in-sample seasonal-naive MAE on
the data before the block; relMASE = MASE / seasonal naive's MASE on the same
windows; pinball = the mean pinball loss of the 10/50/90% quantiles, scaled
the same way; coverage of the 10-90% range; fit s = wall time of the whole
fit-and-forecast call, compile time included. Across data sets: the geometric
mean of relMASE. Ours runs once per ``--seeds`` seed, the neural peers once per
``--peer-seeds`` seed (default: the same seeds); figures are mean ± std.

Run ``python benchmarks/suite.py`` (tuning block, all models, seed 0);
``--quick`` is a one-minute smoke run on a few short series (written to
``results/suite_quick.json``).
"""

import json
import os
import shlex
import sys
import time
import traceback
import warnings

import _common
import _suite_data as sd
import _suite_peers as peers
import numpy as np

MODELS = ("snaive", "ets", "lightgbm", "nhits", "tsmixerx", "ours")
NEURAL = ("nhits", "tsmixerx", "ours")
PACKAGES = (
    "sktsmixer",
    "keras",
    "tensorflow",
    "numpy",
    "pandas",
    "scikit-learn",
    "statsforecast",
    "mlforecast",
    "lightgbm",
    "neuralforecast",
    "torch",
    "pytorch-lightning",
)


def _choices(text, allowed, what):
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise SystemExit(f"unknown {what} {unknown}; choose from {list(allowed)}")
    return names


def parse_args(argv=None):
    parser = _common.make_parser(__doc__)
    parser.add_argument("--datasets", default=",".join(sd.SPECS), help="comma-separated")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument(
        "--peer-seeds",
        type=int,
        nargs="+",
        default=None,
        help="seeds of the neural peers (default: --seeds); ours always runs --seeds",
    )
    parser.add_argument("--block", choices=("tune", "test"), default="tune")
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--out", default=None, help="JSON path (default results/suite.json)")
    parser.add_argument("--ours-params", default="{}", help="JSON of TSMixerRegressor params")
    parser.add_argument("--label", default="ours", help="name of our configuration")
    args = parser.parse_args(argv)
    args.datasets = _choices(args.datasets, sd.SPECS, "data set(s)")
    args.models = _choices(args.models, MODELS, "model(s)")
    try:
        args.ours_params = json.loads(args.ours_params)
    except json.JSONDecodeError as error:
        raise SystemExit(f"--ours-params must be a JSON object: {error}") from None
    if not isinstance(args.ours_params, dict):
        raise SystemExit("--ours-params must be a JSON object, e.g. '{\"dropout\": 0.1}'")
    if args.out is None:
        name = "suite_quick.json" if args.quick else "suite.json"
        args.out = str(_common.RESULTS / name)
    return args


def score(y_true, forecast, scale, naive_mase):
    """The metrics of one forecast (``None`` where the model gives no quantiles)."""
    value = sd.mase(y_true, forecast.point, scale)
    result = {"mase": value, "relmase": value / naive_mase, "fit_s": forecast.fit_s}
    if forecast.quantiles is not None:
        q = forecast.quantiles
        result["pinball"] = sd.scaled_pinball(y_true, q, scale)
        result["coverage"] = sd.coverage(y_true, q[..., 0], q[..., 2])
    else:
        result["pinball"] = result["coverage"] = None
    return result


def run_model(model, frame, spec, block, seed, args):
    if model == "snaive":
        start = time.perf_counter()
        point = sd.seasonal_naive(sd.series_values(frame), block, spec.period)
        return peers.Forecast(point, None, time.perf_counter() - start)
    if model == "ets":
        return peers.run_ets(frame, spec, block, seed, args.quick)
    if model == "lightgbm":
        return peers.run_lightgbm(frame, spec, block, seed, args.quick)
    if model in ("nhits", "tsmixerx"):
        kind = "NHITS" if model == "nhits" else "TSMixerx"
        return peers.run_neural(kind, frame, spec, block, seed, args.quick)
    return peers.run_ours(frame, spec, block, seed, args.quick, args.ours_params)


def run_dataset(spec, args):
    """Every model on one data set: ``{model: {"runs": [...], "note": ..., "na": ...}}``."""
    frame = sd.load(spec, sd.data_dir(args.data_dir))
    frame, block = sd.cut_to_block(frame, spec, args.block, quick=args.quick)
    values = sd.series_values(frame)
    y_true = sd.truth(values, block, spec.blank_outages)
    scale = sd.seasonal_scale(values, block, spec.period)
    naive = sd.mase(y_true, sd.seasonal_naive(values, block, spec.period), scale)
    out = {
        "n_series": len(values),
        "rows": len(frame),
        "cutoffs": [str(c) for c in sd.cutoffs(frame, block)],
        "models": {},
    }
    for model in args.models:
        if model == "ours":
            seeds = args.seeds
        elif model in NEURAL:
            seeds = args.peer_seeds if args.peer_seeds is not None else args.seeds
        else:
            seeds = args.seeds[:1]
        entry = {"runs": [], "note": "", "na": None}
        for seed in seeds:
            try:
                forecast = run_model(model, frame, spec, block, seed, args)
            except peers.NotApplicable as reason:
                entry["na"] = str(reason)
                break
            except ImportError as error:
                entry["na"] = f"not installed: {error}"
                break
            except Exception as error:  # one failing model must not end the run
                traceback.print_exc()
                entry["na"] = f"error: {type(error).__name__}: {str(error)[:200]}"
                break
            entry["runs"].append({"seed": seed, **score(y_true, forecast, scale, naive)})
            entry["note"] = forecast.note
            print(f"  {spec.name} {model} seed {seed}: {entry['runs'][-1]}", flush=True)
        out["models"][model] = entry
    return out


def _mean_std(runs, key, digits=3):
    values = [r[key] for r in runs if r.get(key) is not None]
    if not values:
        return "n/a"
    mean = float(np.mean(values))
    if len(values) == 1:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {float(np.std(values)):.{digits}f}"


def model_name(model, args):
    return args.label if model == "ours" else model


def summary(results, args):
    """Geometric mean of relMASE per model over the data sets where it ran."""
    rows = {}
    ran = [d for d, r in results.items() if "models" in r]
    for model in args.models:
        means = {}
        for name in ran:
            runs = results[name]["models"][model]["runs"]
            if runs:
                means[name] = float(np.mean([r["relmase"] for r in runs]))
        skipped = [d for d in ran if d not in means]
        rows[model] = {
            "geomean_relmase": sd.geometric_mean(means.values()) if means else None,
            "datasets": list(means),
            "skipped": skipped,
        }
    return rows


def print_results(results, geo, args):
    headers = ["data set", "model", "MASE", "relMASE", "pinball", "cov 10-90", "fit s"]
    rows = []
    for name, result in results.items():
        if "models" not in result:
            rows.append([name, "-", f"skipped: {result['skipped']}", "", "", "", ""])
            continue
        for model, entry in result["models"].items():
            label = model_name(model, args)
            if model == "ets":
                label = peers.ets_name(sd.SPECS[name])
            if not entry["runs"]:
                rows.append([name, label, f"n/a: {entry['na']}", "", "", "", ""])
                continue
            runs = entry["runs"]
            rows.append(
                [name, label]
                + [_mean_std(runs, k) for k in ("mase", "relmase", "pinball", "coverage")]
                + [_mean_std(runs, "fit_s", 1)]
            )
    for model, g in geo.items():
        value = "n/a" if g["geomean_relmase"] is None else f"{g['geomean_relmase']:.3f}"
        note = f" (skipped {', '.join(g['skipped'])})" if g["skipped"] else ""
        rows.append(["geomean", model_name(model, args), "", value + note, "", "", ""])
    _common.print_table(headers, rows)


def count_test_runs(args):
    """How often the test block has been run, this run included (quick runs do not count)."""
    return _previous_test_runs(args) + (args.block == "test" and not args.quick)


def _previous_test_runs(args):
    counts = []
    for path in {args.out, str(_common.RESULTS / "suite.json")}:
        try:
            with open(path) as f:
                counts.append(int(json.load(f).get("test_block_runs", 0)))
        except (OSError, ValueError, AttributeError):
            pass
    return max(counts, default=0)


def protocol():
    return {
        "specs": {name: vars(spec) | {"lags": len(spec.lags)} for name, spec in sd.SPECS.items()},
        "quantiles": sd.QUANTILES,
        "ets_max_season": peers.ETS_MAX_SEASON,
        "nf_max_steps": peers.NF_MAX_STEPS,
        "nf_val_check_steps": peers.NF_VAL_CHECK_STEPS,
        "nf_patience_checks": peers.NF_PATIENCE,
        "conformal_windows": peers.CONFORMAL_WINDOWS,
        "quick_series": sd.QUICK_SERIES,
        "quick_nf_steps": peers.QUICK_STEPS,
        "quick_nf_windows_batch_size": 32,
        "ours_quick": peers.OURS_QUICK,
    }


LOAD_AT_START = COMMIT_AT_START = None


def _payload(args, argv, results, start, test_runs):
    geo = summary(results, args)
    return geo, {
        "machine": _common.machine()
        | {"commit": COMMIT_AT_START, "cpu_flags": " ".join(_common.cpu_flags())},
        "versions": _common.package_versions(PACKAGES),
        "command": shlex.join([sys.executable, sys.argv[0], *(argv or sys.argv[1:])]),
        "block": args.block,
        "test_block_runs": test_runs,
        "quick": args.quick,
        "seeds": args.seeds,
        "peer_seeds": args.peer_seeds if args.peer_seeds is not None else args.seeds,
        "label": args.label,
        "ours_params": args.ours_params,
        "models": list(args.models),
        "protocol": protocol(),
        "wall_s": time.perf_counter() - start,
        # Timings mean little when other work shares the cores: the load is recorded.
        "load_average": [LOAD_AT_START, os.getloadavg()[0]],
        "complete": len(results) == len(args.datasets),
        "datasets": results,
        "geomean": geo,
    }


def main(argv=None):
    global LOAD_AT_START, COMMIT_AT_START
    LOAD_AT_START = os.getloadavg()[0]
    # The code measured is the code at the start: commits made during a long
    # run must not be recorded as its commit.
    COMMIT_AT_START = _common.git_commit()
    args = parse_args(argv)
    # The peers' libraries warn about their own frame handling at every step.
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", message=".*highly fragmented.*")
    start = time.perf_counter()
    test_runs = count_test_runs(args)
    results = {}
    for name in args.datasets:
        spec = sd.SPECS[name]
        print(f"{name}: {args.block} block{' (quick)' if args.quick else ''}", flush=True)
        try:
            results[name] = run_dataset(spec, args)
        except FileNotFoundError as missing:
            print(f"  skipped: {missing}")
            results[name] = {"skipped": str(missing)}
        # Written after every data set: a long run stopped early keeps what it measured.
        _common.write_json("suite", _payload(args, argv, results, start, test_runs)[1], args.out)
    geo, payload = _payload(args, argv, results, start, test_runs)
    print()
    print_results(results, geo, args)
    _common.write_json("suite", payload, args.out)
    return payload


if __name__ == "__main__":
    main()
    sys.exit(0)
