"""
A forecast with its 90% interval, and the loss curve
====================================================

The example makes its own hourly data: a load with a daily cycle that rises
with the temperature, and a temperature-like covariate that is known ahead
(think of a weather forecast). It trains a small
:class:`~sktsmixer.TSMixerRegressor` on all but the last day, forecasts that
day from the temperatures given in ``future=``, and draws two figures with
:class:`~sktsmixer.plotting.ForecastDisplay` and
:class:`~sktsmixer.plotting.LossCurveDisplay` (matplotlib:
``pip install "sktsmixer[plot]"``): the last four days, the forecast, its
90% interval and what actually happened; then the training and validation
loss per epoch.

``python examples/plot_forecast.py OUTPUT_DIR`` also saves them as
``forecast.png`` and ``loss_curve.png`` in ``OUTPUT_DIR``.
"""

import pathlib
import sys

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sktsmixer import TSMixerRegressor
from sktsmixer.plotting import ForecastDisplay, LossCurveDisplay

HORIZON = 24
EPOCHS = 20
# sphinx_gallery_start_ignore
# The documentation's quick build (SKTSMIXER_DOCS_QUICK=1) only checks that the
# example runs.
import os  # noqa: E402

if os.environ.get("SKTSMIXER_DOCS_QUICK"):
    EPOCHS = 2
# sphinx_gallery_end_ignore


def make_data(n_hours=24 * 60, seed=0):
    rng = np.random.default_rng(seed)
    hours = pd.date_range("2025-06-01", periods=n_hours, freq="h", name="time")
    t = np.arange(n_hours)
    weather = np.cumsum(rng.normal(0, 0.3, n_hours))  # slow drift from day to day
    temperature = 18 + 6 * np.sin(2 * np.pi * (t - 9) / 24) + weather
    daily = np.sin(2 * np.pi * (t - 6) / 24)
    load = 60 + 12 * daily + 1.5 * np.maximum(temperature - 20, 0) + rng.normal(0, 1.5, n_hours)
    return pd.DataFrame({"load": load, "temperature": temperature}, index=hours)


def main(out_dir):
    data = make_data()
    past, next_day = data.iloc[:-HORIZON], data.iloc[-HORIZON:]

    forecaster = TSMixerRegressor(
        input_size=72,
        horizon=HORIZON,
        target_columns=["load"],
        future_columns=["temperature"],
        time_features=["hour", "dayofweek"],
        n_blocks=2,
        ff_dim=32,
        learning_rate=3e-3,
        batch_size=128,
        epochs=EPOCHS,
        patience=5,
        random_state=0,
    )
    forecaster.fit(past)

    future = next_day[["temperature"]]  # the temperature forecast for the next day
    forecast = forecaster.forecast(past, future=future, coverage=0.9)
    actual = next_day["load"]
    mae = np.abs(forecast["load"].to_numpy() - actual.to_numpy()).mean()
    inside = actual.between(forecast["load_lower"], forecast["load_upper"]).sum()
    print(f"epochs run: {forecaster.n_iter_}")
    print(f"MAE over the next {HORIZON} h: {mae:.2f}")
    print(f"90% interval holds {inside} of {HORIZON} actual hours")

    fig, ax = plt.subplots(figsize=(10, 4), layout="constrained")
    ForecastDisplay.from_estimator(
        forecaster, past, future=future, coverage=0.9, actual=actual, n_history=4 * 24, ax=ax
    )
    ax.set_title("TSMixer: next-day load forecast with a 90% interval")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))  # outside, clear of the data
    figures = {"forecast.png": fig}

    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    LossCurveDisplay.from_estimator(forecaster, ax=ax, log_scale=True)
    ax.set_title("Training and validation loss (log scale)")
    figures["loss_curve.png"] = fig
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, figure in figures.items():
            figure.savefig(out_dir / name, dpi=120)
            print(f"saved {out_dir / name}")


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else None)
    plt.show()
