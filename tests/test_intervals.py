"""Prediction intervals: pinball loss, split-conformal and adaptive calibration, quantile
forecasts, coverage (also when the noise drifts away from the hold-out's).

The fast tests check the contract on tiny models (a couple of epochs); the
``slow`` ones fit small models for real on a series whose noise is known
(a daily sine plus iid N(0, SIGMA) noise) and check that the intervals
cover what they promise on a later test block.
"""

import pickle

import keras
import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from sktsmixer import TSMixerRegressor
from sktsmixer.uncertainty.calibration import SplitConformal, adaptive_margins, conformal_quantile
from sktsmixer.uncertainty.losses import masked_loss, pinball_loss

SIGMA = 0.5
HORIZON = 6
N_ROWS, N_TRAIN = 4000, 3000
QUANTILES = (0.05, 0.1, 0.9, 0.95)


def small(**params):
    defaults = dict(
        input_size=48,
        horizon=HORIZON,
        n_blocks=1,
        ff_dim=16,
        dropout=0.0,
        epochs=30,
        patience=5,
        learning_rate=3e-3,
        batch_size=64,
        random_state=0,
    )
    return TSMixerRegressor(**{**defaults, **params})


def noisy_series(n_rows=N_ROWS, seed=0):
    """A daily cycle (amplitude 3) plus iid Gaussian noise of standard deviation SIGMA."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_rows)
    values = 3 * np.sin(2 * np.pi * t / 24) + SIGMA * rng.standard_normal(n_rows)
    index = pd.date_range("2024-01-01", periods=n_rows, freq="h", name="time")
    return pd.DataFrame({"load": values}, index=index)


def future_truth(values, horizon=HORIZON):
    """(n - horizon, horizon): the next ``horizon`` values after every row."""
    return np.lib.stride_tricks.sliding_window_view(np.asarray(values)[1:], horizon)


def to_numpy(tensor):
    return np.asarray(keras.ops.convert_to_numpy(tensor), dtype=np.float64)


@pytest.fixture(scope="session")
def noisy():
    return noisy_series()


@pytest.fixture(scope="session")
def tiny_quantile(noisy):
    """A barely trained quantile model: enough for shapes, order and persistence."""
    return small(loss="quantile", quantiles=QUANTILES, epochs=2).fit(noisy.iloc[:500])


@pytest.fixture(scope="session")
def tiny_point(noisy):
    """A barely trained point model with a 25% hold-out."""
    return small(epochs=2, validation_fraction=0.25).fit(noisy.iloc[:800])


@pytest.fixture(scope="session")
def tiny_without_holdout(noisy):
    return small(epochs=1, early_stopping=False).fit(noisy.iloc[:300])


@pytest.fixture(scope="session")
def point_model(noisy):
    """Squared error, calibrated by absolute residuals on a 25% hold-out."""
    return small(validation_fraction=0.25).fit(noisy.iloc[:N_TRAIN])


@pytest.fixture(scope="session")
def quantile_model(noisy):
    """Pinball loss on QUANTILES (+ the median), conformalised (CQR) on a 25% hold-out."""
    return small(loss="quantile", quantiles=QUANTILES, validation_fraction=0.25).fit(
        noisy.iloc[:N_TRAIN]
    )


# ------------------------------------------------------------------ losses


def pinball_reference(y_true, y_pred, quantiles):
    error = y_true[..., None] - y_pred
    q = np.asarray(quantiles)
    return np.mean(np.maximum(q * error, (q - 1) * error), axis=-1)


@pytest.mark.parametrize(
    "quantiles",
    [
        (0.5,),
        (0.1, 0.5, 0.9),
        (0.05, 0.25, 0.5, 0.75, 0.95),
        tuple(np.sort(np.random.default_rng(3).uniform(0.01, 0.99, 7))),
    ],
)
def test_pinball_loss_matches_numpy(quantiles):
    rng = np.random.default_rng(len(quantiles))
    y_true = rng.normal(size=(4, 5, 3))
    y_pred = rng.normal(size=(4, 5, 3, len(quantiles)))
    expected = pinball_reference(y_true, y_pred, quantiles)
    got = to_numpy(pinball_loss(y_true.astype("float32"), y_pred.astype("float32"), quantiles))
    assert got.shape == y_true.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_pinball_loss_of_the_median_is_half_the_absolute_error():
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.normal(size=20), rng.normal(size=(20, 1))
    got = to_numpy(pinball_loss(y_true.astype("float32"), y_pred.astype("float32"), [0.5]))
    np.testing.assert_allclose(got, 0.5 * np.abs(y_true - y_pred[:, 0]), rtol=1e-5)


@pytest.mark.parametrize("loss", ["squared_error", "absolute_error", "quantile"])
def test_masked_loss_ignores_masked_entries(loss):
    rng = np.random.default_rng(1)
    quantiles = (0.1, 0.5, 0.9) if loss == "quantile" else None
    y_true = rng.normal(size=(6, 4, 2))
    y_pred = rng.normal(size=(6, 4, 2) + ((3,) if quantiles else ()))
    mask = (rng.uniform(size=y_true.shape) < 0.6).astype("float32")
    if loss == "quantile":
        per_entry = pinball_reference(y_true, y_pred, quantiles)
    elif loss == "absolute_error":
        per_entry = np.abs(y_pred - y_true)
    else:
        per_entry = (y_pred - y_true) ** 2
    expected = per_entry[mask == 1].mean()

    def loss_of(truth, m):
        value = masked_loss(truth.astype("float32"), y_pred.astype("float32"), m, loss, quantiles)
        return float(to_numpy(value))

    assert loss_of(y_true, mask) == pytest.approx(expected, rel=1e-5)
    # Whatever sits in the masked entries does not matter.
    wild = np.where(mask == 1, y_true, 1e6)
    assert loss_of(wild, mask) == pytest.approx(expected, rel=1e-5)
    # No mask: the plain mean; an all-zero mask: zero, not NaN.
    assert loss_of(y_true, None) == pytest.approx(per_entry.mean(), rel=1e-5)
    assert loss_of(y_true, np.zeros_like(mask)) == 0.0


# ------------------------------------------------------------- calibration


def test_conformal_quantile_by_hand():
    scores = np.array([3.0, 1.0, 2.0, 5.0, 4.0])
    # rank ceil((n + 1) * coverage) of the sorted scores, 1-based
    assert conformal_quantile(scores, 0.5) == 3.0  # ceil(3.0) = 3
    assert conformal_quantile(scores, 0.6) == 4.0  # ceil(3.6) = 4
    assert conformal_quantile(scores, 0.8) == 5.0  # ceil(4.8) = 5
    assert conformal_quantile(np.arange(1.0, 10.0), 0.8) == 8.0  # ceil(8.0) = 8


def test_conformal_quantile_is_inf_with_too_few_scores():
    assert conformal_quantile(np.array([3.0, 1.0, 2.0, 5.0, 4.0]), 0.9) == np.inf  # rank 6 > 5
    assert conformal_quantile(np.array([1.0, 2.0, 3.0]), 0.8) == np.inf  # rank 4 > 3


def test_conformal_quantile_per_column_ignores_nan():
    scores = np.array(
        [
            [1.0, 4.0, np.nan],
            [2.0, np.nan, np.nan],
            [3.0, 1.0, np.nan],
            [4.0, 3.0, np.nan],
            [np.nan, 2.0, np.nan],
        ]
    )
    # Column 0: [1, 2, 3, 4], n=4; column 1: [1, 2, 3, 4] reordered; column 2: empty.
    np.testing.assert_array_equal(conformal_quantile(scores, 0.5), [3.0, 3.0, np.inf])
    np.testing.assert_array_equal(conformal_quantile(scores, 0.7), [4.0, 4.0, np.inf])
    np.testing.assert_array_equal(conformal_quantile(scores, 0.9), [np.inf, np.inf, np.inf])


def test_split_conformal_intervals_by_hand():
    # Nine calibration windows, one step, one target.
    truth = np.arange(9.0).reshape(9, 1, 1)
    point = truth + np.array([0.5, -1.0, 2.0, -0.2, 0.1, 3.0, -0.4, 0.3, -2.5]).reshape(9, 1, 1)
    absolute = SplitConformal(truth, point)
    # |residuals| sorted: .1 .2 .3 .4 .5 1 2 2.5 3; coverage 0.8 -> rank 8 -> 2.5
    lower, upper = absolute.interval(np.array([[[10.0]]]), None, 0.8)
    assert (lower.item(), upper.item()) == pytest.approx((7.5, 12.5))
    # CQR: scores max(q_lo - y, y - q_hi) with a band [point - 1, point + 1].
    band = np.stack([point - 1.0, point, point + 1.0], axis=-1)
    cqr = SplitConformal(truth, point, band, [0.1, 0.5, 0.9])
    # scores = |residual| - 1: -.9 -.8 -.7 -.6 -.5 0 1 1.5 2; rank 8 -> 1.5
    new = np.array([[[9.0, 10.0, 11.0]]])
    lower, upper = cqr.interval(new[..., 1], new, 0.8)
    assert (lower.item(), upper.item()) == pytest.approx((7.5, 12.5))
    # rank ceil(10 * 0.5) = 5 -> -0.5: a negative margin narrows the band.
    lower, upper = cqr.interval(new[..., 1], new, 0.5)
    assert (lower.item(), upper.item()) == pytest.approx((9.5, 10.5))
    # An asymmetric band narrowed past the point is widened back to hold it.
    lower, upper = cqr.interval(new[..., 1], np.array([[[9.99, 10.0, 11.0]]]), 0.5)
    assert (lower.item(), upper.item()) == pytest.approx((10.0, 10.5))
    with pytest.raises(ValueError, match="calibration windows"):
        cqr.interval(new[..., 1], new, 0.95)  # needs 19 windows


# --------------------------------------------------- quantile forecasts


def test_learned_levels_include_the_median(tiny_quantile):
    np.testing.assert_allclose(tiny_quantile.quantiles_, [0.05, 0.1, 0.5, 0.9, 0.95])


def test_predict_quantiles_shape_order_and_median(tiny_quantile, noisy):
    X = noisy.iloc[500:700]
    point = tiny_quantile.predict(X)
    quantiles = tiny_quantile.predict_quantiles(X)
    assert point.shape == (200, HORIZON)
    assert quantiles.shape == point.shape + (5,)
    assert np.isfinite(quantiles).all()
    # No crossing, on every row and step.
    assert (np.diff(quantiles, axis=-1) >= 0).all()
    # Learned, uncalibrated: the median is the point forecast.
    learned = tiny_quantile.predict_quantiles(X, calibrated=False)
    np.testing.assert_allclose(point, learned[..., 2], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(
        tiny_quantile.predict_quantiles(X, [0.5], calibrated=False)[..., 0], point, atol=1e-6
    )
    subset = tiny_quantile.predict_quantiles(X, quantiles=[0.1, 0.9])
    np.testing.assert_allclose(subset, quantiles[..., [1, 3]], atol=1e-6)
    # Calibrated: the learned levels moved by hold-out error quantiles, then sorted.
    assert np.isfinite(quantiles - learned).all()
    assert not np.allclose(quantiles, learned)


def test_point_model_quantiles_are_hold_out_error_quantiles(tiny_point, noisy):
    X = noisy.iloc[500:700]
    point = tiny_point.predict(X)
    quantiles = tiny_point.predict_quantiles(X, quantiles=[0.9, 0.1, 0.5])
    assert quantiles.shape == point.shape + (3,)
    assert (np.diff(quantiles, axis=-1) >= 0).all()
    # Levels are sorted; each is the point forecast plus a per-step shift
    # read off the hold-out's errors.
    calibration = tiny_point.calibration_
    errors = (calibration.y_true - calibration.y_point)[..., 0]
    scale = tiny_point.series_scale_[0, 0]
    for i, tau in enumerate((0.1, 0.5, 0.9)):
        shift = (quantiles[..., i] - point)[0] / scale
        below = (errors <= shift[None, :] + 1e-6).mean(axis=0)
        assert (np.abs(below - tau) <= 1.5 / len(errors) + 0.02).all(), (tau, below)
    with pytest.raises(ValueError, match="calibrated=False"):
        tiny_point.predict_quantiles(X, calibrated=False)
    with pytest.raises(ValueError, match=r"levels in \(0, 1\)"):
        tiny_point.predict_quantiles(X, quantiles=[0.5, 1.0])


def test_predict_quantiles_refuses_unlearned_levels(tiny_quantile, noisy):
    with pytest.raises(ValueError, match=r"Quantile 0\.25 was not learned"):
        tiny_quantile.predict_quantiles(noisy.iloc[:100], quantiles=[0.1, 0.25])


def test_calibrated_quantiles_need_the_hold_out(tiny_without_holdout, noisy):
    with pytest.raises(ValueError, match="early_stopping=True"):
        tiny_without_holdout.predict_quantiles(noisy.iloc[:100])
    with pytest.raises(ValueError, match="early_stopping=True"):
        tiny_without_holdout.forecast(noisy.iloc[:100], quantiles=[0.1])
    with pytest.raises(ValueError, match="loss='quantile'"):
        tiny_without_holdout.predict_quantiles(noisy.iloc[:100], calibrated=False)


@pytest.mark.parametrize("quantiles", [(0.0, 0.5), (0.1, 1.0), (-0.2,), ()])
def test_bad_quantiles_raise(quantiles, noisy):
    with pytest.raises(ValueError, match="quantiles"):
        small(loss="quantile", quantiles=quantiles, epochs=1).fit(noisy.iloc[:200])


def test_predict_interval_needs_the_early_stopping_holdout(tiny_without_holdout, noisy):
    with pytest.raises(ValueError, match="early_stopping"):
        tiny_without_holdout.predict_interval(noisy.iloc[:100], coverage=0.8)
    with pytest.raises(ValueError, match="early_stopping"):
        tiny_without_holdout.forecast(noisy.iloc[:100], coverage=0.8)


@pytest.mark.parametrize("coverage", [0.0, 1.0, 1.5, True, "0.9"])
def test_predict_interval_rejects_bad_coverage(tiny_quantile, noisy, coverage):
    with pytest.raises(ValueError, match="coverage"):
        tiny_quantile.predict_interval(noisy.iloc[:100], coverage=coverage)


def test_predict_interval_shape_and_order(tiny_quantile, noisy):
    X = noisy.iloc[500:700]
    intervals = tiny_quantile.predict_interval(X, coverage=0.8)
    assert intervals.shape == (200, HORIZON, 2)
    assert np.isfinite(intervals).all()
    assert (intervals[..., 0] <= intervals[..., 1]).all()
    wider = tiny_quantile.predict_interval(X, coverage=0.9)
    assert (wider[..., 1] - wider[..., 0]).mean() >= (intervals[..., 1] - intervals[..., 0]).mean()


def test_forecast_with_intervals_and_quantiles(tiny_quantile, noisy):
    history = noisy.iloc[:600]
    forecast = tiny_quantile.forecast(history, coverage=0.8, quantiles=[0.1, 0.9])
    assert list(forecast.columns) == ["load", "load_lower", "load_upper", "load_q0.1", "load_q0.9"]
    expected = pd.date_range(history.index[-1], periods=HORIZON + 1, freq="h")[1:]
    pd.testing.assert_index_equal(forecast.index, expected, check_names=False)
    assert np.isfinite(forecast.to_numpy()).all()
    assert (forecast["load_lower"] <= forecast["load"]).all()
    assert (forecast["load"] <= forecast["load_upper"]).all()
    assert (forecast["load_q0.1"] <= forecast["load"]).all()
    assert (forecast["load"] <= forecast["load_q0.9"]).all()
    # The last row of predict_* is the same forecast, to float32 round-off:
    # forecast runs a batch of one, predict a batch of 200, and the kernels
    # sum in a different order for different batch sizes.
    np.testing.assert_allclose(
        forecast[["load_lower", "load_upper"]].to_numpy(),
        tiny_quantile.predict_interval(history, coverage=0.8)[-1],
        rtol=1e-5,
    )
    np.testing.assert_allclose(
        forecast[["load_q0.1", "load_q0.9"]].to_numpy(),
        tiny_quantile.predict_quantiles(history, [0.1, 0.9])[-1],
        rtol=1e-5,
    )


def test_pickle_keeps_the_calibration(tiny_quantile, noisy):
    X = noisy.iloc[500:600]
    restored = pickle.loads(pickle.dumps(tiny_quantile))
    assert restored.calibration_.n_calibration_ == tiny_quantile.calibration_.n_calibration_
    for coverage in (0.8, 0.9):
        np.testing.assert_array_equal(
            restored.predict_interval(X, coverage=coverage),
            tiny_quantile.predict_interval(X, coverage=coverage),
        )
    np.testing.assert_array_equal(restored.predict_quantiles(X), tiny_quantile.predict_quantiles(X))


# ------------------------------------------------------------- coverage


@pytest.mark.slow
@pytest.mark.parametrize("model", ["point_model", "quantile_model"])
@pytest.mark.parametrize("coverage", [0.8, 0.9])
def test_interval_coverage_on_known_noise(request, noisy, model, coverage):
    est = request.getfixturevalue(model)
    test = noisy.iloc[N_TRAIN:]
    truth = future_truth(test["load"])
    n = len(truth)
    intervals = est.predict_interval(test, coverage=coverage)[:n]
    lower, upper = intervals[..., 0], intervals[..., 1]
    covered = (truth >= lower) & (truth <= upper)
    assert abs(covered.mean() - coverage) <= 0.04, covered.mean()
    # Every horizon step on its own is not far off either.
    assert (np.abs(covered.mean(axis=0) - coverage) <= 0.06).all(), covered.mean(axis=0)
    # The oracle interval is the noise's: 2 z sigma wide.
    oracle = 2 * norm.ppf(0.5 + coverage / 2) * SIGMA
    width = (upper - lower).mean()
    assert oracle / 1.6 <= width <= 1.6 * oracle, (width, oracle)
    point = est.predict(test)[:n]
    assert ((lower <= point) & (point <= upper)).all()
    if model == "point_model":
        # Absolute residuals: symmetric around the point forecast.
        np.testing.assert_allclose((lower + upper) / 2, point, atol=1e-4)


@pytest.mark.slow
def test_learned_quantiles_are_roughly_calibrated(quantile_model, noisy):
    test = noisy.iloc[N_TRAIN:]
    truth = future_truth(test["load"])
    for calibrated in (False, True):
        quantiles = quantile_model.predict_quantiles(test, calibrated=calibrated)[: len(truth)]
        assert (np.diff(quantiles, axis=-1) >= 0).all()
        below = (truth[..., None] <= quantiles).mean(axis=(0, 1))
        np.testing.assert_allclose(below, quantile_model.quantiles_, atol=0.05)


@pytest.mark.slow
def test_point_model_quantiles_cover_their_levels(point_model, noisy):
    test = noisy.iloc[N_TRAIN:]
    truth = future_truth(test["load"])
    levels = (0.1, 0.5, 0.9)
    quantiles = point_model.predict_quantiles(test, quantiles=levels)[: len(truth)]
    below = (truth[..., None] <= quantiles).mean(axis=(0, 1))
    np.testing.assert_allclose(below, levels, atol=0.04)
    inside = ((truth >= quantiles[..., 0]) & (truth <= quantiles[..., 2])).mean()
    assert abs(inside - 0.8) <= 0.04, inside


# ------------------------------------------------------- model selection


@pytest.mark.slow
def test_loss_and_quantiles_are_searchable(noisy):
    from sklearn.model_selection import GridSearchCV, TimeSeriesSplit

    grid = [
        {"loss": ["squared_error", "absolute_error"]},
        {"loss": ["quantile"], "quantiles": [(0.25, 0.75)]},
    ]
    search = GridSearchCV(
        small(input_size=24, epochs=2, early_stopping=False),
        grid,
        cv=TimeSeriesSplit(2),
        error_score="raise",
    )
    search.fit(noisy.iloc[:900])
    results = search.cv_results_
    assert [p["loss"] for p in results["params"]] == [
        "squared_error",
        "absolute_error",
        "quantile",
    ]
    assert results["params"][2]["quantiles"] == (0.25, 0.75)
    assert np.isfinite(results["mean_test_score"]).all()
    best = search.best_estimator_
    assert best.loss == search.best_params_["loss"]
    assert best.predict(noisy.iloc[900:1000]).shape == (100, HORIZON)
    if best.loss == "quantile":
        expected = np.unique(np.r_[search.best_params_["quantiles"], 0.5])
        np.testing.assert_allclose(best.quantiles_, expected)


# ------------------------------------------------------------------ MAPIE


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_mapie_split_conformal_on_regression_mode(noisy):
    mapie = pytest.importorskip("mapie", minversion="1.0")
    from mapie.regression import SplitConformalRegressor

    lead = 3
    X = noisy.iloc[:3000]
    y = X["load"].shift(-lead).to_numpy()
    X, y = X.iloc[:-lead], y[:-lead]  # the unknown tail dropped; rows stay in time order
    fit_end, conformalize_end = 1500, 2200
    est = small(input_size=24, epochs=20).fit(X.iloc[:fit_end], y[:fit_end])
    levels = [0.8, 0.9]
    wrapper = SplitConformalRegressor(est, confidence_level=levels, prefit=True)
    wrapper.conformalize(X.iloc[fit_end:conformalize_end], y[fit_end:conformalize_end])
    points, intervals = wrapper.predict_interval(X.iloc[conformalize_end:])
    n_test = len(X) - conformalize_end
    assert points.shape == (n_test,)
    assert intervals.shape == (n_test, 2, len(levels))
    truth = y[conformalize_end:]
    for j, level in enumerate(levels):
        lower, upper = intervals[:, 0, j], intervals[:, 1, j]
        assert (lower <= points).all() and (points <= upper).all()
        covered = ((truth >= lower) & (truth <= upper)).mean()
        assert covered > level - 0.1, (mapie.__version__, level, covered)


# ------------------------------------------- adaptive conformal (adapt_rate)


def reference_margins(calibration, scores, series, times, coverage, rate):
    """Adaptive conformal inference one forecast, one step, one target at a time."""
    n, n_steps, n_targets = scores.shape
    alpha = 1 - coverage
    margins = np.empty_like(scores)
    for s in np.unique(series):
        rows = np.flatnonzero(series == s)
        rows = rows[np.argsort(times[rows])]
        for h in range(n_steps):
            for k in range(n_targets):
                history = []  # (time its truth is known, alpha - miss)
                cal = calibration[:, h, k]
                cal = np.sort(cal[~np.isnan(cal)])
                for i in rows:
                    level = alpha + rate * sum(d for when, d in history if when <= times[i])
                    rank = int(np.ceil((len(cal) + 1) * (1 - level)))
                    # Capped at the largest calibration score (ACI proper: unbounded).
                    margin = cal[min(max(rank, 1), len(cal)) - 1]
                    margins[i, h, k] = margin
                    if not np.isnan(scores[i, h, k]):
                        history.append((times[i] + h + 1, alpha - (scores[i, h, k] > margin)))
    return margins


def test_adaptive_margins_match_a_plain_loop():
    rng = np.random.default_rng(0)
    n_cal, n, n_steps, n_targets = 40, 60, 3, 2
    calibration = rng.exponential(size=(n_cal, n_steps, n_targets))
    calibration[rng.random(calibration.shape) < 0.1] = np.nan
    # Three series in shuffled rows, with gaps in time; the scores are twice
    # as large as the calibration's, so the levels move.
    series = rng.integers(0, 3, size=n)
    times = np.empty(n, dtype=int)
    for s in range(3):
        rows = np.flatnonzero(series == s)
        times[rows] = np.sort(rng.choice(100, size=len(rows), replace=False))
    scores = 2 * rng.exponential(size=(n, n_steps, n_targets))
    scores[rng.random(scores.shape) < 0.1] = np.nan
    for coverage, rate in [(0.8, 0.05), (0.5, 0.2), (0.95, 0.3)]:
        got = adaptive_margins(calibration, scores, series, times, coverage, rate)
        want = reference_margins(calibration, scores, series, times, coverage, rate)
        np.testing.assert_array_equal(got, want)
        assert np.isfinite(got).all()
    # With no revealed truth, the margins are split-conformal's.
    unknown = np.full_like(scores, np.nan)
    got = adaptive_margins(calibration, unknown, series, times, 0.8, 0.05)
    np.testing.assert_array_equal(
        got, np.broadcast_to(conformal_quantile(calibration, 0.8), got.shape)
    )


def test_adaptive_intervals_read_no_future(tiny_quantile, noisy):
    X = noisy.iloc[500:700]
    changed = X.copy()
    changed.iloc[150:] *= 10.0  # rows 150.. of X: a shock the earlier intervals cannot know
    before = tiny_quantile.predict_interval(X, coverage=0.8, adapt_rate=0.05)
    after = tiny_quantile.predict_interval(changed, coverage=0.8, adapt_rate=0.05)
    np.testing.assert_array_equal(after[:150], before[:150])
    assert not np.allclose(after[150:], before[150:])
    # The shock is missed, so later margins grow beyond the fixed ones.
    fixed = tiny_quantile.predict_interval(changed, coverage=0.8)
    width = lambda band: (band[..., 1] - band[..., 0])[-20:].mean()  # noqa: E731
    assert width(after) > width(fixed)


def test_forecast_adapted_interval_is_the_last_row_of_predict_interval(tiny_quantile, noisy):
    X = noisy.iloc[500:700]
    frame = tiny_quantile.forecast(X, coverage=0.8, adapt_rate=0.05)
    band = tiny_quantile.predict_interval(X, coverage=0.8, adapt_rate=0.05)[-1]
    np.testing.assert_allclose(frame["load_lower"], band[:, 0], rtol=1e-5)
    np.testing.assert_allclose(frame["load_upper"], band[:, 1], rtol=1e-5)
    plain = tiny_quantile.forecast(X, coverage=0.8)
    np.testing.assert_allclose(frame["load"], plain["load"], rtol=1e-5)
    assert frame.index.equals(plain.index)


@pytest.mark.parametrize("rate", [0, 1, -0.1, 1.5, True, "fast"])
def test_adapt_rate_must_be_in_the_open_unit_interval(tiny_quantile, noisy, rate):
    with pytest.raises(ValueError, match="adapt_rate must be None or a float in"):
        tiny_quantile.predict_interval(noisy.iloc[:100], coverage=0.8, adapt_rate=rate)


def test_adapt_rate_needs_coverage_in_forecast(tiny_quantile, noisy):
    with pytest.raises(ValueError, match="pass coverage= with it"):
        tiny_quantile.forecast(noisy.iloc[:100], adapt_rate=0.05)


def test_adapt_rate_needs_the_truth_in_X(noisy):
    X = noisy.iloc[:400]
    est = small(input_size=24, epochs=1).fit(X, X["load"].shift(-1).fillna(0.0))
    with pytest.raises(ValueError, match="fitted with y, so X holds no truth"):
        est.predict_interval(X, coverage=0.8, adapt_rate=0.05)


@pytest.mark.slow
@pytest.mark.parametrize("model", ["point_model", "quantile_model"])
def test_adaptive_coverage_holds_when_the_noise_grows(request, noisy, model):
    est = request.getfixturevalue(model)
    # The test block's noise has twice the standard deviation of the hold-out's.
    rng = np.random.default_rng(1)
    test = noisy.iloc[N_TRAIN:].copy()
    test["load"] += np.sqrt(3) * 0.5 * rng.standard_normal(len(test))
    truth = future_truth(test["load"])
    n = len(truth)
    coverage = 0.8

    def covered(**kwargs):
        band = est.predict_interval(test, coverage=coverage, **kwargs)[:n]
        return ((truth >= band[..., 0]) & (truth <= band[..., 1])).mean()

    fixed, adapted = covered(), covered(adapt_rate=0.02)
    assert fixed < coverage - 0.15, fixed  # the hold-out's margins are too narrow now
    assert abs(adapted - coverage) <= 0.04, adapted
    assert HORIZON == truth.shape[1]
