"""Shared fixtures: quiet TensorFlow, data sets, fitted estimators (session scope)."""

import os
import pathlib
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
# The suite's synthetic series is also the small-data benchmark's
# (benchmarks/convergence.py): one definition, in the benchmarks' helpers.
sys.path.insert(0, str(REPO / "benchmarks"))
from _common import seasonal_series  # noqa: E402

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


@pytest.fixture(scope="session")
def seasonal():
    return seasonal_series()
