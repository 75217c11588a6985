"""
GridSearchCV on a panel with PanelTimeSeriesSplit
=================================================

:class:`~sktsmixer.model_selection.PanelTimeSeriesSplit` cuts a panel by time:
every series at the same timestamps, later folds later in time, so no fold
trains on the future of what it tests. It is a normal ``cv=`` for
:class:`~sklearn.model_selection.GridSearchCV`, and every parameter of
:class:`~sktsmixer.TSMixerRegressor` can be searched, the column roles
included: here, whether to read the temperature forecast.

To run the same search on a Dask cluster, wrap ``search.fit`` in
``joblib.parallel_backend("dask")`` and give each worker
:func:`sktsmixer.parallel.worker_environment` (see the user guide).
"""

import matplotlib.pyplot as plt
import pandas as pd
from sklearn.model_selection import GridSearchCV

from sktsmixer import TSMixerRegressor
from sktsmixer.datasets import make_panel
from sktsmixer.model_selection import PanelTimeSeriesSplit

EPOCHS = 10
# sphinx_gallery_start_ignore
# The documentation's quick build (SKTSMIXER_DOCS_QUICK=1) only checks that the
# example runs.
import os  # noqa: E402

if os.environ.get("SKTSMIXER_DOCS_QUICK"):
    EPOCHS = 1
# sphinx_gallery_end_ignore

panel = make_panel(n_series=3, n_steps=24 * 7 * 5, random_state=1)

# %%
# Two folds, each testing two days (48 time steps) of every region; the
# default score is the R² of the 24-hour forecasts inside the test fold.

cv = PanelTimeSeriesSplit(n_splits=2, test_size=48, series_column="series")
forecaster = TSMixerRegressor(
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
grid = {"future_columns": [None, ["temperature"]]}
search = GridSearchCV(forecaster, grid, cv=cv).fit(panel)
print("best parameters:", search.best_params_)
print(f"best cross-validated R^2: {search.best_score_:.3f}")

# %%
# The scores of every candidate, per fold.

results = pd.DataFrame(search.cv_results_)
labels = [
    "with the temperature forecast" if p["future_columns"] else "no covariate"
    for p in results["params"]
]
fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
ax.barh(labels, results["mean_test_score"], xerr=results["std_test_score"], color="tab:blue")
ax.set_xlabel("R² over the test folds (mean ± std)")
ax.set_title("GridSearchCV with PanelTimeSeriesSplit")
plt.show()
