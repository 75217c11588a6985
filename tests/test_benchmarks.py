"""Each benchmark script runs once in its tiny smoke configuration, so none can rot."""

import json

import pytest
from conftest import run_benchmark

pytestmark = pytest.mark.slow


def run_script(name, *args):
    return run_benchmark(name, "--smoke", *args).stdout


def test_speed_smoke(tmp_path):
    out = run_script("speed.py", "--json", str(tmp_path / "speed.json"))
    report = json.loads((tmp_path / "speed.json").read_text())
    tasks = [row["task"] for row in report["results"]]
    assert tasks == ["train batch 16", "predict batch 32"]
    for row in report["results"]:
        assert row["sktsmixer"]["windows_per_s"] > 0 and row["flops_per_window"] > 0
        if "neuralforecast" in row:
            assert row["ratio"] == pytest.approx(
                row["sktsmixer"]["windows_per_s"] / row["neuralforecast"]["windows_per_s"]
            )
    assert "train batch 16" in out and report["machine"]["cores"] >= 1


def test_memory_smoke(tmp_path):
    run_script("memory.py", "--json", str(tmp_path / "memory.json"))
    report = json.loads((tmp_path / "memory.json").read_text())
    baseline, fit, predict = report["results"]
    assert fit["task"].startswith("fit") and predict["task"].startswith("predict")
    # Each figure is a real peak: at least the imports and data of the baseline.
    assert fit["peak_rss"] >= 0.9 * baseline["peak_rss"] > 50 * 2**20


def test_accuracy_smoke(tmp_path, etth1_path):
    out = run_script(
        "accuracy.py", "--data", str(etth1_path), "--seed", "0", "1",
        "--json", str(tmp_path / "acc.json"),
    )  # fmt: skip
    report = json.loads((tmp_path / "acc.json").read_text())
    (row,) = report["results"]
    # One epoch of a tiny model: finite, and far better than forecasting zeros
    # (the train mean), whose MSE on the scaled test rows is about 1.
    assert 0 < row["test_mse"] < 0.8 and 0 < row["test_mae"] < 0.8
    assert row["chosen"] == report["config"]["grid"][0]
    assert "test MSE" in out and row["peer"] is None
    # Each seed is its own fit, and the figures are their mean and spread.
    (trial,) = row["trials"]
    runs = trial["runs"]
    assert [run["seed"] for run in runs] == [0, 1]
    assert runs[0]["test_mse"] != runs[1]["test_mse"]
    test_mse = [run["test_mse"] for run in runs]
    assert row["test_mse"] == pytest.approx(sum(test_mse) / 2)
    assert row["test_mse_std"] == pytest.approx(abs(test_mse[0] - test_mse[1]) / 2)
    assert trial["validation_mse"] == pytest.approx(sum(r["validation_mse"] for r in runs) / 2)


def test_accuracy_peer_smoke(tmp_path, etth1_path):
    pytest.importorskip("neuralforecast", reason="the peer needs pip install 'sktsmixer[bench]'")
    out = run_script(
        "accuracy.py",
        "--data",
        str(etth1_path),
        "--peer-only",
        "--json",
        str(tmp_path / "acc.json"),
    )
    (row,) = json.loads((tmp_path / "acc.json").read_text())["results"]
    peer = row["peer"]
    # 20 steps: finite, better than forecasting zeros, and fitted with a hold-out.
    assert 0 < peer["test_mse"] < 1.0 and peer["fit_seconds"] > 0
    assert peer["validation_mse"] is not None and 0 < peer["steps"] <= 20
    # It forecasts with its best check's weights: the lowest validation loss seen.
    assert 0 < peer["best_step"] <= peer["steps"]
    assert peer["validation_mse"] == pytest.approx(peer["validation_mse_by_step_1000"], rel=1e-6)
    assert "neuralforecast TSMixer" in out and "test_mse" not in row  # the peer alone


def test_convergence_smoke(tmp_path):
    out = run_script("convergence.py", "--glorot-projection", "--json", str(tmp_path / "c.json"))
    variants = json.loads((tmp_path / "c.json").read_text())["results"]
    assert [v["projection"] for v in variants] == ["zeros", "glorot"]
    # The two variants really are different models: same seed, different fits.
    assert variants[0]["ratios"] != variants[1]["ratios"]
    assert all(r > 0 for v in variants for r in v["ratios"]) and "seasonal-naive" in out


def test_profile_smoke():
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the profile reads TensorFlow traces")
    out = run_script("profile_training.py")
    shares = [
        float(line.split("%")[0]) for line in out.splitlines() if line.strip().endswith("MatMul")
    ]
    assert shares and 0 < max(shares) <= 100
