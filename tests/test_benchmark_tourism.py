"""benchmarks/tourism_categorical.py: its panel layout and a --quick run on the real file."""

import importlib.util
import json

import _suite_data as sd
import numpy as np
import pandas as pd
import pytest
import tourism_categorical as tc
from conftest import run_benchmark


def tourism_path_or_skip():
    """The tourism file ($SKTSMIXER_DATA or ../shared/data), or skip saying why."""
    path = sd.data_dir() / sd.SPECS["tourism"].path
    if not path.is_file():
        pytest.skip(
            f"tourism.csv not found at {path}; set ${sd.DATA_ENV} to the folder holding "
            "suite/tourism.csv to run this test"
        )
    return path


def test_panel_gives_the_key_columns_back_and_copies_them_as_statics():
    ds = pd.to_datetime(["2000-01-01", "2000-04-01"] * 2)
    frame = pd.DataFrame(
        {
            "unique_id": ["Alice Springs / Northern Territory / Visiting"] * 2
            + ["Sydney / New South Wales / Business"] * 2,
            "ds": ds,
            "y": [1.0, 2.0, 3.0, 4.0],
        }
    )
    X = tc.panel(frame)
    assert list(X.columns) == [*tc.KEY, "y", *tc.STATICS]
    assert list(X["State"]) == ["Northern Territory"] * 2 + ["New South Wales"] * 2
    assert list(X["Region_s"]) == ["Alice Springs"] * 2 + ["Sydney"] * 2
    np.testing.assert_array_equal(X["y"], frame["y"])
    assert (X.index == ds).all()
    assert "unique_id" in frame and len(frame.columns) == 3  # the input is left as it was


def test_panel_refuses_a_key_that_does_not_split_in_three():
    frame = pd.DataFrame({"unique_id": ["a / b"], "ds": pd.to_datetime(["2000-01-01"]), "y": [1.0]})
    with pytest.raises(RuntimeError, match="Region / State / Purpose"):
        tc.panel(frame)


def test_reused_peer_timing_says_where_it_came_from(tmp_path):
    earlier = {
        "machine": {"date": "2026-01-01"},
        "commit": "abc",
        "load_average_end": [6.0, 6.0, 6.0],
        "backtest_timing": {"neuralforecast": {"seconds": 12.5, "origins": 24}},
    }
    path = tmp_path / "earlier.json"
    path.write_text(json.dumps(earlier))
    peer = tc.reused_peer(path)
    assert peer["seconds"] == 12.5 and peer["origins"] == 24
    assert peer["reused_from"]["commit"] == "abc" and peer["reused_from"]["date"] == "2026-01-01"
    earlier["backtest_timing"]["neuralforecast"] = {"skipped": "--no-peer"}
    path.write_text(json.dumps(earlier))
    with pytest.raises(SystemExit, match="no neuralforecast timing"):
        tc.reused_peer(path)


def test_panel_matches_the_file():
    path = tourism_path_or_skip()
    spec = sd.SPECS["tourism"]
    frame = sd.load(spec, path.parents[1])
    X = tc.panel(frame)
    raw = pd.read_csv(path, parse_dates=["ds"]).sort_values([*tc.KEY, "ds"], kind="stable")
    # Sorted by the joined key, as the suite's loader sorts: same rows as the file's.
    mine = X.reset_index().sort_values([*tc.KEY, "ds"], kind="stable")
    for column in [*tc.KEY, "ds", "y"]:
        np.testing.assert_array_equal(mine[column].to_numpy(), raw[column].to_numpy())


@pytest.mark.slow
def test_quick_run_scores_the_tuning_block_and_times_both_backtests(tmp_path):
    path = tourism_path_or_skip()
    out = tmp_path / "tourism.json"
    args = ["--quick", "--seeds", "0", "--out", str(out), "--data-dir", str(path.parents[1])]
    peer = importlib.util.find_spec("neuralforecast") is not None
    run_benchmark("tourism_categorical.py", *args, *([] if peer else ["--no-peer"]))
    result = json.loads(out.read_text())

    spec = sd.SPECS["tourism"]
    frame = sd.load(spec, path.parents[1])
    _, test_block = sd.cut_to_block(frame, spec, "test")
    first_test_origin = pd.Timestamp(sd.cutoffs(frame, test_block)[0])
    # The tuning block's data stop at (never after) the test block's first origin.
    assert pd.Timestamp(result["block"]["last_time_in_data"]) <= first_test_origin
    assert result["block"]["name"] == "tune" and result["quick"] is True
    for label in ("key only", "key + statics"):
        run = result["models"][label]["runs"][0]
        assert np.isfinite(run["mase"]) and run["mase"] > 0
        assert run["relmase"] == pytest.approx(run["mase"] / result["seasonal_naive_mase"])
    statics = result["models"]["key + statics"]["runs"][0]["fitted"]
    assert set(statics["categorical_encoding_"]) == set(tc.STATICS)
    assert result["models"]["key only"]["runs"][0]["fitted"]["categorical_encoding_"] in ({}, None)

    ours = result["backtest_timing"]["ours"]
    n_series = result["block"]["series"]
    assert ours["origins"] == tc.BACKTEST_ORIGINS
    assert ours["rows"] == tc.BACKTEST_ORIGINS * n_series * spec.horizon
    theirs = result["backtest_timing"]["neuralforecast"]
    if peer:  # the same origins on the same rows
        assert (theirs["first_origin"], theirs["last_origin"]) == (
            ours["first_origin"],
            ours["last_origin"],
        )
        assert theirs["rows"] == ours["rows"]
    else:
        assert "skipped" in theirs
    for key in ("date", "cpu", "cores"):
        assert result["machine"][key]
    assert result["commit"] and "--quick" in result["command"]
