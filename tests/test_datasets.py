"""sktsmixer.datasets: the synthetic panel is reproducible, well formed, its covariate informs."""

import numpy as np
import pandas as pd
import pytest

from sktsmixer.datasets import make_panel


def test_shape_columns_dtypes_and_index():
    panel = make_panel(n_series=4, n_steps=100, random_state=0)
    assert panel.shape == (400, 4)
    assert list(panel.columns) == ["series", "load", "temperature", "population"]
    assert pd.api.types.is_string_dtype(panel["series"])
    for column in ("load", "temperature", "population"):
        assert panel[column].dtype == np.float64
    assert isinstance(panel.index, pd.DatetimeIndex) and panel.index.name == "time"
    assert not panel.isna().any().any()
    for _, rows in panel.groupby("series"):
        assert len(rows) == 100
        assert rows.index.is_monotonic_increasing and rows.index.is_unique
        assert (rows.index.to_series().diff().dropna() == pd.Timedelta("1h")).all()
        assert rows["population"].nunique() == 1
    assert panel["series"].nunique() == 4


def test_without_covariates_and_other_frequency():
    panel = make_panel(n_series=2, n_steps=30, freq="D", covariates=False, random_state=1)
    assert list(panel.columns) == ["series", "load"]
    assert panel.index[1] - panel.index[0] == pd.Timedelta("1D")
    assert (panel["load"] > 0).all()


def test_deterministic_with_random_state_and_random_without():
    first = make_panel(n_series=2, n_steps=200, random_state=3)
    pd.testing.assert_frame_equal(first, make_panel(n_series=2, n_steps=200, random_state=3))
    assert not first["load"].equals(make_panel(n_series=2, n_steps=200, random_state=4)["load"])
    assert not make_panel(n_steps=50)["load"].equals(make_panel(n_steps=50)["load"])


def test_static_sets_the_level():
    panel = make_panel(n_series=6, n_steps=24 * 14, random_state=0)
    means = panel.groupby("series")[["load", "population"]].mean()
    assert np.corrcoef(means["load"], means["population"])[0, 1] > 0.95
    assert means["population"].nunique() == 6


def test_temperature_informs_beyond_the_calendar():
    # What the calendar explains (the mean of each hour of the week) removed,
    # the load still follows the temperature: a known-ahead covariate worth feeding.
    panel = make_panel(n_series=3, n_steps=24 * 7 * 8, random_state=0)
    for _, rows in panel.groupby("series"):
        hour_of_week = rows.index.day_of_week * 24 + rows.index.hour
        load = rows["load"] - rows["load"].groupby(hour_of_week).transform("mean")
        temp = rows["temperature"] - rows["temperature"].groupby(hour_of_week).transform("mean")
        assert abs(np.corrcoef(load, temp)[0, 1]) > 0.5


def test_daily_and_weekly_cycles():
    panel = make_panel(n_series=1, n_steps=24 * 7 * 8, noise=0.0, random_state=0)
    load = panel["load"]
    by_hour = load.groupby(panel.index.hour).mean()
    assert by_hour.max() / by_hour.min() > 1.2
    weekend = panel.index.day_of_week >= 5
    assert load[weekend].mean() < load[~weekend].mean()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_series": 0}, "n_series must be an integer >= 1"),
        ({"n_steps": 1.5}, "n_steps must be an integer >= 2"),
        ({"n_steps": True}, "n_steps must be an integer"),
        ({"noise": -0.1}, "noise must be a non-negative number"),
        ({"freq": "every hour"}, "pass a pandas frequency"),
    ],
)
def test_bad_arguments_say_what_to_pass(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_panel(**kwargs)
