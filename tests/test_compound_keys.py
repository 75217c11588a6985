"""Series named by several columns (a compound ``series_column``) in every output."""

import numpy as np
import pandas as pd
import pytest

from sktsmixer import TSMixerRegressor

HORIZON = 3
KEY = ["region", "purpose"]


def keyed_panel(n_rows=48, seed=0):
    """Six series keyed by (region, purpose); 'purpose' alone repeats across regions."""
    rng = np.random.default_rng(seed)
    frames = []
    for r, region in enumerate(["north", "south"]):
        for p, purpose in enumerate(["business", "holiday", "visiting"]):
            index = pd.date_range("2024-01-01", periods=n_rows, freq="D", name="day")
            t = np.arange(n_rows)
            y = 10 * (r + 1) + p * np.sin(2 * np.pi * t / 7) + 0.1 * rng.standard_normal(n_rows)
            frames.append(
                pd.DataFrame(
                    {
                        "region": region,
                        "purpose": purpose,
                        "y": y,
                        "x": rng.standard_normal(n_rows),
                    },
                    index=index,
                )
            )
    return pd.concat(frames)


def small(**params):
    defaults = dict(
        input_size=8,
        horizon=HORIZON,
        target_columns=["y"],
        series_column=KEY,
        time_features=None,
        n_blocks=1,
        ff_dim=8,
        epochs=1,
        early_stopping=False,
        random_state=0,
    )
    return TSMixerRegressor(**{**defaults, **params})


@pytest.fixture(scope="module")
def panel():
    return keyed_panel()


@pytest.fixture(scope="module")
def fitted(panel):
    return small().fit(panel)


def test_compound_key_round_trips_into_labels_and_forecast(fitted, panel):
    expected = list(dict.fromkeys(zip(panel["region"], panel["purpose"], strict=True)))
    assert fitted.series_labels_ == expected
    assert all(isinstance(label, tuple) and len(label) == 2 for label in fitted.series_labels_)
    forecast = fitted.forecast(panel)
    assert list(forecast.index.names) == ["region", "purpose", "day"]
    assert list(forecast.index.droplevel("day").unique()) == expected
    last = panel.index.max()
    for label in expected:
        rows = forecast.xs(label, level=["region", "purpose"])
        assert list(rows.index) == list(pd.date_range(last, periods=HORIZON + 1, freq="D")[1:])
    # The key's own values, not a made-up joined label, come back.
    assert set(forecast.index.get_level_values("region")) == {"north", "south"}
    intervals = fitted.forecast(panel, coverage=0.8) if fitted.calibration_ else None
    assert intervals is None or list(intervals.index.names) == ["region", "purpose", "day"]


@pytest.mark.slow
def test_compound_key_trains_as_a_joined_key_would(fitted, panel):
    # The key only names the series: one joined column gives the same model.
    joined = panel.assign(key=panel["region"] + "/" + panel["purpose"]).drop(columns=KEY)
    other = small(series_column="key").fit(joined)
    np.testing.assert_allclose(other.predict(joined), fitted.predict(panel), rtol=1e-5, atol=1e-5)
    by_key = fitted.forecast(panel)["y"].to_numpy()
    np.testing.assert_allclose(other.forecast(joined)["y"].to_numpy(), by_key, rtol=1e-5, atol=1e-5)


@pytest.mark.slow
def test_compound_key_from_index_levels_equals_columns(fitted, panel):
    levels = panel.set_index(KEY, append=True)  # (day, region, purpose)
    np.testing.assert_allclose(fitted.predict(levels), fitted.predict(panel), rtol=1e-6, atol=1e-6)
    forecast = fitted.forecast(levels)
    assert list(forecast.index.names) == ["region", "purpose", "day"]
    pd.testing.assert_frame_equal(forecast, fitted.forecast(panel))
    # A fit on the MultiIndex form learns the same labels.
    assert small().fit(levels).series_labels_ == fitted.series_labels_


@pytest.mark.slow
def test_one_element_list_is_the_name(panel):
    one = panel[panel["region"] == "north"].drop(columns="region")
    as_list = small(series_column=["purpose"]).fit(one)
    as_name = small(series_column="purpose").fit(one)
    assert as_list.series_labels_ == ["business", "holiday", "visiting"]
    pd.testing.assert_frame_equal(as_list.forecast(one), as_name.forecast(one))
    assert list(as_list.forecast(one).index.names) == ["purpose", "day"]


@pytest.mark.slow
def test_compound_key_with_future_frame_and_unseen_series(panel):
    est = small(future_columns=["x"]).fit(panel)
    future = panel.groupby(KEY).tail(HORIZON).copy()
    future.index = future.index + pd.Timedelta(days=HORIZON)
    forecast = est.forecast(panel, future=future)
    assert forecast.shape == (6 * HORIZON, 1) and np.isfinite(forecast["y"]).all()
    missing = future[future["region"] == "north"]
    with pytest.raises(ValueError, match=r"no rows for series \('south', 'business'\)"):
        est.forecast(panel, future=missing)
    # A key never seen in fit is a new series, forecast with its own scale.
    new = panel[panel["region"] == "north"].assign(region="east")
    new_future = future[future["region"] == "north"].assign(region="east")
    out = est.forecast(new, future=new_future)
    assert set(out.index.get_level_values("region")) == {"east"}


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(series_column=["region", "nope"]), r"\['nope'\] are neither columns"),
        (dict(series_column=[]), r"names no column"),
        (dict(series_column=["region", "region"]), r"distinct"),
        (dict(static_columns=["region"]), r"\['region'\] name the series.*static_columns"),
        (dict(future_columns=["purpose"]), r"\['purpose'\] name the series.*future_columns"),
        (dict(target_columns="region"), r"\['region'\] name the series.*target_columns"),
        (dict(series_column=("region", "purpose")), r"series_column"),
    ],
)
def test_bad_compound_keys_are_named(panel, params, match):
    with pytest.raises(ValueError, match=match):
        small(**params).fit(panel)


def test_missing_key_labels_and_bad_index_levels_raise(panel):
    holed = panel.copy()
    holed.iloc[3, holed.columns.get_loc("purpose")] = None
    with pytest.raises(ValueError, match="missing labels"):
        small().fit(holed)
    three = panel.set_index(["region"], append=True).set_index("purpose", append=True)
    with pytest.raises(ValueError, match="exactly one level, the time"):
        small(series_column=["region"]).fit(three.drop(columns=[]))


def test_forecast_display_picks_a_series_by_its_compound_label(fitted, panel):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from sktsmixer.plotting import ForecastDisplay

    display = ForecastDisplay.from_estimator(fitted, panel, series=("south", "holiday"))
    expected = panel.loc[(panel["region"] == "south") & (panel["purpose"] == "holiday"), "y"]
    np.testing.assert_allclose(np.asarray(display.history), expected.to_numpy())
    with pytest.raises(ValueError, match="pass series="):
        ForecastDisplay.from_estimator(fitted, panel)
