"""benchmarks/panel_scale.py runs in its --quick configuration, so it cannot rot."""

import json

import pytest
from conftest import run_benchmark

pytestmark = pytest.mark.slow


def test_panel_scale_quick(tmp_path):
    out_path = tmp_path / "panel_scale.json"
    result = run_benchmark(
        "panel_scale.py",
        "--quick",
        "--steps",
        "8",
        "--tasks",
        "fit",
        "forecast",
        "--json",
        str(out_path),
    )
    report = json.loads(out_path.read_text())
    (row,) = report["measured"]
    assert (row["n_series"], row["n_rows"]) == (300, 400)
    assert report["extrapolated"] is None
    fit, forecast = row["fit"], row["forecast"]
    assert "failed" not in fit and "failed" not in forecast
    # Real peaks: at least the frame, which the child held while it ran.
    assert fit["peak_rss"] >= fit["rss_after_frame"] * 0.9 > row["frame_bytes"] > 0
    assert forecast["forecast_finite"] and forecast["peak_rss"] > row["frame_bytes"]
    assert fit["windows_per_s_with_tracing"] > 0
    phases = {p["phase"] for p in fit["phases"]}
    assert {"fit", "parse_panel", "PanelEncoder.fit_transform", "Trainer.fit"} <= phases
    assert "PanelEncoder.transform" in {p["phase"] for p in forecast["phases"]}
    # The verdict is the comparison it reports, and the quick panel (1 MiB)
    # stays far under its frame plus 3 GiB: a fit that copied its data a few
    # hundred times over would not.
    allowed = row["bar"]["allowed_bytes"]
    assert allowed == row["frame_bytes"] + 3 * 2**30
    assert row["bar"]["fit"] is (fit["peak_rss"] <= allowed) is True
    assert row["bar"]["forecast"] is (forecast["peak_rss"] <= allowed) is True
    assert "fit peak" in result.stdout
