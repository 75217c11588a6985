"""The electricity-price benchmark runs once in its quick configuration, so it cannot rot."""

import json

import pytest
from conftest import epf_path_or_skip, run_benchmark

pytestmark = pytest.mark.slow


def test_electricity_prices_quick(tmp_path):
    out_path = tmp_path / "epf.json"
    result = run_benchmark(
        "electricity_prices.py",
        "--quick",
        "--skip-neuralforecast",
        "--data",
        epf_path_or_skip(),
        "--json",
        str(out_path),
    )
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
