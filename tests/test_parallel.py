"""Many fits at once: a Dask cluster, threads, thread limits for workers."""

import os

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit

from sktsmixer import TSMixerRegressor
from sktsmixer.parallel import worker_environment

GRID = {"ff_dim": [4, 8]}


def tiny():
    return TSMixerRegressor(
        input_size=24, horizon=6, n_blocks=1, ff_dim=8, epochs=2, random_state=0
    )


@pytest.fixture(scope="module")
def frame(seasonal):
    return pd.DataFrame(seasonal[:500], columns=["load", "temp", "price"])


@pytest.fixture(scope="module")
def serial_scores(frame):
    search = GridSearchCV(tiny(), GRID, cv=TimeSeriesSplit(n_splits=2), n_jobs=1).fit(frame)
    return search.cv_results_["mean_test_score"]


def test_worker_environment_caps_every_framework():
    env = worker_environment(3)
    assert env["TF_NUM_INTRAOP_THREADS"] == "3" and env["TF_NUM_INTEROP_THREADS"] == "1"
    assert env["OMP_NUM_THREADS"] == env["MKL_NUM_THREADS"] == "3"
    assert "XLA_FLAGS" not in env  # XLA's CPU pool cannot be sized, only turned off
    assert "--xla_cpu_multi_thread_eigen=false" in worker_environment(1)["XLA_FLAGS"]
    for bad in (0, 1.5, True, "2"):
        with pytest.raises(ValueError, match="threads_per_worker"):
            worker_environment(bad)


@pytest.mark.slow
def test_grid_search_on_a_dask_cluster_matches_the_serial_search(frame, serial_scores):
    distributed = pytest.importorskip(
        "distributed", reason="install dask[distributed] (pip install -e '.[test]')"
    )
    n_workers = 2
    threads = max(1, (os.cpu_count() or 2) // n_workers)
    with (
        distributed.LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            env=worker_environment(threads),
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        with distributed.get_task_stream(client) as tasks, joblib.parallel_backend("dask"):
            search = GridSearchCV(tiny(), GRID, cv=TimeSeriesSplit(n_splits=2), n_jobs=-1)
            search.fit(frame)
        limits = client.run(lambda: os.environ.get("TF_NUM_INTRAOP_THREADS"))
        ran_on = {task["worker"] for task in tasks.data}
    # Every worker runs with the cap, and workers x threads fit the cores.
    assert set(limits.values()) == {str(threads)}
    assert n_workers * threads <= (os.cpu_count() or 2)
    # The fits ran in the cluster's worker processes, on both of them.
    assert len(ran_on) == n_workers
    np.testing.assert_allclose(search.cv_results_["mean_test_score"], serial_scores, rtol=1e-5)
    assert search.best_estimator_.predict(frame).shape == (500, 18)


@pytest.mark.slow
def test_fits_in_threads_of_one_process_match_serial_fits(frame, serial_scores):
    # Dask workers with several threads, or joblib's threading backend, run
    # fits side by side in one process: they must not disturb each other.
    with joblib.parallel_backend("threading", n_jobs=2):
        search = GridSearchCV(tiny(), GRID, cv=TimeSeriesSplit(n_splits=2), n_jobs=2)
        search.fit(frame)
    np.testing.assert_allclose(search.cv_results_["mean_test_score"], serial_scores, rtol=1e-5)
