"""The intervals benchmark runs once in its quick configuration (EPF only), so it cannot rot."""

import json
import os
import subprocess
import sys

import pytest
from conftest import REPO

pytestmark = pytest.mark.slow

DEFAULT_EPF = REPO.parent / "shared" / "data" / "EPF" / "EPF_FR_BE.csv"


def test_intervals_quick_on_epf(tmp_path):
    data = os.environ.get("SKTSMIXER_EPF", str(DEFAULT_EPF))
    if not os.path.isfile(data):
        pytest.skip(f"EPF_FR_BE.csv not found at {data}; set SKTSMIXER_EPF to run this test")
    out_path = tmp_path / "intervals.json"
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "intervals.py"),
            "--quick",
            "--datasets",
            "epf",
            "--skip-neuralforecast",
            "--data-epf",
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
    rows = {r["model"]: r for r in json.loads(out_path.read_text())["datasets"]["epf"]["results"]}
    assert rows["tsmixerx"]["skipped"] == "--skip-neuralforecast"
    for name in ("tsmixer-cqr", "tsmixer-raw", "hgb-cqr", "hgb-raw"):
        row = rows[name]
        assert 0 <= row["coverage_80"] <= row["coverage_95"] <= 1, name
        assert 0 < row["width_80"] < row["width_95"], name
        assert row["pinball"] > 0 and row["mae"] > 0, name
    # The calibrated gradient boosting is a strong baseline even in the quick
    # configuration: its 80% interval covers within 15 points of nominal.
    assert abs(rows["hgb-cqr"]["coverage_80"] - 0.8) < 0.15
    assert "tsmixerx: skipped" in result.stdout
