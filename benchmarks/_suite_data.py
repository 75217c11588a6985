"""The suite's protocol: data sets, evaluation blocks and metrics (see ``suite.py``).

Everything that decides a figure is fixed here, as module constants, before
any run: which rows are forecast, from which data, and how errors are scored.
"""

import dataclasses
import os
import pathlib

import numpy as np
import pandas as pd

REPO = pathlib.Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = REPO.parent / "shared" / "data"
DATA_ENV = "SKTSMIXER_DATA"
QUANTILES = (0.1, 0.5, 0.9)
BANK_DAY = 169  # 5-minute rows from 07:00 to 21:00, one business day


@dataclasses.dataclass(frozen=True)
class Spec:
    """One data set of the suite and the fixed settings it is scored with.

    ``n_windows`` origins ``step`` rows apart form a block; ``lags`` and
    ``date_features`` are LightGBM's inputs, ``nf_input_size`` the window of
    the neuralforecast peers, ``quick_rows`` the history kept by ``--quick``.
    """

    name: str
    path: str
    freq: object  # a pandas frequency, or 1 for the integer business clock
    horizon: int
    period: int
    n_windows: int
    step: int
    lags: tuple
    date_features: tuple
    nf_input_size: int
    known: tuple = ()  # known-ahead covariates of the file (future inputs)
    calendar: tuple = ()  # calendar columns given to models that take exogenous inputs
    multivariate: bool = False  # ours: one series whose columns are all targets
    blank_outages: bool = False  # an all-zero horizon (a day without calls) is not scored
    quick_rows: int = 0


def _lags(period, extra=()):
    return tuple(range(1, period + 1)) + tuple(extra)


# Lags: 1..period, plus two seasons and, for sub-daily data, one week.
# NeuralForecast windows: 5 x horizon for hourly and finer data (their
# long-horizon and EPF examples), 2 x horizon for monthly and quarterly data.
SPECS = {
    "etth1": Spec(
        "etth1",
        "ETT-small/ETTh1.csv",
        "h",
        96,
        24,
        7,
        24,
        _lags(24, (48, 168)),
        ("hour", "dayofweek"),
        480,
        multivariate=True,
        quick_rows=900,
    ),
    "epf": Spec(
        "epf",
        "EPF/EPF_FR_BE.csv",
        "h",
        24,
        24,
        7,
        24,
        _lags(24, (48, 168)),
        ("hour", "dayofweek"),
        120,
        known=("gen_forecast", "system_load"),
        calendar=("hour", "week_day"),
        multivariate=True,
        quick_rows=400,
    ),
    "tourism": Spec(
        "tourism",
        "suite/tourism.csv",
        "QS",
        8,
        4,
        2,
        4,
        _lags(4, (8,)),
        ("quarter",),
        16,
        quick_rows=60,
    ),
    "us_employment": Spec(
        "us_employment",
        "suite/us_employment.csv",
        "MS",
        18,
        12,
        2,
        6,
        _lags(12, (24,)),
        ("month",),
        36,
        quick_rows=150,
    ),
    "bank_calls": Spec(
        "bank_calls",
        "suite/bank_calls.csv",
        1,
        BANK_DAY,
        BANK_DAY,
        5,
        BANK_DAY,
        _lags(BANK_DAY, (2 * BANK_DAY, 5 * BANK_DAY)),
        ("slot", "weekday"),
        5 * BANK_DAY,
        calendar=("slot", "weekday"),
        blank_outages=True,
        quick_rows=1400,
    ),
}
QUICK_SERIES = 3


def data_dir(option=None):
    """``--data-dir``, else ``$SKTSMIXER_DATA``, else ``../shared/data`` from the repo root."""
    return pathlib.Path(option or os.environ.get(DATA_ENV) or DEFAULT_DATA_DIR)


def load(spec, root):
    """The data set as a long frame ``unique_id, ds, y, *known, *calendar``.

    Sorted by series then time; every series ends on the same last time step.
    Raises ``FileNotFoundError`` when the file is absent.
    """
    path = pathlib.Path(root) / spec.path
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found (pass --data-dir or set ${DATA_ENV})")
    raw = pd.read_csv(path)
    if spec.name == "etth1":
        wide = raw.rename(columns={"date": "ds"})
        wide["ds"] = pd.to_datetime(wide["ds"])
        frame = wide.melt(id_vars="ds", var_name="unique_id", value_name="y")
    elif spec.name == "epf":
        frame = raw.assign(ds=pd.to_datetime(raw["ds"]))
        frame["hour"] = frame["ds"].dt.hour
    elif spec.name == "tourism":
        key = raw["Region"] + " / " + raw["State"] + " / " + raw["Purpose"]
        frame = pd.DataFrame({"unique_id": key, "ds": pd.to_datetime(raw["ds"]), "y": raw["y"]})
    elif spec.name == "us_employment":
        frame = raw.assign(ds=pd.to_datetime(raw["ds"])).dropna(subset=["y"])
        # A series that stops before the others (one was discontinued in
        # 2017) has no values in the evaluation blocks: it is dropped.
        last = frame.groupby("unique_id")["ds"].transform("max")
        frame = frame[last == frame["ds"].max()]
    elif spec.name == "bank_calls":
        # The business clock: row position, so nights and weekends are no gaps.
        position = np.arange(len(raw))
        frame = pd.DataFrame(
            {
                "unique_id": raw["unique_id"],
                "ds": position,
                "y": raw["y"].to_numpy(dtype=float),
                "slot": position % BANK_DAY,
                "weekday": (position // BANK_DAY) % 5,
            }
        )
    else:  # pragma: no cover - SPECS and load are edited together
        raise ValueError(f"no loader for {spec.name!r}")
    columns = ["unique_id", "ds", "y", *spec.known, *spec.calendar]
    frame = frame[columns].sort_values(["unique_id", "ds"], kind="stable")
    return frame.reset_index(drop=True)


@dataclasses.dataclass(frozen=True)
class Block:
    """``n_windows`` forecast origins ``step`` apart, counted from the end of the data.

    ``after[i]`` is the number of time steps after origin ``i`` in the frame
    cut by :func:`cut_to_block`: the last origin's horizon ends on its last row.
    """

    name: str
    horizon: int
    n_windows: int
    step: int

    @property
    def after(self):
        n, h, step = self.n_windows, self.horizon, self.step
        return [h + (n - 1 - i) * step for i in range(n)]

    @property
    def span(self):
        """Rows from the first origin to the end of the last horizon."""
        return self.after[0]


def block_end(spec, block_name, n_windows=None):
    """Time steps to drop from the end of the full data so that the block ends there.

    The test block's last horizon ends on the last row; the tuning block's
    last horizon ends at (never after) the test block's first origin.
    """
    n = n_windows or spec.n_windows
    if block_name == "test":
        return 0
    if block_name == "tune":
        return spec.horizon + (n - 1) * spec.step
    raise ValueError(f"block must be 'tune' or 'test', got {block_name!r}")


def cut_to_block(frame, spec, block_name, n_windows=None, quick=False):
    """The data the block is evaluated on: rows up to its end, and its :class:`Block`.

    ``quick`` keeps ``spec.quick_rows`` of history before the block and the
    first ``QUICK_SERIES`` series that reach back that far.
    """
    n = 1 if quick else (n_windows or spec.n_windows)
    block = Block(block_name, spec.horizon, n, spec.step)
    times = np.sort(frame["ds"].unique())
    drop = block_end(spec, block_name, n if quick else n_windows)
    end = times[len(times) - 1 - drop]
    frame = frame[frame["ds"] <= end]
    if quick:
        first = times[len(times) - 1 - drop - block.span - spec.quick_rows]
        starts = frame.groupby("unique_id", sort=False)["ds"].min()
        keep = list(starts[starts <= first].index[:QUICK_SERIES])
        frame = frame[frame["unique_id"].isin(keep) & (frame["ds"] > first)]
    return frame.reset_index(drop=True), block


def series_values(frame):
    """``{series: y}`` in the order of the sorted frame."""
    return {k: g["y"].to_numpy(dtype=float) for k, g in frame.groupby("unique_id", sort=False)}


def cutoffs(frame, block):
    """The time label of the last observed row at each origin."""
    times = np.sort(frame["ds"].unique())
    return [times[len(times) - 1 - a] for a in block.after]


def truth(values, block, blank_outages=False):
    """Actual values ``(n_origins, n_series, horizon)``.

    ``blank_outages``: a horizon whose values are all zero is NaN, left out
    of every metric. On bank_calls the horizon is one business day, and a
    day without a single call (2003-10-14, in the tuning block) is an outage
    of the recording, not a demand any model could forecast.
    """
    h = block.horizon
    out = np.stack(
        [np.stack([y[len(y) - a : len(y) - a + h] for y in values.values()]) for a in block.after]
    )
    if blank_outages:
        out[(out == 0).all(axis=-1)] = np.nan
    return out


def seasonal_scale(values, block, period):
    """Per-series MAE of the in-sample seasonal-naive forecast on the training part.

    The training part is what precedes the block's first origin. A series
    whose scale is zero (constant history) gets NaN and drops out of the means.
    """
    scales = []
    for y in values.values():
        train = y[: len(y) - block.after[0]]
        diff = np.abs(train[period:] - train[:-period])
        scale = np.nanmean(diff) if np.isfinite(diff).any() else np.nan
        scales.append(scale if scale > 0 else np.nan)
    return np.asarray(scales)


def seasonal_naive(values, block, period):
    """The last observed season repeated over the horizon, at every origin."""
    steps = np.arange(block.horizon) % period
    out = []
    for a in block.after:
        rows = []
        for y in values.values():
            last = y[len(y) - a - period : len(y) - a]
            rows.append(last[steps])
        out.append(np.stack(rows))
    return np.stack(out)


def mase(y_true, y_pred, scale):
    """Mean absolute error scaled per series, averaged over origins, series and steps.

    ``y_true`` and ``y_pred`` are ``(n_origins, n_series, horizon)``; ``scale``
    is ``(n_series,)``.
    """
    return float(np.nanmean(np.abs(y_true - y_pred) / scale[None, :, None]))


def scaled_pinball(y_true, y_quantiles, scale, quantiles=QUANTILES):
    """Pinball loss averaged over ``quantiles``, scaled per series like :func:`mase`.

    ``y_quantiles`` is ``(n_origins, n_series, horizon, len(quantiles))``.
    For the 0.5 quantile alone it is half the MASE of the median.
    """
    losses = []
    for j, q in enumerate(quantiles):
        diff = y_true - y_quantiles[..., j]
        losses.append(np.maximum(q * diff, (q - 1) * diff) / scale[None, :, None])
    return float(np.nanmean(np.stack(losses)))


def coverage(y_true, lower, upper):
    """Share of actual values inside ``[lower, upper]``."""
    inside = (y_true >= lower) & (y_true <= upper)
    return float(np.mean(inside[np.isfinite(y_true)]))


def geometric_mean(values):
    values = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    return float(np.exp(np.mean(np.log(values)))) if len(values) else float("nan")
