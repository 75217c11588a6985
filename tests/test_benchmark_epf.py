"""The electricity-price benchmark runs once in its quick configuration, so it cannot rot."""

import importlib.util
import json
import time

import pytest
from conftest import epf_path_or_skip, run_benchmark

pytestmark = pytest.mark.slow


def test_electricity_prices_quick(tmp_path):
    out_path = tmp_path / "epf.json"
    # The peer's code path runs wherever the bench extra is installed (CI).
    with_peer = importlib.util.find_spec("neuralforecast") is not None
    started = time.perf_counter()
    result = run_benchmark(
        "electricity_prices.py",
        "--quick",
        *([] if with_peer else ["--skip-neuralforecast"]),
        "--data",
        epf_path_or_skip(),
        "--json",
        str(out_path),
    )
    elapsed = time.perf_counter() - started
    report = json.loads(out_path.read_text())
    rows = {row["model"]: row for row in report["results"]}
    expected = ["seasonal-naive", "hgb-global", "hgb-local", "tsmixer-local", "tsmixer-global"]
    assert sorted(rows) == sorted(expected + (["tsmixerx-nf"] if with_peer else []))
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
        if name != "tsmixerx-nf":  # the peer trains 10 steps in quick mode: it runs, no more
            assert test["mae"] < 0.8 * zero and test["mae"] < 3 * naive["mae"], name
        if name != "seasonal-naive":  # no fit to time
            assert row["fit_seconds"] > 0, name
    if with_peer:
        # The peer's refit runs the steps of its chosen tuning fit's best check,
        # a fit that stopped on a hold-out with a window scaler.
        peer = rows["tsmixerx-nf"]
        chosen = min(peer["trials"], key=lambda trial: trial["validation_mae"])
        assert peer["params"]["max_steps"] == chosen["best_step"] <= chosen["steps_run"]
        assert peer["params"]["scaler_type"] in ("standard", "robust")
        assert peer["params"]["tuning"]["val_size"] > 0
    # Seconds, not milliseconds: every fit lay inside the child's run.
    assert sum(row["fit_seconds"] for row in rows.values()) < elapsed
    assert "MAE all" in result.stdout
