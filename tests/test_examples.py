"""The scripts under examples/ run on a fresh machine and print what they promise."""

import re
import subprocess
import sys

import pytest
from conftest import REPO


def run_example(name):
    result = subprocess.run(
        [sys.executable, str(REPO / "examples" / name)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.slow
def test_quickstart_beats_seasonal_naive():
    out = run_example("quickstart.py")
    mae, naive = map(
        float, re.search(r"MAE over 24 h: ([\d.]+)\s+seasonal naive MAE: ([\d.]+)", out).groups()
    )
    assert mae < naive
    assert "next 24 hours" in out


@pytest.mark.slow
def test_pipeline_gridsearch_beats_naive():
    out = run_example("pipeline_gridsearch.py")
    mae = float(re.search(r"best cross-validated MAE: ([\d.]+)", out).group(1))
    naive = float(re.search(r"naive MAE: ([\d.]+)", out).group(1))
    assert "best parameters" in out and mae < naive


@pytest.mark.slow
def test_pickle_reload_is_exact():
    out = run_example("pickle_reload.py")
    assert "max |difference| after reload in a new process: 0.0" in out


@pytest.mark.slow
def test_panel_covariates_the_temperature_forecast_helps():
    out = run_example("plot_panel_covariates.py")
    with_it = float(re.search(r"with the temperature forecast: ([\d.]+)", out).group(1))
    without = float(re.search(r"without it: ([\d.]+)", out).group(1))
    assert with_it < without


@pytest.mark.slow
def test_grid_search_panel_prefers_the_temperature():
    out = run_example("plot_grid_search_panel.py")
    assert "'future_columns': ['temperature']" in out
    assert float(re.search(r"best cross-validated R\^2: (-?[\d.]+)", out).group(1)) > 0.5


@pytest.mark.slow
def test_backtest_example_scores_every_origin_and_beats_weekly_naive():
    out = run_example("plot_backtest.py")
    assert "630 rows: 30 origins x 3 stores x 7 steps" in out
    # Per store: MASE against the weekly seasonal-naive forecast below 1.
    table = out[out.rindex("mase") :]
    row = r"^\S+\s+sales\s+[\d.]+\s+([\d.]+)\s+[\d.]+$"
    mases = [float(m) for m in re.findall(row, table, re.M)]
    assert len(mases) == 3 and max(mases) < 1, table
