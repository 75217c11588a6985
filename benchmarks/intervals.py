"""Prediction intervals on ETTh1 and EPF: coverage, width and pinball loss on the test rows.

Models, in the same run on the same rows:

* ``tsmixer-cqr``: ``TSMixerRegressor(loss="quantile", quantiles=(0.025, 0.1,
  0.9, 0.975))`` (the median is added), intervals from ``predict_interval``:
  conformalised quantile regression (CQR) calibrated on the estimator's
  early-stopping hold-out, which is the validation block.
* ``tsmixer-aci``: the same fit and calibration, intervals from
  ``predict_interval(X, coverage, adapt_rate=0.005)``: adaptive conformal
  inference along the test rows (every hourly forecast of ``X`` whose truth
  has arrived moves the level; the rate 0.005 is Gibbs and Candes' and was
  fixed before this benchmark was run with it). ``tsmixer-aci-0.02`` is the
  same with a faster rate, printed to show the sensitivity, not chosen.
* ``tsmixer-raw``: the same fit, intervals straight from the learned
  quantiles (0.1/0.9 for 80%, 0.025/0.975 for 95%), not calibrated.
* ``hgb-raw``: scikit-learn ``HistGradientBoostingRegressor(loss="quantile",
  quantile=q)``, one model per level (0.025, 0.1, 0.5, 0.9, 0.975), **all
  horizon steps stacked** with the step as a feature (one model per level,
  not per step); quantiles that cross are sorted (the fraction of crossing
  forecasts is reported).
* ``hgb-cqr``: those quantiles conformalised the way the estimator does it
  (``sktsmixer.uncertainty.calibration.SplitConformal``: per step and target, CQR
  scores on the validation block).
* ``tsmixerx-raw``: neuralforecast's ``TSMixerx`` with
  ``loss=MQLoss(level=[80, 95])`` (quantiles 0.025, 0.1, 0.5, 0.9, 0.975),
  the sizes and learning rate of the sktsmixer rows (``n_block=2``,
  ``ff_dim=64``); dropout: on EPF its own default 0, the configuration
  ``electricity_prices.py`` validated for it, on ETTh1 (never validated for
  it) ours, ``--dropout``; at most ``--nf-max-steps`` steps, early-stopped on
  the last 10% of its rows with its best check's weights, a window scaler
  and calendar inputs on EPF (see ``intervals_nf.py``), and
  ``random_seed=--seed``; fitted with ``NeuralForecast.fit`` on the rows
  before the validation block (as HGB is), forecasts from
  ``cross_validation(use_fitted=True, refit=False)`` at the same origins as
  the other models (the cutoffs are checked); intervals straight from its
  quantiles, sorted where they cross (the fraction is reported).
* ``tsmixerx-cqr``: those quantiles conformalised exactly as ``hgb-cqr``,
  on the same calibration origins. Both rows are skipped, with the reason,
  if neuralforecast is not importable (or with ``--skip-neuralforecast``).
  The code is in ``intervals_nf.py``.

Pinball is the mean pinball loss over the levels 0.1, 0.5, 0.9; for the CQR
rows the 0.1 and 0.9 "quantiles" are the bounds of the conformalised 80%
interval. MAE is that of the median. Coverage and width are averaged over
every test forecast origin, step and target.

Data and protocol:

* ETTh1 (``--data-ett``): the paper's split (train = first 8,640 rows,
  validation = next 2,880, test = next 2,880), scaled with train statistics
  (figures in scaled units); horizon 96, all 7 columns are targets; test
  origins: every ``--test-stride``-th (default 5, coprime with 24 so they
  cycle through the hours of the day; 1 = all 2,785) of those whose horizon
  lies in the test rows, the same for every model. TSMixer is fitted on train
  + validation rows with ``validation_fraction`` set so that its hold-out
  (early stopping and calibration) is exactly the origins whose targets are
  validation rows (``accuracy.holdout_fraction``). HGB features for (origin
  t, step h, channel k): the channel's last 24 values, its value at the same
  hour one day (the latest one before t) and one week before t + h, its
  24-hour and 168-hour means, the last value of all 7 channels, h, the hour
  of t + h and k (categorical); trained on a uniform random sample of
  ``--hgb-samples`` (origin, step, channel) triples whose targets are train
  rows; HGB and TSMixerx are calibrated on every 5th origin whose targets are
  validation rows. TSMixerx: 7 series (unique_id = column), input
  ``--input-size``, fitted on the train rows, no covariates.
* EPF (``--data-epf``): hourly day-ahead prices of FR and BE with the
  generation and load forecasts known a day ahead. One forecast per day and
  country made at midnight (the row at 23:00 of the day before), horizon 24,
  target ``y``, ``future_columns=["gen_forecast", "system_load"]``,
  ``time_features="auto"``, one global model over both countries
  (``series_column="unique_id"``). Test = the last 20 weeks, validation =
  the 8 weeks before (the estimator's hold-out, which calibrates over every
  hourly origin of those weeks; ``tsmixer-cqr-midnight`` recalibrates on the
  validation midnights only, with ``SplitConformal``). HGB: the features of
  ``electricity_prices.hgb_features`` (pooled over both countries, the hour
  of the day is the step), trained on the train days, calibrated on the
  validation days. TSMixerx: h=24, input ``--epf-input-size``, both
  countries (``n_series=2``), ``futr_exog_list=["gen_forecast",
  "system_load"]``, fitted on the train days, calibrated on the validation
  midnights.

    python benchmarks/intervals.py            # both data sets (tens of minutes on 2 cores)
    python benchmarks/intervals.py --quick    # tiny models, few test origins: under 2 minutes
    python benchmarks/intervals.py --datasets epf
"""

import os
import pathlib
import sys
import time

import _common
import accuracy
import electricity_prices as epf
import intervals_nf
import numpy as np
import pandas as pd

DEFAULT_ETT = accuracy.DEFAULT_DATA
DEFAULT_EPF = epf.DEFAULT_DATA
ETT_HORIZON = 96
LEVELS = (0.025, 0.1, 0.5, 0.9, 0.975)  # learned by every model
TSMIXER_QUANTILES = (0.025, 0.1, 0.9, 0.975)  # the estimator adds 0.5
COVERAGES = (0.8, 0.95)
ADAPT_RATES = {"tsmixer-aci": 0.005, "tsmixer-aci-0.02": 0.02}
PINBALL_LEVELS = (0.1, 0.5, 0.9)


def parse_args(argv=None):
    parser = _common.make_parser(__doc__)
    parser.add_argument(
        "--data-ett",
        default=os.environ.get("SKTSMIXER_ETTH1", str(DEFAULT_ETT)),
        help="path to ETTh1.csv (default: $SKTSMIXER_ETTH1 or ../shared/data/ETT-small/ETTh1.csv)",
    )
    parser.add_argument(
        "--data-epf",
        default=os.environ.get("SKTSMIXER_EPF", str(DEFAULT_EPF)),
        help="path to EPF_FR_BE.csv (default: $SKTSMIXER_EPF or ../shared/data/EPF/EPF_FR_BE.csv)",
    )
    parser.add_argument("--datasets", nargs="+", choices=["ett", "epf"], default=["ett", "epf"])
    parser.add_argument(
        "--input-size", type=int, default=336, help="ETTh1 input length (the paper uses 512)"
    )
    parser.add_argument("--epf-input-size", type=int, default=168)
    parser.add_argument("--epochs", type=int, default=10, help="TSMixer max epochs")
    parser.add_argument(
        "--steps-per-epoch", type=int, default=None, help="TSMixer batches per epoch (default all)"
    )
    parser.add_argument("--patience", type=int, default=3)
    parser.add_argument("--dropout", type=float, default=0.3)
    parser.add_argument("--hgb-iter", type=int, default=100, help="HGB boosting iterations")
    parser.add_argument(
        "--hgb-samples", type=int, default=100_000, help="ETTh1 HGB training triples (sampled)"
    )
    parser.add_argument(
        "--test-stride",
        type=int,
        default=5,
        help="ETTh1: every k-th test origin (default 5, coprime with 24; 1 = all 2,785)",
    )
    parser.add_argument(
        "--test-origins", type=int, default=None, help="ETTh1: at most N test origins"
    )
    parser.add_argument(
        "--hgb-threads",
        type=int,
        default=1,
        help="OpenMP threads of HGB (default 1: on a shared, busy machine more threads can "
        "be many times slower)",
    )
    parser.add_argument(
        "--nf-max-steps", type=int, default=1000, help="TSMixerx's step cap (20 with --quick)"
    )
    parser.add_argument(
        "--skip-neuralforecast", action="store_true", help="leave out neuralforecast's TSMixerx"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--quick", action="store_true", help="smoke test: tiny models, few test origins (< 2 min)"
    )
    parser.add_argument(
        "--json", default=None, help="output path (default benchmarks/results/intervals.json)"
    )
    args = parser.parse_args(argv)
    args.epf_test_days, args.epf_validation_days = epf.TEST_DAYS, epf.VALIDATION_DAYS
    if args.quick:
        args.input_size, args.epf_input_size = 96, 48
        args.epochs, args.steps_per_epoch, args.patience = 1, 20, 1
        args.hgb_iter, args.hgb_samples = 20, 20_000
        args.test_origins = args.test_origins or 48
        args.epf_test_days = 14
        args.nf_max_steps = 20
    return args


# ---------------------------------------------------------------- metrics


def pinball(truth, predicted, level):
    error = truth - predicted
    return float(np.mean(np.maximum(level * error, (level - 1) * error)))


def interval_metrics(truth, bands, q10, median, q90):
    """``bands``: {coverage: (lower, upper)}, all arrays shaped like ``truth``."""
    out = {}
    for coverage, (lower, upper) in bands.items():
        tag = f"{round(100 * coverage)}"
        out[f"coverage_{tag}"] = float(np.mean((truth >= lower) & (truth <= upper)))
        out[f"width_{tag}"] = float(np.mean(upper - lower))
    out["pinball"] = float(
        np.mean(
            [
                pinball(truth, q, level)
                for q, level in zip((q10, median, q90), PINBALL_LEVELS, strict=True)
            ]
        )
    )
    out["mae"] = float(np.mean(np.abs(truth - median)))
    return out


def quantile_rows(truth, quantiles, point, conformal=None):
    """The raw and (with ``conformal``) CQR metrics of quantiles ``(..., len(LEVELS))``."""
    col = {level: i for i, level in enumerate(LEVELS)}
    raw_bands = {
        0.8: (quantiles[..., col[0.1]], quantiles[..., col[0.9]]),
        0.95: (quantiles[..., col[0.025]], quantiles[..., col[0.975]]),
    }
    raw = interval_metrics(
        truth, raw_bands, quantiles[..., col[0.1]], point, quantiles[..., col[0.9]]
    )
    if conformal is None:
        return raw, None
    bands = {c: conformal(c) for c in COVERAGES}
    cqr = interval_metrics(truth, bands, bands[0.8][0], point, bands[0.8][1])
    return raw, cqr


def adaptive_rows(truth, quantiles, median, band_of, common):
    """The ``tsmixer-aci*`` rows: ``band_of(coverage, rate) -> (lower, upper)``."""
    rows = []
    for name, rate in ADAPT_RATES.items():
        _, aci = quantile_rows(truth, quantiles, median, lambda c, r=rate: band_of(c, r))
        rows.append({"model": name, "adapt_rate": rate, **aci, **common})
    return rows


def fit_hgb(X, y, args):
    """One HistGradientBoostingRegressor per level of LEVELS (``--hgb-threads`` threads)."""
    from sklearn.ensemble import HistGradientBoostingRegressor
    from threadpoolctl import threadpool_limits

    models = {}
    with threadpool_limits(args.hgb_threads):
        for level in LEVELS:
            models[level] = HistGradientBoostingRegressor(
                loss="quantile",
                quantile=level,
                max_iter=args.hgb_iter,
                learning_rate=0.1,
                max_leaf_nodes=31,
                early_stopping=False,
                categorical_features=["channel"] if "channel" in X.columns else None,
                random_state=args.seed,
            ).fit(X, y)
    return models


def predict_hgb(models, X, args):
    """Quantiles ``(n, len(LEVELS))``, sorted; and the fraction that crossed."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(args.hgb_threads):
        raw = np.column_stack([models[level].predict(X) for level in LEVELS])
    crossed = float(np.mean((np.diff(raw, axis=1) < 0).any(axis=1)))
    return np.sort(raw, axis=1), crossed


def hgb_conformal(truth_cal, quantiles_cal, quantiles_test):
    """CQR with the estimator's calibration code, per step and target."""
    from sktsmixer.uncertainty.calibration import SplitConformal

    median = LEVELS.index(0.5)
    calibration = SplitConformal(truth_cal, quantiles_cal[..., median], quantiles_cal, LEVELS)

    def band(coverage):
        return calibration.interval(quantiles_test[..., median], quantiles_test, coverage)

    return band


def conformal_rows(name, truth, cal_truth, cal_quantiles, test_quantiles, extra):
    """``{name}-cqr`` (calibrated with ``hgb_conformal``) and ``{name}-raw`` of quantiles
    ``(n, steps, targets, len(LEVELS))``; ``extra`` goes into both rows."""
    conformal = hgb_conformal(cal_truth, cal_quantiles, test_quantiles)
    median = test_quantiles[..., LEVELS.index(0.5)]
    raw, cqr = quantile_rows(truth, test_quantiles, median, conformal)
    return [
        {"model": f"{name}-cqr", **cqr, **extra, "n_calibration": len(cal_quantiles)},
        {"model": f"{name}-raw", **raw, **extra},
    ]


def tsmixerx_rows(args, quantiles, truth, cal_truth):
    """The TSMixerx rows from ``quantiles() -> (calibration, test, fit_seconds)``, or one
    row saying why they were skipped."""
    reason = "--skip-neuralforecast" if args.skip_neuralforecast else intervals_nf.unavailable()
    if reason:
        print(f"  tsmixerx: skipped ({reason})", flush=True)
        return [{"model": "tsmixerx", "skipped": reason}]
    cal_quantiles, test_quantiles, seconds = quantiles()
    print(f"  tsmixerx: {args.nf_max_steps} steps, {seconds:.0f} s", flush=True)
    crossed = float(np.mean((np.diff(test_quantiles, axis=-1) < 0).any(axis=-1)))
    extra = {"fit_seconds": seconds, "max_steps": args.nf_max_steps, "crossing": crossed}
    cal_quantiles, test_quantiles = np.sort(cal_quantiles, -1), np.sort(test_quantiles, -1)
    return conformal_rows("tsmixerx", truth, cal_truth, cal_quantiles, test_quantiles, extra)


# ------------------------------------------------------------------ ETTh1


def ett_features(values, hours, origins, steps, channels):
    """HGB rows for (origin, step, channel) triples (arrays of equal length)."""
    t, h, k = origins, steps, channels
    columns = {f"lag_{j}": values[t - j, k] for j in range(24)}
    # The latest observation at the target's hour of day, and one week before the target.
    columns["same_hour_last_day"] = values[t + h - 24 * ((h + 23) // 24), k]
    columns["same_hour_last_week"] = values[t + h - 168, k]
    cumsum = np.vstack([np.zeros((1, values.shape[1])), np.cumsum(values, axis=0)])
    columns["mean_24"] = (cumsum[t + 1, k] - cumsum[t + 1 - 24, k]) / 24
    columns["mean_168"] = (cumsum[t + 1, k] - cumsum[t + 1 - 168, k]) / 168
    for c in range(values.shape[1]):
        columns[f"last_{c}"] = values[t, c]
    columns["step"] = h
    columns["hour"] = hours[t + h]
    columns["channel"] = k
    return pd.DataFrame(columns)


def ett_triples(origins, horizon, n_channels):
    t = np.repeat(origins, horizon * n_channels)
    h = np.tile(np.repeat(np.arange(1, horizon + 1), n_channels), len(origins))
    k = np.tile(np.arange(n_channels), len(origins) * horizon)
    return t, h, k


def ett_hgb_quantiles(models, values, hours, origins, horizon, args, chunk=200):
    """``(n_origins, horizon, n_channels, len(LEVELS))`` in chunks of origins."""
    n_channels = values.shape[1]
    parts, crossed = [], []
    for start in range(0, len(origins), chunk):
        block = origins[start : start + chunk]
        X = ett_features(values, hours, *ett_triples(block, horizon, n_channels))
        quantiles, fraction = predict_hgb(models, X, args)
        parts.append(quantiles.reshape(len(block), horizon, n_channels, len(LEVELS)))
        crossed.append(fraction * len(block))
    return np.concatenate(parts), float(np.sum(crossed) / len(origins))


def run_ett(args):
    from sktsmixer import TSMixerRegressor

    path = pathlib.Path(args.data_ett)
    if not path.is_file():
        return {"skipped": f"ETTh1.csv not found at {path}: pass --data-ett PATH"}
    n_train, n_val, n_test = accuracy.N_TRAIN, accuracy.N_VAL, accuracy.N_TEST
    horizon, input_size = ETT_HORIZON, args.input_size
    scaled = accuracy.load_scaled(path)
    values = scaled.to_numpy()
    hours = scaled.index.hour.to_numpy()
    n_channels = values.shape[1]
    first_origin = n_train + n_val - 1  # its targets start at the first test row
    offsets = np.arange(0, n_test - horizon + 1, args.test_stride)
    if args.test_origins:
        offsets = offsets[: args.test_origins]
    n_origins = len(offsets)
    test_origins = first_origin + offsets
    windows = np.lib.stride_tricks.sliding_window_view(values, horizon, axis=0)
    truth = windows[test_origins + 1].transpose(0, 2, 1)  # (n, horizon, channels)
    results = []

    # --- TSMixer
    estimator = TSMixerRegressor(
        input_size=input_size,
        horizon=horizon,
        loss="quantile",
        quantiles=TSMIXER_QUANTILES,
        n_blocks=2,
        ff_dim=64,
        dropout=args.dropout,
        learning_rate=1e-3,
        batch_size=32,
        epochs=args.epochs,
        steps_per_epoch=args.steps_per_epoch,
        patience=args.patience,
        early_stopping=True,
        validation_fraction=accuracy.holdout_fraction(input_size, horizon),
        random_state=args.seed,
    )
    start = time.perf_counter()
    estimator.fit(scaled.iloc[: n_train + n_val])
    fit_seconds = time.perf_counter() - start
    print(f"  tsmixer: {estimator.n_iter_} epochs, {fit_seconds:.0f} s", flush=True)
    X = scaled.iloc[first_origin - input_size + 1 : test_origins[-1] + horizon + 1]
    rows = input_size - 1 + offsets

    def shaped(a):
        return a[rows].reshape(n_origins, horizon, n_channels, *a.shape[2:])

    quantiles = shaped(estimator.predict_quantiles(X))
    np.testing.assert_allclose(estimator.quantiles_, LEVELS)
    bands = {}
    for coverage in COVERAGES:
        band = shaped(estimator.predict_interval(X, coverage=coverage))
        bands[coverage] = (band[..., 0], band[..., 1])
    median = quantiles[..., LEVELS.index(0.5)]
    raw, cqr = quantile_rows(truth, quantiles, median, lambda c: bands[c])
    common = {"fit_seconds": fit_seconds, "epochs": int(estimator.n_iter_)}
    extra = {"n_calibration": int(estimator.calibration_.n_calibration_)}
    results.append({"model": "tsmixer-cqr", **cqr, **common, **extra})

    def ett_adaptive(coverage, rate):
        band = shaped(estimator.predict_interval(X, coverage=coverage, adapt_rate=rate))
        return band[..., 0], band[..., 1]

    results += adaptive_rows(truth, quantiles, median, ett_adaptive, common)
    results.append({"model": "tsmixer-raw", **raw, **common})

    # --- HGB, one model per level, steps stacked
    rng = np.random.default_rng(args.seed)
    train_origins = np.arange(168, n_train - horizon)  # targets inside the train rows
    n_all = len(train_origins) * horizon * n_channels
    pick = np.sort(rng.choice(n_all, size=min(args.hgb_samples, n_all), replace=False))
    t, h, k = ett_triples(train_origins, horizon, n_channels)
    t, h, k = t[pick], h[pick], k[pick]
    X_train = ett_features(values, hours, t, h, k)
    y_train = values[t + h, k]
    start = time.perf_counter()
    models = fit_hgb(X_train, y_train, args)
    hgb_seconds = time.perf_counter() - start
    print(f"  hgb: {len(X_train)} rows, {hgb_seconds:.0f} s", flush=True)
    # Calibration: the origins whose targets are validation rows (every 5th).
    cal_origins = np.arange(n_train - 1, n_train + n_val - horizon, 5)
    cal_quantiles, _ = ett_hgb_quantiles(models, values, hours, cal_origins, horizon, args)
    cal_truth = windows[cal_origins + 1].transpose(0, 2, 1)
    test_quantiles, crossed = ett_hgb_quantiles(models, values, hours, test_origins, horizon, args)
    common = {"fit_seconds": hgb_seconds, "crossing": crossed}
    results += conformal_rows("hgb", truth, cal_truth, cal_quantiles, test_quantiles, common)

    # --- TSMixerx (neuralforecast): train rows, the same calibration and test origins
    results += tsmixerx_rows(
        args,
        lambda: intervals_nf.ett_quantiles(
            scaled, n_train, cal_origins, test_origins, horizon, args, LEVELS
        ),
        truth,
        cal_truth,
    )
    return {
        "units": "scaled (train mean/std)",
        "test_origins": int(n_origins),
        "test_stride": args.test_stride,
        "horizon": horizon,
        "targets": list(scaled.columns),
        "input_size": input_size,
        "hgb_training_rows": len(X_train),
        "results": results,
    }


# -------------------------------------------------------------------- EPF


def epf_origin_rows(estimator, data, block, input_size, what):
    """``what(X)`` at the midnight origins of a block: ``(2 * days, 24, ...)``, FR first."""
    countries = list(epf.COUNTRIES)
    days = data.block(block)
    first = data.days[days[0]] - pd.Timedelta(hours=input_size + 48)
    last = data.days[days[-1]] + pd.Timedelta(hours=23)
    X = epf.tsmixer_frame(data, countries)
    X = X[(X.index >= first) & (X.index <= last)]
    origins = data.days[days] - pd.Timedelta(hours=1)
    values = np.asarray(what(X))
    out = []
    for country in countries:
        mask = X.index.isin(origins) & (X["unique_id"] == country).to_numpy()
        out.append(values[mask].reshape(len(days), epf.HORIZON, *values.shape[2:]))
    return np.concatenate(out)


def run_epf(args):
    from sktsmixer import TSMixerRegressor
    from sktsmixer.uncertainty.calibration import SplitConformal

    path = pathlib.Path(args.data_epf)
    if not path.is_file():
        return {"skipped": f"EPF_FR_BE.csv not found at {path}: pass --data-epf PATH"}
    data = epf.Data(path, args.epf_test_days, args.epf_validation_days)
    countries = list(epf.COUNTRIES)

    def block_truth(block):
        return np.concatenate([data.daily[c]["y"][data.block(block)] for c in countries])

    truth = block_truth("test")  # (2 * days, 24)
    results = []

    # --- TSMixer: one global model, hold-out = the validation weeks
    fit_frame = epf.tsmixer_frame(data, countries, end=data.start("test"))
    n_per_series = len(fit_frame) // len(countries)
    n_windows = n_per_series - args.epf_input_size - epf.HORIZON + 1
    n_val_windows = args.epf_validation_days * 24 - epf.HORIZON + 1
    estimator = TSMixerRegressor(
        input_size=args.epf_input_size,
        horizon=epf.HORIZON,
        target_columns=["y"],
        future_columns=epf.FUTURE,
        time_features="auto",
        series_column="unique_id",
        loss="quantile",
        quantiles=TSMIXER_QUANTILES,
        n_blocks=2,
        ff_dim=64,
        dropout=args.dropout,
        learning_rate=1e-3,
        batch_size=32,
        epochs=args.epochs,
        steps_per_epoch=args.steps_per_epoch,
        patience=args.patience,
        early_stopping=True,
        validation_fraction=(n_val_windows - 0.5) / n_windows,
        random_state=args.seed,
    )
    start = time.perf_counter()
    estimator.fit(fit_frame)
    fit_seconds = time.perf_counter() - start
    print(f"  tsmixer: {estimator.n_iter_} epochs, {fit_seconds:.0f} s", flush=True)
    size = args.epf_input_size
    quantiles = epf_origin_rows(estimator, data, "test", size, estimator.predict_quantiles)
    bands = {}
    for coverage in COVERAGES:
        band = epf_origin_rows(
            estimator, data, "test", size, lambda X, c=coverage: estimator.predict_interval(X, c)
        )
        bands[coverage] = (band[:, :, 0], band[:, :, 1])
    median = quantiles[..., LEVELS.index(0.5)]
    raw, cqr = quantile_rows(truth, quantiles, median, lambda c: bands[c])
    common = {"fit_seconds": fit_seconds, "epochs": int(estimator.n_iter_)}
    cal = {"n_calibration": int(estimator.calibration_.n_calibration_)}
    results.append({"model": "tsmixer-cqr", **cqr, **common, **cal})

    def epf_adaptive(coverage, rate):
        band = epf_origin_rows(
            estimator,
            data,
            "test",
            size,
            lambda X: estimator.predict_interval(X, coverage, adapt_rate=rate),
        )
        return band[:, :, 0], band[:, :, 1]

    results += adaptive_rows(truth, quantiles, median, epf_adaptive, common)
    # The same quantiles, conformalised on the validation midnights only.
    val_quantiles = epf_origin_rows(
        estimator, data, "validation", size, estimator.predict_quantiles
    )
    med = LEVELS.index(0.5)
    midnight = SplitConformal(
        block_truth("validation")[..., None],
        val_quantiles[..., med][..., None],
        val_quantiles[:, :, None],
        LEVELS,
    )

    def midnight_band(coverage):
        lower, upper = midnight.interval(median[..., None], quantiles[:, :, None], coverage)
        return lower[..., 0], upper[..., 0]

    _, cqr_midnight = quantile_rows(truth, quantiles, median, midnight_band)
    cal = {"n_calibration": len(val_quantiles)}
    results.append({"model": "tsmixer-cqr-midnight", **cqr_midnight, **common, **cal})
    results.append({"model": "tsmixer-raw", **raw, **common})

    # --- HGB, pooled over both countries, the hour is the step
    first = 7
    X_train, y_train = epf.hgb_matrix(data, countries, np.arange(first, data.train_days))
    start = time.perf_counter()
    models = fit_hgb(X_train, y_train, args)
    hgb_seconds = time.perf_counter() - start
    print(f"  hgb: {len(X_train)} rows, {hgb_seconds:.0f} s", flush=True)

    def hgb_block(block):
        X, _ = epf.hgb_matrix(data, countries, data.block(block))
        quantiles, crossed = predict_hgb(models, X, args)
        return quantiles.reshape(-1, epf.HORIZON, 1, len(LEVELS)), crossed

    cal_quantiles, _ = hgb_block("validation")
    test_quantiles, crossed = hgb_block("test")
    cal_truth = block_truth("validation")[..., None]  # (2 * days, 24, 1)
    common = {"fit_seconds": hgb_seconds, "crossing": crossed}
    results += conformal_rows(
        "hgb", truth[..., None], cal_truth, cal_quantiles, test_quantiles, common
    )

    # --- TSMixerx (neuralforecast): train days, calibrated on the validation midnights
    results += tsmixerx_rows(
        args, lambda: intervals_nf.epf_quantiles(data, args, LEVELS), truth[..., None], cal_truth
    )
    return {
        "units": "EUR/MWh",
        "blocks": data.describe(),
        "test_forecasts": f"{len(data.test)} days x 2 countries, made at midnight",
        "horizon": epf.HORIZON,
        "input_size": args.epf_input_size,
        "results": results,
    }


# ------------------------------------------------------------------- main


def table_row(r):
    if "skipped" in r:
        return [r["model"], *["-"] * 6, "skipped"]
    return [
        r["model"],
        f"{r['coverage_80']:.3f}",
        f"{r['width_80']:.3f}",
        f"{r['coverage_95']:.3f}",
        f"{r['width_95']:.3f}",
        f"{r['pinball']:.4f}",
        f"{r['mae']:.4f}",
        f"{r['fit_seconds']:.0f}",
    ]


def main(argv=None):
    args = parse_args(argv)
    runners = {"ett": run_ett, "epf": run_epf}
    report = {"machine": _common.machine(), "config": vars(args), "datasets": {}}
    for name in args.datasets:
        print(f"{name} ...", flush=True)
        start = time.perf_counter()
        outcome = runners[name](args)
        outcome["total_seconds"] = time.perf_counter() - start
        report["datasets"][name] = outcome
        if "skipped" in outcome:
            print(f"{name}: skipped ({outcome['skipped']})", flush=True)
    for name, outcome in report["datasets"].items():
        if "skipped" in outcome:
            continue
        title = {"ett": "ETTh1", "epf": "EPF FR+BE"}[name]
        print(
            f"\n{title}: horizon {outcome['horizon']}, input {outcome['input_size']}, "
            f"{outcome['units']}; nominal 80% and 95%"
        )
        _common.print_table(
            ["model", "cov 80", "width 80", "cov 95", "width 95", "pinball", "MAE", "fit s"],
            [table_row(r) for r in outcome["results"]],
        )
        for r in outcome["results"]:
            if "skipped" in r:
                print(f"{r['model']}: skipped ({r['skipped']})")
    _common.write_json("intervals", report, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
