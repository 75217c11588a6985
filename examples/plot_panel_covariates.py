"""
A panel with a known-ahead and a static covariate
=================================================

:func:`sktsmixer.datasets.make_panel` draws the hourly electricity load of a
few regions. The load follows the temperature (heating when it is cold,
cooling when it is hot), and the temperature is known ahead: a weather
forecast. Each region's population, a static column, sets its level.

One global :class:`~sktsmixer.TSMixerRegressor` learns all regions at once.
We fit it twice, with and without the temperature forecast, and compare their
forecasts of the last day with the truth.
"""

# %%
# The data
# --------
# One long DataFrame: a ``series`` column, the ``load`` to forecast, the
# ``temperature`` and the ``population``, indexed by time.

import matplotlib.pyplot as plt
import numpy as np

from sktsmixer import TSMixerRegressor
from sktsmixer.datasets import make_panel
from sktsmixer.plotting import ForecastDisplay

EPOCHS = 20
# sphinx_gallery_start_ignore
# The documentation's quick build (SKTSMIXER_DOCS_QUICK=1) only checks that the
# example runs.
import os  # noqa: E402

if os.environ.get("SKTSMIXER_DOCS_QUICK"):
    EPOCHS = 1
# sphinx_gallery_end_ignore

panel = make_panel(n_series=3, n_steps=24 * 7 * 6, random_state=0)
print(panel.head())

# %%
# The last day of every region is what we forecast. Its temperatures are the
# weather forecast, given to ``forecast`` as ``future=``; its load is the truth.

past = panel.groupby("series").head(-24)
next_day = panel.groupby("series").tail(24)
future = next_day.drop(columns="load")

# %%
# Two models
# ----------
# Both read the past week of load, the calendar and the population; the
# first also reads the temperature, on the past and on the forecast day.

settings = dict(
    input_size=72,
    horizon=24,
    series_column="series",
    target_columns=["load"],
    static_columns=["population"],
    time_features=["hour", "dayofweek"],
    dropout=0.1,
    learning_rate=3e-3,
    batch_size=64,
    epochs=EPOCHS,
    random_state=0,
)
with_weather = TSMixerRegressor(future_columns=["temperature"], **settings).fit(past)
without_weather = TSMixerRegressor(**settings).fit(past)

forecast = with_weather.forecast(past, future=future, coverage=0.9)
baseline = without_weather.forecast(past)

truth = next_day["load"].to_numpy()
mae = np.abs(forecast["load"].to_numpy() - truth).mean()
mae_without = np.abs(baseline["load"].to_numpy() - truth).mean()
naive = np.abs(past.groupby("series").tail(24)["load"].to_numpy() - truth).mean()
print(f"MAE of the next day with the temperature forecast: {mae:.1f} MW")
print(f"MAE of the next day without it: {mae_without:.1f} MW")
print(f"MAE of the same hours one day earlier (seasonal naive): {naive:.1f} MW")

# %%
# The forecasts
# -------------
# :class:`~sktsmixer.plotting.ForecastDisplay` draws the last days of a
# region, the forecast with its 90% interval, and what happened.

fig, axes = plt.subplots(3, 1, figsize=(9, 9), sharex=True, layout="constrained")
for ax, region in zip(axes, panel["series"].unique(), strict=True):
    ForecastDisplay.from_estimator(
        with_weather,
        past,
        future=future,
        coverage=0.9,
        actual=next_day,
        series=region,
        n_history=3 * 24,
        ax=ax,
    )
    ax.set_title(region)
    ax.legend(loc="upper left", fontsize="small")
plt.show()
