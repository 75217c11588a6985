"""The suite's models, each fitted once per block and forecasting at every origin.

Every runner takes the frame cut to the block (``_suite_data.cut_to_block``)
and returns a :class:`Forecast` of arrays ``(n_origins, n_series, horizon)``
in the frame's series order. The peers run through their libraries' own
rolling-origin API (``cross_validation(..., refit=False)``), configured as
their documentation does; the wall time covers the whole fit-and-forecast
call, compilation included.
"""

import dataclasses
import os
import time
import warnings

import _common
import _suite_data as sd
import numpy as np
import pandas as pd

ETS_MAX_SEASON = 24  # statsforecast's ETS models no season longer than this
NF_MAX_STEPS = 1000  # neuralforecast's default for NHITS and TSMixerx
NF_VAL_CHECK_STEPS = 50
NF_PATIENCE = 5  # validation checks without improvement before stopping
CONFORMAL_WINDOWS = 2  # mlforecast PredictionIntervals
QUICK_STEPS = 5
# Ours in --quick: parameters that exist are set to a tiny budget.
OURS_QUICK = {"epochs": 1, "steps_per_epoch": 3, "max_steps": 3}


class NotApplicable(Exception):
    """The model cannot run on this data set; the message says why."""


@dataclasses.dataclass
class Forecast:
    point: np.ndarray
    quantiles: np.ndarray | None  # (..., 3): the 10%, 50%, 90% quantiles
    fit_s: float
    note: str = ""


def ets_name(spec):
    """AutoETS, or AutoTheta where the season is longer than ETS models."""
    return "AutoTheta" if spec.period > ETS_MAX_SEASON else "AutoETS"


def _series_ids(frame):
    return list(pd.unique(frame["unique_id"]))


def to_array(cv, frame, block, column):
    """A ``cross_validation`` frame's ``column`` as ``(n_origins, n_series, horizon)``.

    Raises when the library forecast from other origins than the block's.
    """
    cv = cv.reset_index() if "unique_id" not in cv.columns else cv
    cuts = pd.Index(sd.cutoffs(frame, block))
    ids = pd.Index(_series_ids(frame))
    cv = cv.sort_values(["unique_id", "cutoff", "ds"])
    origin = cuts.get_indexer(cv["cutoff"])
    series = ids.get_indexer(cv["unique_id"])
    step = cv.groupby(["unique_id", "cutoff"]).cumcount().to_numpy()
    expected = len(cuts) * len(ids) * block.horizon
    if (origin < 0).any() or (series < 0).any() or len(cv) != expected:
        raise RuntimeError(
            f"{column}: forecasts at cutoffs {sorted(set(cv['cutoff']))[:3]}... for "
            f"{len(cv)} rows; the block asks for cutoffs {list(cuts)} and {expected} rows"
        )
    out = np.full((len(cuts), len(ids), block.horizon), np.nan)
    out[origin, series, step] = cv[column].to_numpy(dtype=float)
    return out


def _interval_quantiles(cv, frame, block, name):
    point = to_array(cv, frame, block, name)
    if f"{name}-lo-80" not in cv.columns:
        return point, None
    lower = to_array(cv, frame, block, f"{name}-lo-80")
    upper = to_array(cv, frame, block, f"{name}-hi-80")
    return point, np.stack([lower, point, upper], axis=-1)


def run_ets(frame, spec, block, seed, quick):
    """statsforecast AutoETS / AutoTheta; its 80% interval gives the 10% and 90% quantiles."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, AutoTheta

    name = ets_name(spec)
    model = (AutoTheta if name == "AutoTheta" else AutoETS)(season_length=spec.period)
    sf = StatsForecast(models=[model], freq=spec.freq, n_jobs=1)
    start = time.perf_counter()
    cv = sf.cross_validation(
        h=block.horizon,
        df=frame[["unique_id", "ds", "y"]],
        n_windows=block.n_windows,
        step_size=block.step,
        level=[80],
        refit=False,
    )
    fit_s = time.perf_counter() - start
    point, quantiles = _interval_quantiles(cv, frame, block, name)
    return Forecast(point, quantiles, fit_s, f"{name}(season_length={spec.period})")


# The business clock's calendar for LightGBM (integer time index).
def slot(ds):
    return np.asarray(ds) % sd.BANK_DAY


def weekday(ds):
    return (np.asarray(ds) // sd.BANK_DAY) % 5


def run_lightgbm(frame, spec, block, seed, quick):
    """mlforecast + LightGBM (default parameters) on lags, calendar, the series id.

    Targets are standardised per series (``LocalStandardScaler``, for panels of
    different scales); quantiles come from conformal ``PredictionIntervals``.
    """
    import lightgbm as lgb
    from mlforecast import MLForecast
    from mlforecast.target_transforms import LocalStandardScaler
    from mlforecast.utils import PredictionIntervals

    df = frame[["unique_id", "ds", "y", *spec.known]].copy()
    static = []
    if df["unique_id"].nunique() > 1:
        df["series"] = df["unique_id"].astype("category")
        static = ["series"]
    # --quick: lags up to 24 plus the seasonal ones (169 lags cost a minute).
    lags = [lag for lag in spec.lags if lag <= 24 or lag % spec.period == 0] if quick else spec.lags
    calendar = {"slot": slot, "weekday": weekday}
    dates = [calendar.get(name, name) for name in spec.date_features]
    # --quick: one thread; OpenMP's start-up on every one-row recursive
    # prediction dominates tiny fits (the model is the same).
    threads = {"n_jobs": 1} if quick else {}
    fcst = MLForecast(
        models={"LightGBM": lgb.LGBMRegressor(verbosity=-1, random_state=seed, **threads)},
        freq=spec.freq,
        lags=list(lags),
        date_features=dates,
        target_transforms=[LocalStandardScaler()],
    )
    # mlforecast's conformal intervals refit on windows whose known-ahead
    # inputs cross_validation does not hand them: no quantiles with those.
    intervals = {}
    if not spec.known:
        intervals = dict(
            prediction_intervals=PredictionIntervals(n_windows=CONFORMAL_WINDOWS, h=block.horizon),
            level=[80],
        )
    start = time.perf_counter()
    cv = fcst.cross_validation(
        df,
        n_windows=block.n_windows,
        h=block.horizon,
        step_size=block.step,
        refit=False,
        static_features=static,
        **intervals,
    )
    fit_s = time.perf_counter() - start
    point, quantiles = _interval_quantiles(cv, frame, block, "LightGBM")
    note = f"{len(lags)} lags, dates {list(spec.date_features)}, known {list(spec.known)}"
    if spec.known:
        note += "; no quantiles (conformal intervals need the known-ahead inputs)"
    return Forecast(point, quantiles, fit_s, note)


def check_aligned(frame):
    """Raise :class:`NotApplicable` unless every series covers the same time steps."""
    spans = frame.groupby("unique_id")["ds"].agg(["min", "max", "count"])
    if len(spans.drop_duplicates()) > 1:
        raise NotApplicable(
            "TSMixerx is multivariate (n_series fixed, all series on one time axis); the "
            f"{len(spans)} series here start at {spans['min'].nunique()} different dates"
        )


def run_neural(kind, frame, spec, block, seed, quick):
    """neuralforecast NHITS or TSMixerx, default sizes, standard scaler, early stopping.

    Known-ahead and calendar columns go in as ``futr_exog_list``; the
    validation block before the block has the block's length.
    """
    from neuralforecast import NeuralForecast
    from neuralforecast.models import NHITS, TSMixerx

    _common.quiet_lightning()  # after the import, which sets Lightning's log levels

    futr = [*spec.known, *spec.calendar]
    steps = QUICK_STEPS if quick else NF_MAX_STEPS
    kwargs = dict(
        h=block.horizon,
        input_size=spec.nf_input_size,
        futr_exog_list=futr or None,
        scaler_type="standard",
        max_steps=steps,
        early_stop_patience_steps=NF_PATIENCE,
        val_check_steps=min(NF_VAL_CHECK_STEPS, steps),
        random_seed=seed,
        enable_progress_bar=False,
        enable_model_summary=False,
        enable_checkpointing=False,
        logger=False,
        accelerator="cpu",
    )
    if quick:
        # NHITS samples 1024 windows a step by default: a second a step on two cores.
        kwargs.update(windows_batch_size=32, inference_windows_batch_size=32)
    if kind == "TSMixerx":
        check_aligned(frame)
        model = TSMixerx(n_series=frame["unique_id"].nunique(), **kwargs)
    else:
        model = NHITS(**kwargs)
    import torch

    torch.set_num_threads(os.cpu_count())
    nf = NeuralForecast(models=[model], freq=spec.freq)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cv = nf.cross_validation(
            df=frame,
            n_windows=block.n_windows,
            step_size=block.step,
            val_size=block.span,
            refit=False,
        )
    fit_s = time.perf_counter() - start
    point = to_array(cv, frame, block, kind)
    # The steps trained tell whether early stopping ended the fit.
    trajectory = getattr(nf.models[0], "train_trajectories", None) or [("?", None)]
    ran = trajectory[-1][0] + 1 if isinstance(trajectory[-1][0], int) else "?"
    note = f"input_size={spec.nf_input_size}, futr_exog={futr}, steps run {ran}"
    return Forecast(point, None, fit_s, note)


def ours_estimator(spec, frame, seed, params):
    """``TSMixerRegressor`` with the horizon, the column roles and ``params``."""
    from sktsmixer import TSMixerRegressor

    future = [*spec.known, *spec.calendar] or None
    if spec.multivariate:
        roles = dict(target_columns=_series_ids(frame), future_columns=future)
    else:
        roles = dict(target_columns=["y"], future_columns=future, series_column="unique_id")
    return TSMixerRegressor(horizon=spec.horizon, random_state=seed, **roles, **params)


def ours_frame(spec, frame):
    """Ours' layout: one wide series (multivariate sets) or a long panel, indexed by time."""
    future = [*spec.known, *spec.calendar]
    if spec.multivariate:
        wide = frame.pivot(index="ds", columns="unique_id", values="y")[_series_ids(frame)]
        first = frame[frame["unique_id"] == frame["unique_id"].iloc[0]]
        wide.columns = [str(c) for c in wide.columns]
        X = pd.concat([wide, first.set_index("ds")[future]], axis=1)
    else:
        X = frame.set_index("ds")[["unique_id", "y", *future]]
    X.index.name = "ds"
    return X


def run_ours(frame, spec, block, seed, quick, params):
    """Fit on the data before the first origin, ``predict`` once over the block."""
    params = dict(params)
    est = ours_estimator(spec, frame, seed, {})
    if quick:
        known = est.get_params()
        params = {**{k: v for k, v in OURS_QUICK.items() if k in known}, **params}
    est.set_params(**params)
    X = ours_frame(spec, frame)
    ids = _series_ids(frame)
    targets = ids if spec.multivariate else ["y"]
    cuts = sd.cutoffs(frame, block)
    times = np.sort(frame["ds"].unique())
    start = time.perf_counter()
    est.fit(X[X.index <= cuts[0]])
    # Forecasts read the past of each origin only; the targets after the last
    # origin are blanked anyway, and the rows after it carry the known-ahead inputs.
    Xp = X.copy()
    Xp.loc[Xp.index > cuts[-1], targets] = np.nan
    if not ([*spec.known, *spec.calendar]):
        Xp = Xp[Xp.index <= cuts[-1]]
    window = getattr(est, "input_size_", est.input_size)
    if isinstance(window, (int, np.integer)):
        first = times[max(0, np.searchsorted(times, cuts[0]) - int(window) - 1)]
        Xp = Xp[Xp.index >= first]
    if spec.multivariate:
        rows = Xp.index.get_indexer(cuts)
    else:
        keys = pd.MultiIndex.from_arrays([Xp["unique_id"], Xp.index])
        rows = keys.get_indexer(pd.MultiIndex.from_product([cuts, ids]).swaplevel())
    if (rows < 0).any():
        raise RuntimeError("an origin of the block is missing from the prediction frame")
    n, k, h = len(cuts), len(targets), spec.horizon
    point = est.predict(Xp)
    quantiles, note = None, "no quantiles"
    if getattr(est, "calibration_", None) is not None:
        # What a user gets by default: quantiles calibrated on the hold-out.
        quantiles = est.predict_quantiles(Xp, quantiles=sd.QUANTILES)
        note = "predict_quantiles (calibrated)"
    fit_s = time.perf_counter() - start

    def arrange(values):
        values = values[rows]
        if spec.multivariate:  # column step * k + target -> (origin, target, step)
            return np.swapaxes(values.reshape(n, h, k, *values.shape[2:]), 1, 2)
        return values.reshape(n, len(ids), h, *values.shape[2:])

    fitted = {
        name[:-1]: getattr(est, name)
        for name in vars(est)
        if name.endswith("_") and not name.startswith("_") and name[:-1] in est.get_params()
    }
    note += f"; params {params}" + (f"; fitted {fitted}" if fitted else "")
    return Forecast(arrange(point), None if quantiles is None else arrange(quantiles), fit_s, note)
