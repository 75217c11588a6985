"""The layer and model tests again, on the JAX backend, in a child process.

Keras picks its backend once per process, so the JAX run needs its own.
"""

import os
import subprocess
import sys

import pytest
from conftest import REPO


@pytest.mark.slow
def test_layer_and_model_tests_pass_on_jax():
    pytest.importorskip("jax", reason="install jax (pip install -e '.[test]') to test that backend")
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_layers.py",
            "tests/test_model.py",
            "tests/test_layers_ext.py",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "jax" in _backend_in_child(env)


def _backend_in_child(env):
    code = "import keras; print(keras.backend.backend())"
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
