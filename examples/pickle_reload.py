"""
Pickle a fitted forecaster and reload it in a new process
=========================================================

A fitted :class:`~sktsmixer.TSMixerRegressor` is saved with :mod:`pickle`,
loaded in a fresh Python process, and predicts exactly what the original did.
"""

import pathlib
import pickle
import subprocess
import sys
import tempfile

import numpy as np

from sktsmixer import TSMixerRegressor

LOAD_AND_PREDICT = """
import pickle, sys, numpy as np
with open(sys.argv[1], "rb") as f:
    model = pickle.load(f)
np.save(sys.argv[3], model.predict(np.load(sys.argv[2])))
"""


def main():
    t = np.arange(1500)
    X = np.column_stack([np.sin(2 * np.pi * t / 24), np.cos(2 * np.pi * t / 12)])
    X += np.random.default_rng(0).normal(0, 0.05, X.shape)
    model = TSMixerRegressor(input_size=48, horizon=12, epochs=5, random_state=0).fit(X[:1200])

    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        (tmp / "model.pkl").write_bytes(pickle.dumps(model))
        np.save(tmp / "X.npy", X[1200:])
        print(
            f"pickle size: {(tmp / 'model.pkl').stat().st_size / 1024:.0f} KiB "
            f"for {model.model_.count_params():,} weights"
        )
        subprocess.run(
            [
                sys.executable,
                "-c",
                LOAD_AND_PREDICT,
                tmp / "model.pkl",
                tmp / "X.npy",
                tmp / "reloaded.npy",
            ],
            check=True,
        )
        reloaded = np.load(tmp / "reloaded.npy")
    original = model.predict(X[1200:])
    print(f"max |difference| after reload in a new process: {np.abs(reloaded - original).max()}")
    assert np.array_equal(reloaded, original)


if __name__ == "__main__":
    main()
