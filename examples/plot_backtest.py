"""
Backtesting a panel forecaster
==============================

A backtest answers "how good would my forecasts have been?": forecasts made
at many past origins, lined up with what happened, scored per horizon step
and per series. :func:`sktsmixer.model_selection.backtest` makes them in one
call (one ``predict`` pass over every row, no refit), as a tidy long table;
:func:`~sktsmixer.model_selection.backtest_scores` scores it; and
:meth:`~sktsmixer.plotting.ForecastDisplay.from_backtest` draws it.
"""

# %%
# The data
# --------
# Daily sales of three stores with weekly and monthly cycles whose level and
# amplitude differ by store. The monthly cycle is what a weekly
# seasonal-naive forecast misses.

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sktsmixer import TSMixerRegressor
from sktsmixer.model_selection import backtest, backtest_scores
from sktsmixer.plotting import ForecastDisplay

HORIZON = 7
MAX_STEPS = "auto"
# sphinx_gallery_start_ignore
# The documentation's quick build (SKTSMIXER_DOCS_QUICK=1) only checks that the
# example runs.
import os  # noqa: E402

if os.environ.get("SKTSMIXER_DOCS_QUICK"):
    MAX_STEPS = 20
# sphinx_gallery_end_ignore

rng = np.random.default_rng(0)
days = pd.date_range("2025-01-01", periods=200, freq="D", name="day")
weekly = np.sin(2 * np.pi * np.arange(len(days)) / 7)
monthly = np.sin(2 * np.pi * np.arange(len(days)) / 30)
panel = pd.concat(
    [
        pd.DataFrame(
            {
                "store": store,
                "sales": level
                + amplitude * (weekly + 0.6 * monthly)
                + rng.normal(0, 1.0, len(days)),
            },
            index=days,
        )
        for store, level, amplitude in [("north", 50, 8), ("south", 80, 15), ("east", 30, 4)]
    ]
).sort_index(kind="stable")

# %%
# Fit on the first 150 days
# -------------------------
# Only the horizon and the series column are set; the window, dropout and
# training budget are decided from the data.

cutoff = panel.index.unique()[150]
train = panel[panel.index < cutoff]
est = TSMixerRegressor(
    horizon=HORIZON, series_column="store", max_steps=MAX_STEPS, random_state=0
).fit(train)
print(f"input_size_={est.input_size_}, season_length_={est.season_length_}")

# %%
# Forecasts at the last 30 origins
# --------------------------------
# Each row is one forecast: its store, origin, step ahead, the time it is
# for, the forecast, what happened, and a 90% interval.

frame = backtest(est, panel, origins=30, coverage=0.9)
print(frame.head(3).to_string())
print(f"{len(frame)} rows: {frame['origin'].nunique()} origins x 3 stores x {HORIZON} steps")

# %%
# Scores per step and per store
# -----------------------------
# MASE divides the absolute error by the in-sample error of the weekly
# seasonal-naive forecast on the training rows: below 1 is better than it.

per_step = backtest_scores(frame, by="step", train=train, series_column="store", season_length=7)
print(per_step[["n", "mae", "rmse", "mase", "coverage"]].round(3).to_string())
per_store = backtest_scores(frame, by="series", train=train, series_column="store", season_length=7)
print(per_store[["mae", "mase", "coverage"]].round(3).to_string())

# %%
# The last four origins of one store
# ----------------------------------

display = ForecastDisplay.from_backtest(frame, series="south", origins=4, n_history=21)
display.ax_.set_title("Backtest of store 'south': last four origins")
display.figure_.autofmt_xdate()
plt.show()
