"""Helpers shared by the benchmark scripts: machine description, output."""

import argparse
import datetime
import json
import logging
import os
import pathlib
import platform
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

RESULTS = pathlib.Path(__file__).resolve().parent / "results"


def make_parser(doc):
    """An argument parser that shows the script's docstring as its help."""
    return argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )


def add_window_args(parser, channels=7):
    """The window shape shared by the speed and profile scripts."""
    parser.add_argument("--input-size", type=int, default=512)
    parser.add_argument("--horizon", type=int, default=96)
    parser.add_argument("--channels", type=int, default=channels)


def synthetic_series(n_rows, channels, seed=0):
    """Daily-cycle sines with noise: a float32 ``(n_rows, channels)`` array."""
    import numpy as np

    rng = np.random.default_rng(seed)
    t = np.arange(n_rows)[:, None]
    return (
        np.sin(2 * np.pi * t / 24 + rng.uniform(0, 6, channels))
        + 0.1 * rng.standard_normal((n_rows, channels))
    ).astype("float32")


def seasonal_series(n_rows=1200, seed=0):
    """Three channels: a daily cycle, a lagged copy of it with a weekly cycle, noise."""
    import numpy as np

    rng = np.random.default_rng(seed)
    t = np.arange(n_rows)
    daily = np.sin(2 * np.pi * t / 24)
    weekly = np.sin(2 * np.pi * t / 168)
    return np.column_stack(
        [
            10 + 3 * daily + 0.2 * rng.standard_normal(n_rows),
            5 + 2 * np.roll(daily, 6) + weekly + 0.2 * rng.standard_normal(n_rows),
            -2 + 0.5 * daily * weekly + 0.1 * rng.standard_normal(n_rows),
        ]
    )


def future_matrix(values, horizon):
    """What ``predict`` forecasts from each row: ``(n - horizon, horizon * k)``.

    Row ``t`` holds ``values[t + 1 : t + 1 + horizon]``, column ``step * k +
    channel``: the estimator's column order for ``y=None``.
    """
    import numpy as np

    windows = np.lib.stride_tricks.sliding_window_view(values[1:], horizon, axis=0)
    return windows.transpose(0, 2, 1).reshape(len(windows), -1)


def cpu_model():
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cpu_flags():
    """The CPU's feature flags (``/proc/cpuinfo``), or an empty list where unknown."""
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("flags", "Features")):
                return line.split(":", 1)[1].split()
    except OSError:
        pass
    return []


def git_commit():
    """The checked-out commit, with ``+dirty`` when tracked files differ from it."""
    import subprocess

    root = pathlib.Path(__file__).resolve().parents[1]
    try:
        run = lambda *a: subprocess.run(  # noqa: E731
            ["git", *a], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        commit = run("rev-parse", "HEAD")
        return commit + ("+dirty" if run("status", "--porcelain", "--untracked-files=no") else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def package_versions(names):
    """Installed versions of ``names`` (None for a package that is not installed)."""
    from importlib import metadata

    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def machine():
    """Where and with what a figure was measured."""
    import keras
    import numpy
    import sklearn

    info = {
        "date": datetime.date.today().isoformat(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "keras": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "numpy": numpy.__version__,
        "scikit-learn": sklearn.__version__,
    }
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        info["tensorflow"] = tf.__version__
    elif backend == "jax":
        import jax

        info["jax"] = jax.__version__
        info["devices"] = [str(d) for d in jax.devices()]
    return info


def print_table(headers, rows):
    widths = [max([len(str(h)), *(len(str(r[i])) for r in rows)]) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(str(c).rjust(w) for c, w in zip(cells, widths, strict=True))  # noqa: E731
    print(line(headers))
    print(line(["-" * w for w in widths]))
    for row in rows:
        print(line(row))


def write_json(name, payload, path=None):
    path = pathlib.Path(path) if path else RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=str))
    print(f"wrote {path}")
    return path


def quiet_lightning():
    """Silence PyTorch Lightning's per-fit warnings and logs (neuralforecast peers)."""
    warnings.filterwarnings("ignore", module="pytorch_lightning")
    warnings.filterwarnings("ignore", module="lightning")
    warnings.filterwarnings("ignore", ".*does not have many workers.*")
    for name in ("pytorch_lightning", "lightning", "lightning.pytorch", "lightning_fabric"):
        logging.getLogger(name).setLevel(logging.ERROR)
