"""What release 0.2.0 (the flat package layout) made still works the same.

Its pickles load and forecast as they did, its module names import, and a
fixed-seed fit gives the forecasts it gave. The fixtures were written by that
release with the scripts beside them in ``fixtures/``.
"""

import pathlib
import pickle
import sys

import numpy as np
import pytest

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
sys.path.insert(0, str(FIXTURES))

import make_fixed_seed_forecasts  # noqa: E402
from make_legacy_pickles import panel  # noqa: E402

PICKLES = sorted(FIXTURES.glob("legacy_*.pkl"))


def test_the_fixtures_are_there():
    assert {p.name for p in PICKLES} >= {
        "legacy_0.2.0_plain.pkl",
        "legacy_0.2.0_covariates.pkl",
    }


@pytest.mark.skipif(
    int(np.__version__.split(".")[0]) < 2,
    reason="the fixtures were pickled with NumPy 2, whose arrays NumPy 1 cannot unpickle",
)
@pytest.mark.parametrize("path", PICKLES, ids=lambda p: p.stem)
def test_a_legacy_pickle_loads_and_forecasts_the_same(path):
    with open(path, "rb") as f:
        stored = pickle.load(f)
    est, expected = stored["estimator"], stored["expected"]
    frame = panel()
    test = frame.groupby(level="series").head(24 * 13)
    future = frame.groupby(level="series").nth(list(range(24 * 13, 24 * 13 + 6)))
    covariates = "covariates" in path.stem
    X = test if covariates else test[["load"]]
    kwargs = {"future": future} if covariates else {}
    np.testing.assert_allclose(est.predict(X, **kwargs), expected["predict"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        est.forecast(X, **kwargs).to_numpy(), expected["forecast"], rtol=1e-5, atol=1e-5
    )
    # and the loaded estimator trains on
    est.set_params(epochs=1, warm_start=True).fit(X if not covariates else test)
    assert np.isfinite(est.forecast(X, **kwargs).to_numpy()).all()


def test_the_flat_module_names_of_0_2_still_import():
    import importlib

    import sktsmixer
    from sktsmixer._legacy import MOVED

    for old, new in MOVED.items():
        assert importlib.import_module(old) is importlib.import_module(new)
    from sktsmixer.layers_ext import QuantileHead
    from sktsmixer.model import build_tsmixer

    assert QuantileHead is sktsmixer.QuantileHead and build_tsmixer is sktsmixer.build_tsmixer


@pytest.mark.slow
@pytest.mark.parametrize("name", ["covariates", "multivariate"])
def test_a_fixed_seed_fit_gives_the_forecasts_of_0_2(name):
    expected = np.load(FIXTURES / "fixed_seed_forecasts.npz")
    make = {
        "covariates": make_fixed_seed_forecasts.covariate_panel,
        "multivariate": make_fixed_seed_forecasts.multivariate_series,
    }[name]
    est, train, X, future = make()
    est.fit(train)
    # Same code path, same seed: equal up to float rounding (a few ulps of
    # float32 that three epochs of training may grow a little).
    scale = np.nanstd(expected[f"{name}_predict"])
    np.testing.assert_allclose(
        est.predict(X), expected[f"{name}_predict"], rtol=0, atol=1e-4 * scale
    )
    np.testing.assert_allclose(
        np.asarray(est.forecast(X, future=future)),
        expected[f"{name}_forecast"],
        rtol=0,
        atol=1e-4 * scale,
    )
