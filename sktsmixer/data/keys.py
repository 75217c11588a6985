"""Series keys: the column, index level, or columns and levels that name the series of a panel.

A compound key (``series_column=["Region", "State", "Purpose"]``) names every
series by a tuple of labels, one per key column, kept as those columns (or
index levels) in the outputs.
"""

import numpy as np
import pandas as pd

__all__ = ["key_names", "series_key"]


def series_key(series_column):
    """``series_column`` as None, one name, or a list of two or more names.

    A one-element list is the name it holds, so its labels are plain values
    rather than 1-tuples.
    """
    if series_column is None or isinstance(series_column, (str, int, np.integer)):
        return series_column
    key = list(series_column)
    if not key:
        raise ValueError("series_column=[] names no column; pass None for one series.")
    if len(set(key)) != len(key):
        raise ValueError(f"series_column must name distinct columns, got {key!r}.")
    return key[0] if len(key) == 1 else key


def key_names(series_column):
    """The names of the key's columns (an empty list without one)."""
    key = series_key(series_column)
    return [] if key is None else key if isinstance(key, list) else [key]


def _split_series_and_time(X, series_column):
    index = X.index
    key = series_key(series_column)
    if key is not None:
        parts = key if isinstance(key, list) else [key]
        levels = [n for n in getattr(index, "names", []) if n is not None]
        in_index = [p for p in parts if p not in X.columns]
        unknown = [p for p in in_index if not isinstance(index, pd.MultiIndex) or p not in levels]
        if unknown:
            raise ValueError(
                f"series_column={series_column!r}: {unknown} are neither columns of X "
                f"({list(X.columns)}) nor index levels ({levels})."
            )
        times = index
        if in_index:
            rest = [n for n in index.names if n not in in_index]
            if len(rest) != 1:
                raise ValueError(
                    f"The index of X has levels {list(index.names)}; besides the series key "
                    f"{in_index} it must keep exactly one level, the time."
                )
            times = index.get_level_values(rest[0])
        columns = [p for p in parts if p not in in_index]
        values = X.drop(columns=columns) if columns else X
        if not isinstance(key, list):
            # The Series, not .to_numpy(): factorizing it keeps string labels
            # out of a per-row array of Python objects (GiB on big panels).
            labels = X[key] if columns else index.get_level_values(key)
            return labels, times, values
        arrays = [X[p] if p in columns else index.get_level_values(p) for p in parts]
        if any(pd.isna(a).any() for a in arrays):
            raise ValueError("The series key holds missing labels; drop or fill those rows.")
        return pd.MultiIndex.from_arrays(arrays, names=parts), times, values
    if isinstance(index, pd.MultiIndex):
        if index.nlevels != 2:
            raise ValueError(
                f"X has a {index.nlevels}-level MultiIndex; a panel needs two levels "
                "(series, time), or pass series_column (a list for a compound key)."
            )
        return index.get_level_values(0), index.get_level_values(1), X
    return None, index, X
