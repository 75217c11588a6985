"""The layer, model and core estimator tests again, on JAX and PyTorch, in child processes.

Keras picks its backend once per process, so each backend needs its own.
"""

import os
import re
import subprocess
import sys

import pytest
from conftest import REPO

LAYER_TESTS = ["tests/test_layers.py", "tests/test_model.py", "tests/test_layers_ext.py"]
# Fits on every backend: shapes, forecast index, covariates, quantiles, warm start.
ESTIMATOR_TESTS = [
    "tests/test_estimator.py::test_prediction_shapes_and_column_order",
    "tests/test_estimator.py::test_regression_prediction_shapes",
    "tests/test_estimator.py::test_warm_start_refuses_changed_architecture",
    "tests/test_covariates.py::test_forecast_returns_a_time_indexed_frame",
    "tests/test_intervals.py::test_forecast_with_intervals_and_quantiles",
    "tests/test_xla.py::test_auto_keeps_keras_choice_on_other_backends",
]


def _run_on(backend, tests, **env_vars):
    env = {**os.environ, "KERAS_BACKEND": backend, **env_vars}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not slow", *tests],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    # The closing line counts: a test that skipped in the child (a missing
    # device, a backend that did not load) did not run on this backend.
    summary = result.stdout.strip().splitlines()[-1]
    assert re.search(r"\b[1-9]\d* passed", summary), summary
    assert not re.search(r"\d+ (skipped|xfailed|xpassed|error)", summary), result.stdout[-4000:]
    assert backend in _backend_in_child(env)


@pytest.mark.slow
def test_layer_model_and_estimator_tests_pass_on_jax():
    pytest.importorskip("jax", reason="install jax (pip install -e '.[test]') to test that backend")
    _run_on("jax", LAYER_TESTS + ESTIMATOR_TESTS)


@pytest.mark.slow
def test_layer_model_and_estimator_tests_pass_on_torch():
    pytest.importorskip(
        "torch", reason="install torch (pip install torch==2.13.0 takes the CPU build)"
    )
    # The layers are pure keras.ops, tested one by one on JAX above; on
    # torch they are tested inside the models (and the fits), which keeps
    # the full run short.
    _run_on("torch", ["tests/test_model.py", "tests/test_layers_ext.py"] + ESTIMATOR_TESTS)


@pytest.mark.slow
def test_data_parallel_fit_on_two_virtual_jax_devices():
    pytest.importorskip("jax", reason="install jax (pip install -e '.[test]') to test that backend")
    flags = f"{os.environ.get('XLA_FLAGS', '')} --xla_force_host_platform_device_count=2"
    # Its one test of the other backends is left out, not skipped.
    other = (
        "tests/test_distribution.py::"
        "test_devices_needs_the_jax_backend_and_predicting_falls_back_to_one"
    )
    _run_on("jax", ["tests/test_distribution.py", "--deselect", other], XLA_FLAGS=flags.strip())


def _backend_in_child(env):
    code = "import keras; print(keras.backend.backend())"
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
