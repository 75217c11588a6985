"""TSMixerRegressor inside scikit-learn: pipelines, searches, cross-validation."""

import numpy as np
import pandas as pd
import pytest
from sklearn import config_context
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.impute import SimpleImputer
from sklearn.model_selection import (
    GridSearchCV,
    RandomizedSearchCV,
    TimeSeriesSplit,
    cross_val_score,
)
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from sktsmixer import TSMixerRegressor

pytestmark = pytest.mark.slow


def tiny(**params):
    defaults = dict(
        input_size=24,
        horizon=6,
        n_blocks=1,
        ff_dim=8,
        epochs=3,
        early_stopping=False,
        learning_rate=3e-3,
        random_state=0,
    )
    return TSMixerRegressor(**{**defaults, **params})


@pytest.fixture(scope="module")
def data(seasonal):
    """A target 6 steps ahead, its unknown tail dropped: string scorers reject NaN."""
    X = pd.DataFrame(seasonal[:606], columns=["load", "temp", "price"])
    y = X["load"].shift(-6)
    return X.iloc[:600], y.iloc[:600]


def test_grid_search_multivariate_with_default_scoring(data):
    X, _ = data
    search = GridSearchCV(tiny(), {"ff_dim": [4, 8]}, cv=TimeSeriesSplit(n_splits=2))
    search.fit(X)
    assert set(search.cv_results_["param_ff_dim"]) == {4, 8}
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    # Default scoring is score(X_test): R² against the future inside X_test,
    # with the fold's DataFrame index telling the estimator it continues training.
    fold_est = tiny(ff_dim=search.best_params_["ff_dim"])
    train, test = list(TimeSeriesSplit(n_splits=2).split(X))[0]
    fold_est.fit(X.iloc[train])
    assert fold_est.score(X.iloc[test]) == pytest.approx(
        search.cv_results_["split0_test_score"][search.best_index_], rel=1e-6
    )


def test_grid_search_regression_string_scorer_parallel(data):
    X, y = data
    search = GridSearchCV(
        tiny(),
        {"dropout": [0.0, 0.1]},
        cv=TimeSeriesSplit(n_splits=2),
        scoring="neg_mean_absolute_error",
        n_jobs=2,
    )
    search.fit(X, y)
    serial = GridSearchCV(
        tiny(),
        {"dropout": [0.0, 0.1]},
        cv=TimeSeriesSplit(n_splits=2),
        scoring="neg_mean_absolute_error",
        n_jobs=1,
    ).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all() and (scores < 0).all()
    np.testing.assert_allclose(scores, serial.cv_results_["mean_test_score"], rtol=1e-6)
    assert search.best_estimator_.predict(X).shape == (len(X),)


def test_randomized_search_and_cross_val_score(data):
    X, y = data
    search = RandomizedSearchCV(
        tiny(),
        {"learning_rate": [1e-3, 3e-3, 1e-2]},
        n_iter=2,
        cv=TimeSeriesSplit(n_splits=2),
        random_state=0,
        scoring="r2",
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 2
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    scores = cross_val_score(
        tiny(), X, y, cv=TimeSeriesSplit(n_splits=2), scoring="neg_mean_squared_error"
    )
    assert scores.shape == (2,) and np.all(scores < 0)


def test_pipeline_with_imputer_and_pandas_output(data):
    X, y = data
    X = X.copy()
    X.loc[X.index[::17], "temp"] = np.nan
    with config_context(transform_output="pandas"):
        pipeline = Pipeline(
            [
                (
                    "impute",
                    ColumnTransformer(
                        [("temp", SimpleImputer(), ["temp"])],
                        remainder="passthrough",
                        verbose_feature_names_out=False,
                    ),
                ),
                ("tsmixer", tiny()),
            ]
        ).fit(X, y)
        predicted = pipeline.predict(X)
    assert predicted.shape == (len(X),) and np.isfinite(predicted).all()
    assert list(pipeline[-1].feature_names_in_) == ["temp", "load", "price"]


def test_pipeline_multivariate_mode_forecast(data):
    X, _ = data
    pipeline = make_pipeline(StandardScaler(), tiny(target_columns=[0]))
    pipeline.fit(X.to_numpy())
    assert pipeline.predict(X.to_numpy()).shape == (len(X), 6)
    assert np.isfinite(pipeline.score(X.to_numpy()))


def test_default_scoring_skips_unknown_targets(seasonal):
    X = pd.DataFrame(seasonal[:600], columns=["load", "temp", "price"])
    y = X["load"].shift(-6)  # NaN in the last 6 rows: context only
    search = GridSearchCV(tiny(), {"ff_dim": [4, 8]}, cv=TimeSeriesSplit(n_splits=2)).fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_transformed_target_regressor(data):
    X, y = data
    model = TransformedTargetRegressor(regressor=tiny(), func=np.log1p, inverse_func=np.expm1)
    model.fit(X, y - y.min())
    predicted = model.predict(X)
    assert predicted.shape == (len(X),) and np.isfinite(predicted).all()
