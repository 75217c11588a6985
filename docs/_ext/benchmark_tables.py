"""Sphinx extension: the benchmarks page's tables, read from benchmarks/results/*.json.

``.. benchmark-tables::`` renders, for every benchmark in ``BENCHMARKS``, the
table of its newest results file, with the date, commit, CPU, flags, versions
and command recorded in that file. The page is written from the JSON at every
build, so its figures cannot drift from the results. A results file
``benchmarks/results/<script>.json`` of a script not listed here gets a
section too, with its recorded header and a pointer to the file.
"""

import json
import pathlib
import shlex
import subprocess

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

REPO = pathlib.Path(__file__).resolve().parents[2]
RESULTS = REPO / "benchmarks" / "results"
VERSION_KEYS = (
    "python",
    "keras",
    "keras_backend",
    "tensorflow",
    "jax",
    "numpy",
    "pandas",
    "scikit-learn",
    "torch",
    "neuralforecast",
    "statsforecast",
    "mlforecast",
    "lightgbm",
)


def _num(value, digits=3):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _pm(entry, key, digits=3):
    """``mean ± std`` when the entry has ``key_std`` (over seeds), else the mean."""
    std = entry.get(f"{key}_std")
    text = _num(entry.get(key), digits)
    return f"{text} ± {std:.{digits}f}" if std else text


def _accuracy(data):
    headers = ["horizon", "chosen", "test MSE", "test MAE", "paper MSE", "paper MAE"]
    rows = []
    for r in data["results"]:
        chosen = ", ".join(f"{k}={v}" for k, v in (r.get("chosen") or {}).items()) or "defaults"
        rows.append(
            [
                r["horizon"],
                chosen,
                _pm(r, "test_mse", 4),
                _pm(r, "test_mae", 4),
                _num(r.get("paper_mse")),
                _num(r.get("paper_mae")),
            ]
        )
    return headers, rows


def _accuracy_peer(data):
    headers = ["horizon", "model", "test MSE", "test MAE", "fit s"]
    rows = []
    for r in data["results"]:
        rows.append(
            [
                r["horizon"],
                "sktsmixer",
                _num(r["test_mse"], 4),
                _num(r["test_mae"], 4),
                _num(r.get("fit_seconds"), 0),
            ]
        )
        peer = r.get("peer")
        if peer:
            rows.append(
                [
                    r["horizon"],
                    "neuralforecast TSMixer",
                    _num(peer["test_mse"], 4),
                    _num(peer["test_mae"], 4),
                    _num(peer.get("fit_seconds"), 0),
                ]
            )
        rows.append([r["horizon"], "paper", _num(r.get("paper_mse")), _num(r.get("paper_mae")), ""])
    return headers, rows


def _accuracy_peer_only(data):
    headers = ["horizon", "model", "test MSE", "test MAE", "steps (best)", "fit s"]
    rows = []
    for r in data["results"]:
        peer = r["peer"]
        rows.append(
            [
                r["horizon"],
                "neuralforecast TSMixer",
                _num(peer["test_mse"], 4),
                _num(peer["test_mae"], 4),
                f"{_num(peer.get('steps'), 0)} ({_num(peer.get('best_step'), 0)})",
                _num(peer.get("fit_seconds"), 0),
            ]
        )
        rows.append([r["horizon"], "paper", _num(r.get("paper_mse")), "", "", ""])
    return headers, rows


def _electricity(data):
    headers = ["model", "test MAE", "MAE FR", "MAE BE", "test RMSE", "fit s"]
    rows = []
    for r in data["results"]:
        scaled = "scaler_type" in (r.get("params") or {})
        if r["model"] == "tsmixerx-nf" and not scaled:
            # Run without a scaler and for a fixed number of steps: not shown.
            continue
        test, std = r["test"], r.get("test_std") or {}
        mae = _num(test["mae"], 2) + (f" ± {std['mae']:.2f}" if std.get("mae") else "")
        rows.append(
            [
                r["model"],
                mae,
                _num(test["mae_FR"], 2),
                _num(test["mae_BE"], 2),
                _num(test["rmse"], 2),
                _num(r.get("fit_seconds"), 1),
            ]
        )
    return headers, rows


def _intervals(data):
    headers = [
        "data",
        "model",
        "cover 80%",
        "width 80%",
        "cover 95%",
        "width 95%",
        "pinball",
        "MAE",
    ]
    rows = []
    for name, block in data["datasets"].items():
        for r in block["results"]:
            if r["model"].startswith("tsmixerx") and not data.get("tsmixerx_scaled"):
                # Those peer runs had no scaler and no early stopping: not shown.
                continue
            rows.append(
                [
                    name,
                    r["model"],
                    _num(r["coverage_80"]),
                    _num(r["width_80"], 2),
                    _num(r["coverage_95"]),
                    _num(r["width_95"], 2),
                    _num(r["pinball"], 4),
                    _num(r["mae"], 3),
                ]
            )
    return headers, rows


def _speed(data):
    headers = ["task", "sktsmixer windows/s", "neuralforecast windows/s", "ratio"]
    rows = []
    for r in data["results"]:
        peer = r.get("neuralforecast") or {}
        rows.append(
            [
                r["task"],
                _num(r["sktsmixer"]["windows_per_s"], 0),
                _num(peer.get("windows_per_s"), 0),
                _num(r.get("ratio"), 2),
            ]
        )
    return headers, rows


def _convergence(data):
    headers = ["projection", "dropout", "epochs", "MAE / seasonal naive (per seed)", "steps"]
    rows = [
        [
            r["projection"],
            r["dropout"],
            r["epochs"],
            ", ".join(f"{x:.3f}" for x in r["ratios"]),
            r["steps"],
        ]
        for r in data["results"]
    ]
    return headers, rows


def _memory(data):
    headers = ["task", "input_size", "peak RSS GiB"]
    rows = [[r["task"], _num(r["input_size"]), _num(r["peak_gib"], 2)] for r in data["results"]]
    return headers, rows


def _panel_scale(data):
    gib = 2.0**30
    headers = [
        "series",
        "panel rows",
        "frame GiB",
        "fit s",
        "fit peak GiB",
        "forecast s",
        "forecast peak GiB",
    ]
    rows = []
    for m in data["measured"]:
        fit, forecast = m.get("fit") or {}, m.get("forecast") or {}
        rows.append(
            [
                f"{m['n_series']:,}",
                f"{m['panel_rows']:,}",
                _num(m["frame_bytes"] / gib, 2),
                _num(fit.get("seconds"), 1),
                _num(fit.get("peak_rss", 0) / gib, 2),
                _num(forecast.get("seconds"), 1),
                _num(forecast.get("peak_rss", 0) / gib, 2),
            ]
        )
    return headers, rows


def _repeated_fits(data):
    s = data["summary"]
    headers = [
        "fits",
        "RSS after first fit MiB",
        "RSS after last fit MiB",
        "MiB per fit after warm-up",
    ]
    rows = [
        [
            s["n_fits"],
            _num(s["rss_first_mib"], 0),
            _num(s["rss_last_mib"], 0),
            _num(s["mib_per_fit_after_warmup"], 2),
        ]
    ]
    return headers, rows


def _suite(data):
    headers = ["data set", "model", "MASE", "relMASE", "pinball", "coverage 10-90", "fit s"]
    rows = []

    def mean(runs, key, digits=3):
        """Mean over the seeds, ± their standard deviation when there are several."""
        values = [r[key] for r in runs if r.get(key) is not None]
        if not values:
            return "-"
        average = sum(values) / len(values)
        if len(values) == 1:
            return _num(average, digits)
        std = (sum((v - average) ** 2 for v in values) / (len(values) - 1)) ** 0.5
        return f"{average:.{digits}f} ± {std:.{digits}f}"

    for name, result in data.get("datasets", {}).items():
        if "models" not in result:
            rows.append([name, "-", f"skipped: {result.get('skipped', '')}", "", "", "", ""])
            continue
        for model, entry in result["models"].items():
            runs = entry.get("runs") or []
            if not runs:
                rows.append([name, model, f"n/a: {entry.get('na', '')}", "", "", "", ""])
                continue
            rows.append(
                [
                    name,
                    model,
                    mean(runs, "mase"),
                    mean(runs, "relmase"),
                    mean(runs, "pinball"),
                    mean(runs, "coverage"),
                    mean(runs, "fit_s", 1),
                ]
            )
    for model, g in (data.get("geomean") or {}).items():
        rows.append(["geometric mean", model, "", _num(g.get("geomean_relmase")), "", "", ""])
    return headers, rows


# (title, script, newest results file of its protocol, table, what it measures)
BENCHMARKS = [
    (
        "Five real data sets: the default estimator beside statistical and gradient-boosting peers",
        "suite.py",
        "suite.json",
        _suite,
        "ETTh1 (hourly, 7 channels, 96 steps), EPF (hourly prices of France and Belgium with "
        "known-ahead load and generation forecasts, 24 steps), tourism (304 quarterly series, "
        "8 steps), US employment (147 monthly series with ragged starts, 18 steps) and "
        "call-centre volumes (5-minute counts on weekdays, 169 steps): rolling origins of the "
        "block named in the header (tuning or final test), every model fitted once before the "
        "block's first origin. MASE scales each series' absolute error by its in-sample "
        "seasonal-naive error; relMASE divides by the seasonal-naive forecast's MASE on the "
        "same windows (below 1: better than repeating the last season); the pinball loss of "
        "the 10/50/90% quantiles is scaled the same way. sktsmixer runs with only the horizon "
        "and the column roles set, over 3 seeds (mean ± standard deviation). Fit seconds "
        "include compile time and the forecasts.",
    ),
    (
        "Five real data sets: the default estimator alone, on an idle machine",
        "suite.py",
        "suite_ours.json",
        _suite,
        "The same blocks and protocol as above, sktsmixer and seasonal naive only, run with no "
        "other work on the machine: the fit seconds (fit, compile, forecasts and calibrated "
        "quantiles) are the ones to read for speed. The accuracy matches the run above "
        "(the same seeds give the same forecasts).",
    ),
    (
        "Five real data sets: neuralforecast's NHITS and TSMixerx",
        "suite.py",
        "suite_neural_peers.json",
        _suite,
        "The neural peers on the same blocks and protocol as the table above, configured as "
        "their documentation does (scaler, early stopping on a validation block, default "
        "sizes); run on the same machine and commit, beside the table above.",
    ),
    (
        "Accuracy on ETTh1, the paper's protocol",
        "accuracy.py",
        "accuracy_seeds_grid.json",
        _accuracy,
        "Test MSE and MAE (scaled units) of the configuration chosen by mean validation MSE "
        "over the seeds, beside the figures published in the TSMixer paper.",
    ),
    (
        "neuralforecast's TSMixer on ETTh1, the paper's protocol",
        "accuracy.py",
        "accuracy_peer_best_weights_96_seed0.json",
        _accuracy_peer_only,
        "neuralforecast's TSMixer with its defaults, early stopping on the validation months "
        "and the weights of its best check, on the test months of the table above. The "
        "default estimator on ETTh1 is in the suite's table.",
    ),
    (
        "Day-ahead electricity prices (EPF, France and Belgium)",
        "electricity_prices.py",
        "electricity_prices_fit_time.json",
        _electricity,
        "Test MAE and RMSE in EUR/MWh of a global model with known-ahead covariates (mean ± std "
        "over seeds where several were run), and the final fit's seconds.",
    ),
    (
        "Day-ahead electricity prices: neuralforecast's TSMixerx as documented",
        "electricity_prices.py",
        "electricity_prices_tsmixerx_scaled_early_stopped.json",
        _electricity,
        "TSMixerx with a standard scaler, hour and weekday inputs beside the load and "
        "generation forecasts, early stopping on the last 10% of the training days, on the "
        "same test days as the table above (mean ± std over 3 seeds). Its fit times were "
        "taken on a loaded machine with one torch thread.",
    ),
    (
        "Prediction intervals",
        "intervals.py",
        "intervals.json",
        _intervals,
        "Coverage and width of nominal 80% and 95% intervals and the pinball loss on the test "
        "rows: split-conformal (cqr), adaptive conformal (aci) and raw quantiles, against "
        "gradient boosting (hgb) and neuralforecast's TSMixerx.",
    ),
    (
        "Training and inference speed",
        "speed.py",
        "speed.json",
        _speed,
        "Windows per second at the paper's ETTh1 sizes (input 512, horizon 96, 7 channels), "
        "against neuralforecast's TSMixer module with the same sizes and threads.",
    ),
    (
        "Small data: convergence in few epochs",
        "convergence.py",
        "convergence.json",
        _convergence,
        "Test MAE divided by the seasonal-naive MAE on a 1,100-row series (below 1 beats it), "
        "per seed.",
    ),
    (
        "Memory on a wide series",
        "memory.py",
        "memory.json",
        _memory,
        "Peak resident memory of a fit and a prediction on a 26,304 x 321 frame.",
    ),
    (
        "Many series: an M5-shaped panel",
        "panel_scale.py",
        "panel_scale.json",
        _panel_scale,
        "Seconds and peak resident memory of a fit and a forecast on a panel of the M5 shape.",
    ),
    (
        "Memory across repeated fits",
        "repeated_fits.py",
        "repeated_fits.json",
        _repeated_fits,
        "Resident memory over many small fits in one process, as in a grid search.",
    ),
]


def _git_commit_of(path):
    """The commit that last wrote ``path``, with its date, or None outside a git checkout."""
    try:
        out = subprocess.run(
            ["git", "log", "-1", "--format=%h %ad", "--date=short", "--", str(path)],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return out or None


def _plain(value):
    """Config values with absolute paths reduced to file names (the machine's paths say nothing)."""
    if isinstance(value, str) and value.startswith("/"):
        return pathlib.PurePath(value).name
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _header_lines(path, data, script):
    machine = data.get("machine") or {}
    lines = [f"* **results file:** ``benchmarks/results/{path.name}``"]
    lines.append(f"* **date:** {machine.get('date') or data.get('date') or 'not recorded'}")
    commit = machine.get("commit") or data.get("commit")
    written = _git_commit_of(path)
    if commit:
        lines.append(f"* **commit measured:** ``{commit}``")
    else:
        lines.append(
            "* **commit measured:** not recorded in the file"
            + (f"; the file was committed in ``{written}``" if written else "")
        )
    cpu = machine.get("cpu") or "not recorded"
    cores = machine.get("cores")
    lines.append(f"* **CPU:** {cpu}" + (f", {cores} cores" if cores else ""))
    flags = machine.get("cpu_flags")
    if isinstance(flags, list):
        flags = " ".join(flags)
    if flags:
        simd = [f for f in flags.split() if f.startswith(("avx", "fma", "sse4", "amx", "neon"))]
        lines.append(f"* **CPU flags (vector units):** {' '.join(simd) or 'none of AVX/FMA/SSE4'}")
    else:
        lines.append("* **CPU flags:** not recorded")
    versions = {k: machine[k] for k in VERSION_KEYS if machine.get(k)}
    versions |= {k: v for k, v in (data.get("versions") or {}).items() if v}
    lines.append(
        "* **versions:** " + (", ".join(f"{k} {v}" for k, v in versions.items()) or "not recorded")
    )
    if data.get("block"):
        runs = data.get("test_block_runs")
        lines.append(
            f"* **block:** {data['block']}"
            + (f" (the final test block has been run {runs} time(s))" if runs is not None else "")
        )
    if data.get("load_average"):
        lines.append(
            "* **load average (1 min) at start and end:** "
            + " / ".join(f"{v:.1f}" for v in data["load_average"])
            + " (above 2 on 2 cores, other work shared the machine: times are inflated)"
        )
    command = data.get("command")
    if isinstance(command, list):
        command = shlex.join(command)
    if command:
        lines.append(f"* **command:** ``{command}``")
    else:
        args = data.get("config")
        lines.append(
            f"* **command:** ``python benchmarks/{script}`` (the exact command line was not "
            "recorded; its arguments were:"
            + (f" ``{json.dumps(_plain(args), separators=(', ', ': '))}``)" if args else " -)")
        )
    return lines


def _table_lines(headers, rows):
    lines = [".. list-table::", "   :header-rows: 1", ""]
    for row in [headers, *rows]:
        cells = [str(c).replace("|", "/") if str(c) else " " for c in row]
        lines.append(f"   * - {cells[0]}")
        lines.extend(f"     - {c}" for c in cells[1:])
    return lines


def _underline(title):
    return [title, "-" * len(title), ""]


def render(results=RESULTS):
    """The benchmarks page body as reStructuredText lines."""
    lines = []
    listed = set()
    for title, script, name, table, what in BENCHMARKS:
        path = results / name
        listed.add(script)
        if not path.is_file():
            continue
        data = json.loads(path.read_text())
        lines += _underline(title)
        lines += [what, ""]
        lines += _header_lines(path, data, script) + [""]
        lines += _table_lines(*table(data)) + [""]
    for path in sorted(results.glob("*.json")):
        script = path.stem + ".py"
        if script in listed or not (results.parent / script).is_file():
            continue
        data = json.loads(path.read_text())
        lines += _underline(f"{path.stem} (``benchmarks/{script}``)")
        lines += _header_lines(path, data, script) + [""]
        lines += [
            "Its results are in the file above; this page has no table layout for it yet.",
            "",
        ]
    return lines


class BenchmarkTables(SphinxDirective):
    """``.. benchmark-tables::``: one section per benchmark, from its newest results JSON."""

    has_content = False

    def run(self):
        for _, _, name, _, _ in BENCHMARKS:
            self.env.note_dependency(str(RESULTS / name))
        container = nodes.section()
        container.document = self.state.document
        source = StringList(render(), source="benchmarks/results")
        nested_parse_with_titles(self.state, source, container)
        return container.children


def setup(app):
    app.add_directive("benchmark-tables", BenchmarkTables)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
