"""Shared fixtures: quiet TensorFlow, data sets, fitted estimators (session scope)."""

import os
import pathlib
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
DEFAULT_ETTH1 = REPO.parent / "shared" / "data" / "ETT-small" / "ETTh1.csv"
DEFAULT_EPF = REPO.parent / "shared" / "data" / "EPF" / "EPF_FR_BE.csv"


def epf_path_or_skip():
    """The EPF data set's path ($SKTSMIXER_EPF or ../shared), or skip the test saying why."""
    path = os.environ.get("SKTSMIXER_EPF", str(DEFAULT_EPF))
    if not os.path.isfile(path):
        pytest.skip(f"EPF_FR_BE.csv not found at {path}; set SKTSMIXER_EPF to run this test")
    return path


def run_benchmark(script, *args, timeout=600):
    """Runs ``benchmarks/<script>`` in a child process; fails with its output if it fails."""
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / script), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result


def pytest_addoption(parser):
    parser.addoption(
        "--etth1",
        default=os.environ.get("SKTSMIXER_ETTH1", str(DEFAULT_ETTH1)),
        help="path to ETTh1.csv (default: $SKTSMIXER_ETTH1 or ../shared/data/ETT-small/ETTh1.csv)",
    )


@pytest.fixture(scope="session")
def etth1_path(request):
    path = pathlib.Path(request.config.getoption("--etth1"))
    if not path.is_file():
        pytest.skip(
            f"ETTh1.csv not found at {path}; pass --etth1 PATH or set SKTSMIXER_ETTH1 "
            "to run the ETTh1 tests"
        )
    return path


def seasonal_series(n_rows=1200, seed=0):
    """Three channels: a daily cycle, a lagged copy of it with a weekly cycle, noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_rows)
    daily = np.sin(2 * np.pi * t / 24)
    weekly = np.sin(2 * np.pi * t / 168)
    return np.column_stack(
        [
            10 + 3 * daily + 0.2 * rng.standard_normal(n_rows),
            5 + 2 * np.roll(daily, 6) + weekly + 0.2 * rng.standard_normal(n_rows),
            -2 + 0.5 * daily * weekly + 0.1 * rng.standard_normal(n_rows),
        ]
    )


@pytest.fixture(scope="session")
def seasonal():
    return seasonal_series()
