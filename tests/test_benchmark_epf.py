"""The electricity-price benchmark runs once in its quick configuration, so it cannot rot."""

import json
import os
import subprocess
import sys

import pytest
from conftest import REPO

pytestmark = pytest.mark.slow

DEFAULT_EPF = REPO.parent / "shared" / "data" / "EPF" / "EPF_FR_BE.csv"


def test_electricity_prices_quick(tmp_path):
    data = os.environ.get("SKTSMIXER_EPF", str(DEFAULT_EPF))
    if not os.path.isfile(data):
        pytest.skip(f"EPF_FR_BE.csv not found at {data}; set SKTSMIXER_EPF to run this test")
    out_path = tmp_path / "epf.json"
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "electricity_prices.py"),
            "--quick",
            "--skip-neuralforecast",
            "--data",
            data,
            "--json",
            str(out_path),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    report = json.loads(out_path.read_text())
    rows = {row["model"]: row for row in report["results"]}
    assert list(rows) == [
        "seasonal-naive",
        "hgb-global",
        "hgb-local",
        "tsmixer-local",
        "tsmixer-global",
    ]
    assert report["blocks"]["test"].endswith("(14 days)")
    zero = report["blocks"]["test_mean_abs_price"]  # the MAE of forecasting 0
    naive = rows["seasonal-naive"]["test"]
    for name, row in rows.items():
        test = row["test"]
        assert set(test) >= {"mae_FR", "mae_BE", "mae", "rmse"}
        assert 0 < test["mae"] <= test["rmse"]
        assert test["mae"] == pytest.approx((test["mae_FR"] + test["mae_BE"]) / 2)
        # Even a 40-step model has learned the price level: well below the
        # error of forecasting zero, and within a few times last week's prices.
        assert test["mae"] < 0.8 * zero and test["mae"] < 3 * naive["mae"], name
        assert row["fit_seconds"] >= 0
    assert "MAE all" in result.stdout
