"""PanelTimeSeriesSplit: time-ordered folds over a panel, any row order (no Keras fits)."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit, cross_val_score
from sklearn.pipeline import make_pipeline

from sktsmixer.model_selection import PanelTimeSeriesSplit

# Three hourly series with different starts, ends and lengths: 40 unique timestamps.
SERIES = {"a": (0, 40), "b": (5, 30), "c": (10, 25)}  # id: (start hour, length)
T0 = pd.Timestamp("2024-01-01")


def series_major(integer_time=False):
    rng = np.random.default_rng(0)
    parts = []
    for uid, (start, length) in SERIES.items():
        hours = np.arange(start, start + length)
        index = hours if integer_time else T0 + pd.to_timedelta(hours, unit="h")
        temp = rng.normal(size=length)
        parts.append(
            pd.DataFrame(
                {"unique_id": uid, "y": 2.0 * temp + rng.normal(size=length), "temp": temp},
                index=pd.Index(index, name="ds"),
            )
        )
    return pd.concat(parts)


def time_major():
    X = series_major()
    return X.rename_axis("ds").reset_index().sort_values(["ds", "unique_id"]).set_index("ds")


def shuffled():
    X = series_major()
    return X.iloc[np.random.default_rng(1).permutation(len(X))]


def multi(order=("unique_id", "ds")):
    return series_major().reset_index().set_index(list(order))


# (name, frame factory, series_column, accessor of (series, time) per row)
LAYOUTS = {
    "series_major": (series_major, "unique_id"),
    "time_major": (time_major, "unique_id"),
    "shuffled": (shuffled, "unique_id"),
    "multiindex": (multi, None),
    "multiindex_named": (multi, "unique_id"),
    "multiindex_time_first": (lambda: multi(("ds", "unique_id")), None),
    "multiindex_level_position": (multi, 0),
}


def keys(X):
    """(series, time) of each row of X, whatever the layout."""
    if isinstance(X.index, pd.MultiIndex):
        flat = X.reset_index()
        return flat["unique_id"].to_numpy(), pd.DatetimeIndex(flat["ds"]).to_numpy()
    return X["unique_id"].to_numpy(), X.index.to_numpy()


def check_folds(X, cv, n_times=40):
    series, times = keys(X)
    uniques = np.unique(times)
    rank = np.searchsorted(uniques, times)
    folds = list(cv.split(X))
    assert len(folds) == cv.get_n_splits(X) == cv.n_splits
    test_size = cv.test_size or n_times // (cv.n_splits + 1)
    first = n_times - cv.n_splits * test_size
    for i, (train, test) in enumerate(folds):
        assert train.dtype.kind == test.dtype.kind == "i"
        # positions in X's own order, each row once, disjoint
        assert np.all(np.diff(train) > 0) and np.all(np.diff(test) > 0)
        assert not np.intersect1d(train, test).size
        start = first + i * test_size
        train_end = start - cv.gap
        train_start = max(0, train_end - (cv.max_train_size or train_end))
        # test is the i-th block of the last n_splits * test_size timestamps
        assert np.array_equal(np.unique(rank[test]), np.arange(start, start + test_size))
        # later than every training timestamp, by gap steps
        assert rank[test].min() - rank[train].max() - 1 == cv.gap
        # every series is cut at the same timestamps: all of its rows in the window
        for uid in SERIES:
            own = series == uid
            expected_train = np.flatnonzero(own & (rank >= train_start) & (rank < train_end))
            expected_test = np.flatnonzero(own & (rank >= start) & (rank < start + test_size))
            assert np.array_equal(train[series[train] == uid], expected_train)
            assert np.array_equal(test[series[test] == uid], expected_test)
    covered = np.unique(np.concatenate([rank[test] for _, test in folds]))
    assert np.array_equal(covered, np.arange(first, n_times))
    return folds


def as_pairs(X, idx):
    series, times = keys(X.iloc[idx])
    return set(zip(series, times, strict=True))


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"n_splits": 3, "test_size": 4},
        {"n_splits": 2, "test_size": 5, "gap": 3},
        {"n_splits": 4, "test_size": 3, "max_train_size": 10, "gap": 1},
    ],
)
def test_folds_cut_every_series_at_the_same_time(layout, params):
    factory, column = LAYOUTS[layout]
    X = factory()
    cv = PanelTimeSeriesSplit(series_column=column, **params)
    folds = check_folds(X, cv)
    # positions map back to the same (series, time) rows as on the series-major frame
    reference = series_major()
    for (train, test), (ref_train, ref_test) in zip(
        folds,
        PanelTimeSeriesSplit(**params, series_column="unique_id").split(reference),
        strict=True,
    ):
        assert as_pairs(X, train) == as_pairs(reference, ref_train)
        assert as_pairs(X, test) == as_pairs(reference, ref_test)


def test_series_major_order_is_kept_and_max_train_size_counts_time_steps():
    X = series_major()
    cv = PanelTimeSeriesSplit(n_splits=3, test_size=5, max_train_size=8, series_column="unique_id")
    for train, test in cv.split(X):
        for part in (X.iloc[train], X.iloc[test]):
            assert part["unique_id"].is_monotonic_increasing
            for _, rows in part.groupby("unique_id"):
                assert rows.index.is_monotonic_increasing
        assert X.index[train].nunique() == 8
        assert X.index[test].nunique() == 5


def test_integer_time_index():
    X = series_major(integer_time=True)
    cv = PanelTimeSeriesSplit(n_splits=3, test_size=4, gap=2, series_column="unique_id")
    expected = list(cv.split(series_major()))
    for (train, test), (exp_train, exp_test) in zip(cv.split(X), expected, strict=True):
        assert np.array_equal(train, exp_train) and np.array_equal(test, exp_test)
    train, test = next(iter(cv.split(X)))
    assert X.index[train].max() == 25 and X.index[test].min() == 28


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"n_splits": 3},
        {"n_splits": 3, "test_size": 7},
        {"n_splits": 4, "gap": 2},
        {"n_splits": 3, "max_train_size": 6},
        {"n_splits": 2, "test_size": 4, "gap": 1, "max_train_size": 30},
    ],
)
@pytest.mark.parametrize("integer_time", [False, True])
def test_single_series_equals_time_series_split(params, integer_time):
    index = np.arange(37) if integer_time else pd.date_range("2024-01-01", periods=37, freq="D")
    X = pd.DataFrame({"y": np.arange(37.0)}, index=index)
    ours = list(PanelTimeSeriesSplit(**params).split(X))
    theirs = list(TimeSeriesSplit(**params).split(X))
    assert len(ours) == len(theirs)
    for (a_train, a_test), (b_train, b_test) in zip(ours, theirs, strict=True):
        assert np.array_equal(a_train, b_train) and np.array_equal(a_test, b_test)


@pytest.mark.parametrize(
    "X, params, match",
    [
        (series_major().to_numpy(), {}, "needs a pandas DataFrame.*ndarray"),
        (
            series_major(),
            {"series_column": "store"},
            r"series_column='store'.*columns: \['unique_id', 'y', 'temp'\]",
        ),
        (multi(), {"series_column": "store"}, r"index levels: \['unique_id', 'ds'\]"),
        (
            series_major(),
            {"series_column": "unique_id", "n_splits": 40},
            "number of folds=41 greater than the number of timestamps=40",
        ),
        (
            series_major(),
            {"series_column": "unique_id", "n_splits": 5, "test_size": 8},
            "Too many splits=5 for number of timestamps=40 with test_size=8 and gap=0",
        ),
        (
            series_major(),
            {"series_column": "unique_id", "n_splits": 3, "test_size": 12, "gap": 4},
            "test_size=12 and gap=4",
        ),
        (series_major(), {}, "duplicate timestamps; pass series_column"),
        (
            pd.concat([series_major()] * 2),
            {"series_column": "unique_id"},
            r"duplicate \(series, time\) pairs",
        ),
        (
            series_major().reset_index().set_index(["unique_id", "ds", "y"]),
            {},
            "MultiIndex must have 2 levels",
        ),
        (
            series_major().set_index(series_major().index.strftime("%Y-%m-%d %H")),
            {"series_column": "unique_id"},
            "datetime-like or integer, got dtype",
        ),
        (series_major(), {"series_column": "unique_id", "n_splits": 1}, "n_splits must be"),
        (series_major(), {"series_column": "unique_id", "gap": -1}, "gap must be"),
        (series_major(), {"series_column": "unique_id", "test_size": 0}, "test_size must be"),
    ],
)
def test_errors(X, params, match):
    with pytest.raises(ValueError, match=match):
        next(iter(PanelTimeSeriesSplit(**params).split(X)))


def test_groups_warn_repr_and_pickle():
    X = series_major()
    cv = PanelTimeSeriesSplit(n_splits=3, test_size=4, series_column="unique_id")
    with pytest.warns(UserWarning, match="groups parameter is ignored"):
        list(cv.split(X, groups=np.zeros(len(X))))
    assert repr(cv).startswith("PanelTimeSeriesSplit(gap=0, max_train_size=None, n_splits=3")
    clone = pickle.loads(pickle.dumps(cv))
    for (a, b), (c, d) in zip(cv.split(X), clone.split(X), strict=True):
        assert np.array_equal(a, c) and np.array_equal(b, d)


def ridge():
    """A cheap regressor on the numeric columns of the long frame."""
    return make_pipeline(ColumnTransformer([("num", "passthrough", ["temp"])]), Ridge())


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["shuffled", "multiindex"])
def test_cross_val_score_and_grid_search(layout):
    factory, column = LAYOUTS[layout]
    X = factory()
    y = X["y"]
    cv = PanelTimeSeriesSplit(n_splits=3, test_size=5, gap=1, series_column=column)
    serial = cross_val_score(ridge(), X, y, cv=cv, n_jobs=1)
    parallel = cross_val_score(ridge(), X, y, cv=cv, n_jobs=2)
    assert serial.shape == (3,) and np.all(np.isfinite(serial))
    np.testing.assert_allclose(serial, parallel)
    search = GridSearchCV(ridge(), {"ridge__alpha": [0.1, 10.0]}, cv=cv, n_jobs=1).fit(X, y)
    assert search.n_splits_ == 3
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
