"""
Quick start: one series, 24 hours ahead
=======================================

The example makes its own data (an hourly load with a daily and a weekly
cycle and noise), trains :class:`~sktsmixer.TSMixerRegressor` on the first
80% of the hours and compares its forecasts on the rest with the
seasonal-naive forecast (the same hour one day earlier).
"""

import numpy as np
import pandas as pd

from sktsmixer import TSMixerRegressor

EPOCHS = 30
# sphinx_gallery_start_ignore
# The documentation's quick build (SKTSMIXER_DOCS_QUICK=1) only checks that the
# example runs.
import os  # noqa: E402

if os.environ.get("SKTSMIXER_DOCS_QUICK"):
    EPOCHS = 2
# sphinx_gallery_end_ignore


def make_load_data(n_hours=24 * 90, seed=0):
    rng = np.random.default_rng(seed)
    hours = pd.date_range("2025-01-01", periods=n_hours, freq="h")
    t = np.arange(n_hours)
    daily = np.sin(2 * np.pi * (t % 24) / 24)
    weekly = np.where(hours.day_of_week >= 5, -1.0, 0.5)
    temperature = 12 + 6 * np.sin(2 * np.pi * (t - 15) / 24) + rng.normal(0, 0.5, n_hours)
    load = 100 + 20 * daily + 8 * weekly + 0.8 * temperature + rng.normal(0, 2, n_hours)
    return pd.DataFrame({"load": load, "temperature": temperature}, index=hours)


def main():
    data = make_load_data()
    split = int(len(data) * 0.8)
    train, test = data.iloc[:split], data.iloc[split:]

    forecaster = TSMixerRegressor(
        input_size=7 * 24,
        horizon=24,
        target_columns=["load"],
        epochs=EPOCHS,
        learning_rate=1e-3,
        random_state=0,
    )
    forecaster.fit(train)  # y=None: forecast the next 24 hours of "load"

    # `test` continues `train` (its index follows), so the first test rows are
    # forecast from the last week of the training data.
    predicted = forecaster.predict(test)[:-24]  # (n, 24): 1..24 hours ahead
    truth = np.lib.stride_tricks.sliding_window_view(test["load"].to_numpy()[1:], 24)
    load = data["load"].to_numpy()
    rows = split + np.arange(len(truth))[:, None] + np.arange(1, 25) - 24
    seasonal_naive = load[rows]

    mae = np.abs(predicted - truth).mean()
    naive_mae = np.abs(seasonal_naive - truth).mean()
    print(f"epochs run: {forecaster.n_iter_}")
    print(f"TSMixer MAE over 24 h: {mae:.2f}   seasonal naive MAE: {naive_mae:.2f}")
    print(f"R^2 (score): {forecaster.score(test):.3f}")
    print("next 24 hours after the data:")
    print(forecaster.forecast(data).round(1).head())


if __name__ == "__main__":
    main()
