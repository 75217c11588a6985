"""The intervals benchmark runs once in its quick configuration (EPF only), so it cannot rot."""

import json

import pytest
from conftest import epf_path_or_skip, run_benchmark

pytestmark = pytest.mark.slow


def test_intervals_quick_on_epf(tmp_path):
    out_path = tmp_path / "intervals.json"
    result = run_benchmark(
        "intervals.py",
        "--quick",
        "--datasets",
        "epf",
        "--skip-neuralforecast",
        "--data-epf",
        epf_path_or_skip(),
        "--json",
        str(out_path),
    )
    rows = {r["model"]: r for r in json.loads(out_path.read_text())["datasets"]["epf"]["results"]}
    assert rows["tsmixerx"]["skipped"] == "--skip-neuralforecast"
    for name in ("tsmixer-cqr", "tsmixer-aci", "tsmixer-raw", "hgb-cqr", "hgb-raw"):
        row = rows[name]
        assert 0 <= row["coverage_80"] <= row["coverage_95"] <= 1, name
        assert 0 < row["width_80"] < row["width_95"], name
        assert row["pinball"] > 0 and row["mae"] > 0, name
    # Coverage near nominal. The test is 28 daily forecasts (14 days x 2
    # countries) of 24 hours whose errors move together, about 28 independent
    # draws: a coverage c has a standard error of sqrt(c (1 - c) / 28), 0.076
    # at 80% and 0.041 at 95%; the tolerance is two of them. Adaptive
    # conformal intervals hold it whatever the model (the quick one trains a
    # single epoch); the calibrated gradient boosting, a strong baseline,
    # holds it at 80%. Split-conformal TSMixer intervals are calibrated 8
    # weeks before the test and only ordered here.
    for nominal, tolerance in ((0.8, 0.15), (0.95, 0.08)):
        coverage = rows["tsmixer-aci"][f"coverage_{round(100 * nominal)}"]
        assert abs(coverage - nominal) <= tolerance, (nominal, coverage)
    assert abs(rows["hgb-cqr"]["coverage_80"] - 0.8) <= 0.15
    assert "tsmixerx: skipped" in result.stdout
