"""What the Displays share: the lazy matplotlib import and style defaults."""

import numpy as np
import pandas as pd


def check_matplotlib(caller):
    """Import pyplot or raise an ImportError that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{caller} requires matplotlib; install it with `pip install sktsmixer[plot]` "
            "(or `pip install matplotlib`)."
        ) from exc
    return plt


def style_of(defaults, user, artist):
    """Defaults overridden by ``user``, aliases (``c``, ``lw``, ...) resolved."""
    from matplotlib.cbook import normalize_kwargs

    user = normalize_kwargs(user or {}, artist)
    if artist.__name__ == "PolyCollection" and {"facecolor", "edgecolor"} & user.keys():
        defaults = {k: v for k, v in defaults.items() if k != "color"}
    return {**defaults, **user}


def as_series(values, name, index=None):
    """A Series from a Series, a one-column DataFrame or (given ``index``) a 1-D array."""
    if isinstance(values, pd.DataFrame):
        if values.shape[1] != 1:
            raise ValueError(f"{name} must be a Series or one column; got {values.shape[1]}.")
        values = values.iloc[:, 0]
    if isinstance(values, pd.Series):
        return values
    if index is None:
        raise ValueError(f"{name} must be a pandas Series with a time index.")
    array = np.asarray(values, dtype=float)
    if array.ndim != 1 or len(array) != len(index):
        raise ValueError(
            f"{name} must be 1-D with one value per forecast step ({len(index)}); "
            f"got shape {array.shape}."
        )
    return pd.Series(array, index=index)
