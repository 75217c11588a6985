"""The forecasting suite (benchmarks/suite.py): its blocks, metrics and a quick run."""

import importlib.util
import json

import _suite_data as sd
import _suite_peers as peers
import numpy as np
import pandas as pd
import pytest
import suite
from conftest import run_benchmark

PEER_PACKAGES = ("statsforecast", "mlforecast", "lightgbm", "neuralforecast")


def _block(n_windows=3, step=2, horizon=4):
    return sd.Block("tune", horizon, n_windows, step)


def _values(seed=0, n=60, period=4):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return {
        "a": 10 + 3 * np.sin(2 * np.pi * t / period) + rng.normal(size=n),
        "b": 1000 + 300 * np.cos(2 * np.pi * t / period) + 50 * rng.normal(size=n),
    }


def test_seasonal_naive_against_itself_has_relmase_one_and_perfect_forecast_zero():
    values, block = _values(), _block()
    y_true = sd.truth(values, block)
    scale = sd.seasonal_scale(values, block, 4)
    naive = sd.seasonal_naive(values, block, 4)
    naive_mase = sd.mase(y_true, naive, scale)
    assert naive_mase > 0
    result = suite.score(y_true, peers.Forecast(naive, None, 0.0), scale, naive_mase)
    assert result["relmase"] == pytest.approx(1.0)
    assert result["pinball"] is None and result["coverage"] is None
    assert sd.mase(y_true, y_true.copy(), scale) == 0.0


def test_truth_scale_and_naive_by_hand():
    # One series 0, 1, ..., 11, period 2: in-sample seasonal differences are all 2.
    values = {"s": np.arange(12.0)}
    block = sd.Block("test", 2, 2, 1)  # origins after rows 8 and 9 (after = [3, 2])
    assert block.after == [3, 2]
    np.testing.assert_array_equal(sd.truth(values, block)[:, 0], [[9, 10], [10, 11]])
    assert sd.seasonal_scale(values, block, 2)[0] == 2.0  # train = rows 0..8
    np.testing.assert_array_equal(sd.seasonal_naive(values, block, 2)[:, 0], [[7, 8], [8, 9]])
    # Errors are all 2 = the scale: MASE 1.
    y_true = sd.truth(values, block)
    naive = sd.seasonal_naive(values, block, 2)
    assert sd.mase(y_true, naive, np.array([2.0])) == 1.0


def test_pinball_known_case():
    y_true = np.full((1, 1, 1), 10.0)
    # Quantiles 8 (q0.1), 10 (q0.5), 14 (q0.9): losses 0.1*2, 0, 0.1*4 -> mean 0.2.
    quantiles = np.array([8.0, 10.0, 14.0]).reshape(1, 1, 1, 3)
    assert sd.scaled_pinball(y_true, quantiles, np.array([1.0])) == pytest.approx(0.2)
    assert sd.scaled_pinball(y_true, quantiles, np.array([2.0])) == pytest.approx(0.1)
    # Above the 90% quantile: 0.9 * 2 for q0.9, 0.5 * 6 for q0.5, 0.1 * 10 for q0.1.
    above = np.array([6.0, 10.0, 14.0]).reshape(1, 1, 1, 3)
    expected = (0.1 * 10 + 0.5 * 6 + 0.9 * 2) / 3
    assert sd.scaled_pinball(np.full((1, 1, 1), 16.0), above, np.array([1.0])) == pytest.approx(
        expected
    )
    assert sd.coverage(np.array([1.0, 5.0, 9.0]), np.zeros(3), np.full(3, 6.0)) == pytest.approx(
        2 / 3
    )


def test_outage_horizon_is_not_scored():
    values = {"s": np.r_[np.arange(1.0, 9.0), np.zeros(4)]}
    block = sd.Block("tune", 4, 1, 4)
    assert np.isnan(sd.truth(values, block, blank_outages=True)).all()
    assert (sd.truth(values, block) == 0).all()


def _hourly_frame(n_rows=400, n_series=2):
    ds = pd.date_range("2020-01-01", periods=n_rows, freq="h")
    return pd.concat(
        [
            pd.DataFrame({"unique_id": f"s{i}", "ds": ds, "y": np.arange(n_rows) * (i + 1.0)})
            for i in range(n_series)
        ]
    ).reset_index(drop=True)


@pytest.mark.parametrize("name", list(sd.SPECS))
def test_tuning_block_ends_at_or_before_the_test_blocks_first_origin(name):
    spec = sd.SPECS[name]
    n_rows = spec.horizon * 4 + 4 * spec.n_windows * spec.step + spec.period * 3
    frame = _hourly_frame(n_rows)
    test, test_block = sd.cut_to_block(frame, spec, "test")
    tune, tune_block = sd.cut_to_block(frame, spec, "tune")
    assert test["ds"].max() == frame["ds"].max()  # the test block ends on the last row
    first_test_origin = sd.cutoffs(test, test_block)[0]
    # The tuning block's forecasts end at the test block's first origin: none
    # of its scored values lies in the test block's horizons.
    assert tune["ds"].max() <= first_test_origin
    assert tune["ds"].max() == first_test_origin  # and right before it
    assert len(sd.cutoffs(tune, tune_block)) == spec.n_windows
    steps = np.diff(pd.DatetimeIndex(sd.cutoffs(tune, tune_block))) / pd.Timedelta(hours=1)
    assert (steps == spec.step).all()
    values = sd.series_values(tune)
    y_true = sd.truth(values, tune_block)
    assert y_true[-1, 0, -1] == values["s0"][-1]
    # The test block's truth continues the series: y = row number.
    assert sd.truth(sd.series_values(test), test_block)[-1, 0, -1] == n_rows - 1


def test_to_array_maps_series_and_refuses_other_origins():
    frame = _hourly_frame(40)
    block = sd.Block("tune", 3, 2, 2)
    cuts = sd.cutoffs(frame, block)  # rows 34 and 36 (after = [5, 3])
    start = frame["ds"].min()

    def row(ds):
        return (ds - start) / pd.Timedelta(hours=1)

    rows = []
    for cut in cuts:
        for uid, scale in (("s0", 1.0), ("s1", 2.0)):
            for k in range(1, 4):
                ds = pd.Timestamp(cut) + pd.Timedelta(hours=k)
                rows.append({"unique_id": uid, "ds": ds, "cutoff": cut, "m": scale * row(ds)})
    cv = pd.DataFrame(rows).sample(frac=1, random_state=0)  # any order
    out = peers.to_array(cv, frame, block, "m")
    np.testing.assert_array_equal(out[..., 0], [[35, 70], [37, 74]])
    bad = cv.assign(cutoff=cv["cutoff"] + pd.Timedelta(hours=1))
    with pytest.raises(RuntimeError, match="cutoffs"):
        peers.to_array(bad, frame, block, "m")


def test_tsmixerx_needs_aligned_series():
    frame = _hourly_frame(50)
    peers.check_aligned(frame)
    with pytest.raises(peers.NotApplicable, match="start at 2 different dates"):
        peers.check_aligned(frame.iloc[3:])


def test_arguments_are_checked():
    with pytest.raises(SystemExit, match="unknown data set"):
        suite.parse_args(["--datasets", "etth1,m4"])
    with pytest.raises(SystemExit, match="JSON object"):
        suite.parse_args(["--ours-params", "[1]"])
    args = suite.parse_args(["--quick"])
    assert args.out.endswith("suite_quick.json") and args.block == "tune"


def test_test_block_runs_are_counted(tmp_path):
    out = tmp_path / "suite.json"
    out.write_text(json.dumps({"test_block_runs": 2}))
    args = suite.parse_args(["--block", "test", "--out", str(out)])
    assert suite.count_test_runs(args) == 3
    args = suite.parse_args(["--out", str(out)])
    assert suite.count_test_runs(args) == 2


# ----------------------------------------------------------------- quick runs


def write_synthetic_data(root, seed=0):
    """Small files in the layouts of the five real data sets, seasonal with noise."""
    rng = np.random.default_rng(seed)

    def wave(n, period, level, amplitude, noise):
        t = np.arange(n)
        return level + amplitude * np.sin(2 * np.pi * t / period) + noise * rng.normal(size=n)

    (root / "ETT-small").mkdir(parents=True)
    ds = pd.date_range("2016-07-01", periods=1300, freq="h")
    ett = {"date": ds.strftime("%Y-%m-%d %H:%M:%S")}
    for i, name in enumerate(["HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT"]):
        ett[name] = wave(len(ds), 24, 5 * (i + 1), 2 + i, 0.2)
    pd.DataFrame(ett).to_csv(root / "ETT-small" / "ETTh1.csv", index=False)

    (root / "EPF").mkdir()
    ds = pd.date_range("2015-01-01", periods=600, freq="h")
    load = wave(len(ds), 24, 70000, 8000, 500)
    parts = []
    for uid, level in (("FR", 40.0), ("BE", 50.0)):
        y = level + load / 4000 + wave(len(ds), 24, 0, 3, 1)
        parts.append(
            pd.DataFrame(
                {
                    "unique_id": uid,
                    "ds": ds,
                    "y": y,
                    "gen_forecast": load * 1.05,
                    "system_load": load,
                    "week_day": ds.dayofweek,
                }
            )
        )
    pd.concat(parts).to_csv(root / "EPF" / "EPF_FR_BE.csv", index=False)

    (root / "suite").mkdir()
    ds = pd.date_range("1998-01-01", periods=80, freq="QS")
    parts = [
        pd.DataFrame(
            {
                "ds": ds.strftime("%Y-%m-%d"),
                "Region": region,
                "State": "S",
                "Purpose": "Holiday",
                "y": wave(80, 4, level, level / 5, level / 50),
            }
        )
        for region, level in (("A", 50.0), ("B", 500.0), ("C", 5000.0), ("D", 80.0))
    ]
    pd.concat(parts).to_csv(root / "suite" / "tourism.csv", index=False)

    ds = pd.date_range("1990-01-01", periods=300, freq="MS")
    parts = []
    for k, level in enumerate((100.0, 10000.0, 1000.0, 300.0)):
        y = wave(300, 12, level, level / 10, level / 100)
        if k == 2:
            y[:40] = np.nan  # a later start
        if k == 3:
            y[-30:] = np.nan  # discontinued: dropped
        parts.append(pd.DataFrame({"ds": ds.strftime("%Y-%m-%d"), "unique_id": f"u{k}", "y": y}))
    pd.concat(parts).to_csv(root / "suite" / "us_employment.csv", index=False)

    days = pd.bdate_range("2003-03-03", periods=12)
    stamps = [day + pd.Timedelta(minutes=7 * 60 + 5 * i) for day in days for i in range(169)]
    y = np.maximum(0, np.round(wave(len(stamps), 169, 180, 80, 10)))
    pd.DataFrame({"unique_id": "bank_calls", "ds": stamps, "y": y}).to_csv(
        root / "suite" / "bank_calls.csv", index=False
    )


def _missing_peers():
    return [name for name in PEER_PACKAGES if importlib.util.find_spec(name) is None]


def _check_quick_run(payload, datasets):
    assert payload["quick"] and payload["block"] == "tune" and payload["test_block_runs"] == 0
    assert payload["machine"]["commit"] and payload["versions"]["numpy"]
    for name in datasets:
        models = payload["datasets"][name]["models"]
        assert set(models) == set(suite.MODELS)
        assert models["snaive"]["runs"][0]["relmase"] == pytest.approx(1.0)
        for model, entry in models.items():
            assert entry["runs"], f"{name} {model}: {entry['na']}"
            run = entry["runs"][0]
            assert np.isfinite(run["mase"]) and run["fit_s"] > 0, (name, model)
            # mlforecast's conformal intervals cannot refit with known-ahead
            # inputs: LightGBM has quantiles only on data sets without them.
            with_quantiles = {"ets", "ours"} | (set() if sd.SPECS[name].known else {"lightgbm"})
            if model in with_quantiles:
                assert 0 <= run["coverage"] <= 1 and run["pinball"] > 0, (name, model)
            elif model == "lightgbm":
                assert run["coverage"] is None and run["pinball"] is None, (name, model)
    assert set(payload["geomean"]) == set(suite.MODELS)


@pytest.mark.slow
def test_quick_run_on_synthetic_data_runs_every_model(tmp_path):
    missing = _missing_peers()
    if missing:
        pytest.skip(f"peer packages not installed: {missing} (pip install -e '.[bench]')")
    write_synthetic_data(tmp_path / "data")
    out = tmp_path / "suite_quick.json"
    result = run_benchmark(
        "suite.py", "--quick", "--data-dir", str(tmp_path / "data"), "--out", str(out)
    )
    assert "geomean" in result.stdout and "relMASE" in result.stdout
    payload = json.loads(out.read_text())
    _check_quick_run(payload, list(sd.SPECS))
    # Series mixed up or forecasts shifted by a step would be far off these
    # clean seasonal series of different scales.
    for name in sd.SPECS:
        for model in ("ets", "lightgbm"):
            assert payload["datasets"][name]["models"][model]["runs"][0]["relmase"] < 3, (
                name,
                model,
            )
    assert payload["datasets"]["us_employment"]["n_series"] == 3  # the discontinued one dropped


@pytest.mark.slow
def test_quick_run_on_the_real_data(tmp_path):
    root = sd.data_dir()
    absent = [s.path for s in sd.SPECS.values() if not (root / s.path).is_file()]
    if absent:
        pytest.skip(f"suite data not found under {root}: {absent}; set ${sd.DATA_ENV}")
    missing = _missing_peers()
    if missing:
        pytest.skip(f"peer packages not installed: {missing} (pip install -e '.[bench]')")
    out = tmp_path / "suite_quick.json"
    run_benchmark("suite.py", "--quick", "--data-dir", str(root), "--out", str(out))
    _check_quick_run(json.loads(out.read_text()), list(sd.SPECS))


def test_default_data_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(sd.DATA_ENV, str(tmp_path))
    assert sd.data_dir() == tmp_path
    assert sd.data_dir("elsewhere").name == "elsewhere"


def test_absent_data_sets_are_skipped_with_the_reason(tmp_path, capsys):
    write_synthetic_data(tmp_path / "data")
    (tmp_path / "data" / "EPF" / "EPF_FR_BE.csv").unlink()
    out = tmp_path / "out.json"
    payload = suite.main(
        [
            "--models",
            "snaive",
            "--datasets",
            "epf,tourism",
            "--data-dir",
            str(tmp_path / "data"),
            "--out",
            str(out),
        ]
    )
    assert "EPF_FR_BE.csv not found" in payload["datasets"]["epf"]["skipped"]
    assert "EPF_FR_BE.csv not found" in capsys.readouterr().out
    tourism = payload["datasets"]["tourism"]
    assert tourism["n_series"] == 4 and len(tourism["cutoffs"]) == sd.SPECS["tourism"].n_windows
    assert payload["geomean"]["snaive"]["skipped"] == []
    assert json.loads(out.read_text())["block"] == "tune"
