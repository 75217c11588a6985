"""Column roles: which columns a fit forecasts, reads ahead, or takes as given.

``fit(X)`` forecasts ``target_columns`` of ``X`` and reads the
``future_columns`` (and calendar features) on the horizon; ``fit(X, y)``
regresses ``y`` on windows of every column. This module checks that the
parameters make one of these two modes and resolves them against the columns
of ``X`` (see :mod:`sktsmixer.data.panel` for how ``X`` itself is read).
"""

from dataclasses import dataclass

import numpy as np
from sklearn.utils.validation import check_array

from sktsmixer.data.categorical import resolve_encodings
from sktsmixer.data.panel import column_positions, key_names
from sktsmixer.data.time_features import resolve_time_features

__all__ = ["ColumnRoles", "check_mode", "check_y", "column_roles"]


@dataclass
class ColumnRoles:
    """What ``fit`` learned about the columns (the fitted attributes of the same names)."""

    future_indices: np.ndarray
    time_feature_names: list
    quantiles: object
    target_indices: object
    target_names: list
    n_outputs: int
    y_ndim: object
    dynamic_names: list
    static_names: list
    categories: dict
    categorical_encoding: dict


def check_mode(params, y):
    """Refuse the forecasting-only parameters of ``params`` (a dict) when ``y`` is given,
    and a series key column named in another role."""
    _check_key_roles(params)
    if y is None:
        return
    used = [
        name
        for name in ("target_columns", "future_columns", "static_columns", "series_column")
        if params[name] is not None
    ]
    # "auto" (the default) reads no calendar when y is given.
    used += ["time_features"] if params["time_features"] not in (None, "auto") else []
    used += ["loss='quantile'"] if params["loss"] == "quantile" else []
    if used:
        raise ValueError(
            f"{', '.join(used)} need fit(X) with y=None (forecasting columns of X). With "
            "y given, every column of X is a past input; shift a known-ahead column "
            "yourself (X['temp_next'] = X['temp'].shift(-k)) or call fit(X) without y."
        )


def _check_key_roles(params):
    key = key_names(params["series_column"])
    for role in ("target_columns", "future_columns", "static_columns"):
        spec = params[role]
        listed = [spec] if isinstance(spec, (str, int, np.integer)) else list(spec or [])
        shared = [c for c in listed if any(c == k for k in key)]
        if shared:
            raise ValueError(
                f"{shared} name the series (series_column={params['series_column']!r}) and "
                f"cannot also be {role}. To use a key column as a static input too, copy "
                "it under another name (X.assign(region_code=X['Region']))."
            )


def check_y(y, n_rows):
    """``y`` as a float64 array of 1 or 2 dimensions with one row per row of ``X``."""
    y_checked = check_array(
        y, ensure_2d=False, dtype=np.float64, ensure_all_finite="allow-nan", input_name="y"
    )
    if y_checked.ndim > 2:
        raise ValueError(f"y must be 1-D or 2-D, got an array of shape {y_checked.shape}.")
    if len(y_checked) != n_rows:
        raise ValueError(
            f"X and y must have one row per time step: X has {n_rows} rows, y has {len(y_checked)}."
        )
    if np.isnan(y_checked).all():
        raise ValueError("y holds only NaN: there is nothing to train on.")
    return y_checked


def column_roles(params, names, dynamic_names, panel, y):
    """Resolve the column parameters of ``params`` (a dict) against the columns of ``X``.

    ``names`` are the value columns of ``X``, ``dynamic_names`` those that
    vary in time (not static), ``y`` the checked ``y`` or None.
    """
    n = len(names)
    categories = dict(panel.categories)
    if y is not None and categories:
        raise ValueError(
            f"Column(s) {list(categories)} of X hold text or categories, which are read "
            "only by fit(X) with y=None. With y given, encode them first (e.g. "
            "OneHotEncoder in a ColumnTransformer)."
        )
    static_names = [
        names[i] for i in column_positions(params["static_columns"], names, n, "static_columns")
    ]
    future_indices = np.asarray(
        [
            dynamic_names.index(names[i])
            for i in column_positions(params["future_columns"], names, n, "future_columns")
        ],
        dtype=int,
    )
    time_feature_names = resolve_time_features(
        params["time_features"], panel.step if panel.index_kind == "datetime" else None
    )
    roles = ColumnRoles(
        future_indices=future_indices,
        time_feature_names=time_feature_names,
        quantiles=_quantile_levels(params) if params["loss"] == "quantile" else None,
        target_indices=None,
        target_names=[],
        n_outputs=0,
        y_ndim=None if y is None else y.ndim,
        dynamic_names=list(dynamic_names),
        static_names=static_names,
        categories=categories,
        categorical_encoding=resolve_encodings(categories, params["categorical_embedding"]),
    )
    if y is not None:
        roles.n_outputs = 1 if y.ndim == 1 else y.shape[1]
        roles.target_names = list(range(roles.n_outputs))
        return roles
    targets = _target_positions(
        params["target_columns"], names, dynamic_names, future_indices, categories
    )
    roles.target_indices = np.asarray(targets)
    roles.target_names = [dynamic_names[i] for i in targets]
    roles.n_outputs = len(targets)
    return roles


def _quantile_levels(params):
    levels = np.asarray(params["quantiles"], dtype=np.float64).ravel()
    if not len(levels) or not ((levels > 0) & (levels < 1)).all():
        raise ValueError(f"quantiles must lie in (0, 1), got {params['quantiles']!r}.")
    # The median is the point forecast, so it is always learned.
    return np.unique(np.append(levels, 0.5))


def _target_positions(target_columns, names, dynamic_names, future_indices, categories):
    known_ahead = set(future_indices.tolist())
    if target_columns is None:
        # Categorical columns are inputs: their codes are labels, not values to forecast.
        targets = [
            i
            for i in range(len(dynamic_names))
            if i not in known_ahead and dynamic_names[i] not in categories
        ]
        if not targets:
            raise ValueError(
                "X has no numeric time-varying column left to forecast: every one is a "
                "future or categorical column. Pass target_columns, or a numeric target."
            )
    else:
        positions = column_positions(target_columns, names, len(names), "target_columns")
        if any(names[i] not in dynamic_names for i in positions):
            raise ValueError(
                f"target_columns={target_columns!r} names a static column; static "
                "columns cannot be forecast."
            )
        targets = [dynamic_names.index(names[i]) for i in positions]
        text = [dynamic_names[i] for i in targets if dynamic_names[i] in categories]
        if text:
            raise ValueError(
                f"target_columns={target_columns!r} names categorical column(s) {text}; "
                "categories are inputs and cannot be forecast. Forecast a numeric column."
            )
    overlap = set(targets) & known_ahead
    if overlap or not targets:
        raise ValueError(
            "target_columns and future_columns must be different, non-empty sets: "
            f"{[dynamic_names[i] for i in overlap]} are both. A known-ahead value is an "
            "input, not a forecast."
        )
    return targets
