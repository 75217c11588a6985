"""Backtest a panel forecaster: forecasts at past origins, errors per step, a plot.

The example makes a small panel of daily series (weekly and monthly cycles
whose level and amplitude differ by store), trains one TSMixerRegressor on the first
part of every series, and backtests it on the rest in one call:

* ``backtest`` forecasts every origin of the held-out period with one
  ``predict`` pass and lines the forecasts up with what happened, as a long
  table (store, origin, step, time, target, forecast, actual, interval);
* ``backtest_scores`` turns it into errors per horizon step and per store
  (MAE, RMSE, MASE against the weekly naive forecast, interval coverage);
* ``ForecastDisplay.from_backtest`` draws the forecasts of a few origins of
  one store beside the actuals (needs matplotlib:
  ``pip install sktsmixer[plot]``), saved as ``docs/backtest.png``.

    python examples/plot_backtest.py [OUTPUT_DIR]   # default: docs/
"""

import pathlib
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sktsmixer import TSMixerRegressor  # noqa: E402
from sktsmixer.model_selection import backtest, backtest_scores  # noqa: E402
from sktsmixer.plotting import ForecastDisplay  # noqa: E402

HORIZON = 7


def make_panel(n_days=200, seed=0):
    """Daily sales of three stores: level, weekly and monthly cycles, noise; rows time-major."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2025-01-01", periods=n_days, freq="D", name="day")
    weekly = np.sin(2 * np.pi * np.arange(n_days) / 7)
    monthly = np.sin(2 * np.pi * np.arange(n_days) / 30)  # what a weekly naive forecast misses
    parts = []
    for store, level, amplitude in [("north", 50, 8), ("south", 80, 15), ("east", 30, 4)]:
        cycles = amplitude * (weekly + 0.6 * monthly)
        sales = level + cycles + rng.normal(0, 1.0, n_days)
        parts.append(pd.DataFrame({"store": store, "sales": sales}, index=days))
    return pd.concat(parts).sort_index(kind="stable")


def main(output_dir):
    panel = make_panel()
    cutoff = panel.index.unique()[150]
    train = panel[panel.index < cutoff]
    est = TSMixerRegressor(
        input_size=28,
        horizon=HORIZON,
        series_column="store",
        dropout=0.1,
        epochs=20,
        random_state=0,
    ).fit(train)

    # Origins: the last 30 days with a complete week ahead; the windows read
    # the training days before them.
    frame = backtest(est, panel, origins=30, coverage=0.9)
    print(frame.head(3).to_string())
    print(f"{len(frame)} rows: {frame['origin'].nunique()} origins x 3 stores x {HORIZON} steps")

    per_step = backtest_scores(
        frame, by="step", train=train, series_column="store", season_length=7
    )
    print(per_step[["n", "mae", "rmse", "mase", "coverage"]].round(3).to_string())
    overall = backtest_scores(frame, by=None, train=train, series_column="store", season_length=7)
    print(f"overall MASE against the weekly naive forecast: {overall['mase'].iloc[0]:.3f}")
    per_store = backtest_scores(
        frame, by="series", train=train, series_column="store", season_length=7
    )
    print(per_store[["mae", "mase", "coverage"]].round(3).to_string())

    display = ForecastDisplay.from_backtest(frame, series="south", origins=4, n_history=21)
    display.ax_.set_title("Backtest of store 'south': last four origins")
    display.figure_.autofmt_xdate()
    output_dir.mkdir(parents=True, exist_ok=True)
    display.figure_.savefig(output_dir / "backtest.png", dpi=100, bbox_inches="tight")
    plt.close("all")
    print(f"saved {output_dir / 'backtest.png'}")


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "docs"))
