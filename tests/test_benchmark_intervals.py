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
    # The calibrated gradient boosting is a strong baseline even in the quick
    # configuration: its 80% interval covers within 15 points of nominal.
    assert abs(rows["hgb-cqr"]["coverage_80"] - 0.8) < 0.15
    assert "tsmixerx: skipped" in result.stdout
