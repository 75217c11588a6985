"""Plot a 24-hour forecast with its 90% interval, and the training loss curve.

The example makes its own hourly data: a load with a daily cycle that rises
with the temperature, and a temperature-like covariate that is known ahead
(think of a weather forecast). It trains a small TSMixerRegressor on all but
the last day, forecasts that day from the temperatures given in ``future=``,
and saves two figures (needs matplotlib: ``pip install sktsmixer[plot]``):

* ``docs/forecast.png``: the last four days, the forecast, its 90% interval
  and what actually happened;
* ``docs/loss_curve.png``: training and validation loss per epoch.

    python examples/plot_forecast.py [OUTPUT_DIR]   # default: docs/
"""

import pathlib
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sktsmixer import TSMixerRegressor  # noqa: E402
from sktsmixer.plotting import ForecastDisplay, LossCurveDisplay  # noqa: E402

HORIZON = 24


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
        time_features="auto",
        n_blocks=2,
        ff_dim=32,
        learning_rate=3e-3,
        batch_size=128,
        epochs=20,
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

    out_dir.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(10, 4), layout="constrained")
    ForecastDisplay.from_estimator(
        forecaster, past, future=future, coverage=0.9, actual=actual, n_history=4 * 24, ax=ax
    )
    ax.set_title("TSMixer: next-day load forecast with a 90% interval")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))  # outside, clear of the data
    fig.savefig(out_dir / "forecast.png", dpi=120)
    print(f"saved {out_dir / 'forecast.png'}")

    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    LossCurveDisplay.from_estimator(forecaster, ax=ax, log_scale=True)
    ax.set_title("Training and validation loss (log scale)")
    fig.savefig(out_dir / "loss_curve.png", dpi=120)
    print(f"saved {out_dir / 'loss_curve.png'}")


if __name__ == "__main__":
    default = pathlib.Path(__file__).resolve().parents[1] / "docs"
    main(pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else default)
