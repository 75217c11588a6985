"""
A Pipeline tuned by GridSearchCV with TimeSeriesSplit
=====================================================

The regression mode, ``fit(X, y)``: predict tomorrow's demand at this hour
(``y`` shifted 24 rows into the future) from a window of the past 48 hours of
demand, price and a temperature sensor with gaps, which an imputer fills
inside the pipeline.
"""

import numpy as np
import pandas as pd
from sklearn import set_config
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline

from sktsmixer import TSMixerRegressor

EPOCHS = 10
# sphinx_gallery_start_ignore
# The documentation's quick build (SKTSMIXER_DOCS_QUICK=1) only checks that the
# example runs.
import os  # noqa: E402

if os.environ.get("SKTSMIXER_DOCS_QUICK"):
    EPOCHS = 1
# sphinx_gallery_end_ignore


def make_demand_data(n_hours=24 * 60, seed=1):
    rng = np.random.default_rng(seed)
    t = np.arange(n_hours)
    demand = 50 + 10 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 1.5, n_hours)
    price = 30 + 0.3 * demand + rng.normal(0, 1, n_hours)
    sensor = 15 + 5 * np.sin(2 * np.pi * (t - 4) / 24) + rng.normal(0, 0.3, n_hours)
    sensor[rng.random(n_hours) < 0.05] = np.nan  # a flaky sensor
    index = pd.RangeIndex(n_hours, name="hour")
    X = pd.DataFrame({"demand": demand, "price": price, "sensor": sensor}, index=index)
    y = X["demand"].shift(-24).rename("demand_in_24h")  # NaN for the last day
    return X, y


def main():
    set_config(transform_output="pandas")  # the imputer hands a DataFrame on
    X, y = make_demand_data()
    pipeline = Pipeline(
        [
            (
                "impute",
                ColumnTransformer(
                    [("sensor", SimpleImputer(strategy="median"), ["sensor"])],
                    remainder="passthrough",
                    verbose_feature_names_out=False,
                ),
            ),
            (
                "tsmixer",
                TSMixerRegressor(
                    input_size=48,
                    epochs=EPOCHS,
                    early_stopping=False,
                    learning_rate=3e-3,
                    random_state=0,
                ),
            ),
        ]
    )
    grid = {"tsmixer__ff_dim": [16, 64]}
    search = GridSearchCV(
        pipeline, grid, cv=TimeSeriesSplit(n_splits=3), scoring="neg_mean_absolute_error"
    )
    # String scorers reject NaN targets, so drop the last day, whose target
    # (tomorrow) is unknown. (The default scoring, R² via score(), skips them.)
    known = y.notna()
    search.fit(X[known], y[known])
    print("best parameters:", search.best_params_)
    print(f"best cross-validated MAE: {-search.best_score_:.2f}")
    naive_mae = (X["demand"] - y)[known].abs().mean()
    print(f"same-hour-today naive MAE: {naive_mae:.2f}")


if __name__ == "__main__":
    main()
