"""Categorical columns: learned categories, integer codes, and how the model encodes them.

A text (``object`` or ``string``) or ``category`` column of ``X`` is read as
an integer code per row: ``1 ... K`` for the ``K`` categories learned in
``fit``, ``0`` for a value never seen in ``fit`` (the *unknown* code), NaN
for a missing value. The codes travel through the rest of the pipeline as a
numeric column that is never standardised; the model turns every code back
into a vector in its first layer (see
:class:`~sktsmixer.layers.categorical.CategoricalChannels`): a one-hot
vector for few categories, a learned embedding for many. The unknown code
is the zero vector in both, so an unseen category contributes nothing
rather than an arbitrary learned value. A boolean column is a number (0/1).
"""

import math
import warnings

import numpy as np
import pandas as pd

__all__ = [
    "MAX_ONEHOT_CATEGORIES",
    "category_codes",
    "categorical_dtype",
    "learn_categories",
    "model_categoricals",
    "resolve_encodings",
    "warn_unseen",
]

# "auto": a column of at most this many categories is one-hot encoded; more
# are embedded, so that a column of thousands of items (stores, products)
# costs a few channels rather than thousands.
MAX_ONEHOT_CATEGORIES = 16
MAX_EMBEDDING_DIM = 32


def categorical_dtype(dtype):
    """Whether a column of this dtype is read as categories (text, category; not bool)."""
    if isinstance(dtype, pd.CategoricalDtype):
        return True
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        return False
    return pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)


def learn_categories(column, name):
    """The categories of a column: a ``category`` dtype's own, else its sorted values."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        categories = column.dtype.categories
    else:
        values = np.asarray(pd.unique(column.dropna()), dtype=object)
        try:
            values = np.sort(values)
        except TypeError:  # mixed types: keep the order of first appearance
            pass
        categories = pd.Index(values)
    if len(categories) == 0:
        raise ValueError(
            f"Column {name!r} of X holds only missing values: there are no categories to "
            "learn. Drop it or fill it."
        )
    return categories


def category_codes(column, categories, name, unseen):
    """Codes of ``column`` as float64: 1..K for ``categories``, 0 unknown, NaN missing.

    Values not among ``categories`` are added to ``unseen[name]``.
    """
    codes = pd.Categorical(column, categories=categories).codes.astype(np.float64)
    missing = np.asarray(pd.isna(column))
    new = (codes < 0) & ~missing
    codes += 1.0
    codes[missing] = np.nan
    if new.any():
        values = pd.unique(np.asarray(column, dtype=object)[new])
        unseen.setdefault(name, []).extend(v for v in values if v not in unseen.get(name, []))
    return codes


def warn_unseen(unseen, stacklevel=3):
    """One warning naming every column with categories not seen in ``fit``, and the values."""
    if not unseen:
        return
    listed = "; ".join(
        f"{name!r}: {values[:10]!r}" + (f" and {len(values) - 10} more" if len(values) > 10 else "")
        for name, values in unseen.items()
    )
    warnings.warn(
        f"Categories not seen in fit are read as unknown (a zero encoding): {listed}. "
        "Refit with data that holds them to learn their effect.",
        UserWarning,
        stacklevel=stacklevel,
    )


def _embedding_dim(n_categories):
    # Grows like the square root of the number of categories (a usual rule of
    # thumb for entity embeddings), capped so that wide columns stay cheap.
    return int(min(MAX_EMBEDDING_DIM, max(2, math.ceil(2 * math.sqrt(n_categories)))))


def resolve_encodings(categories, setting):
    """How every categorical column is encoded, from ``categorical_embedding``.

    Returns a dict ``name -> ("onehot", K)`` or ``("embedding", dim)``.
    """
    per_column = setting if isinstance(setting, dict) else {}
    unknown = [name for name in per_column if name not in categories]
    if unknown:
        raise ValueError(
            f"categorical_embedding names {unknown}, which are not categorical columns of X "
            f"(those are {list(categories)})."
        )
    default = "auto" if isinstance(setting, dict) else setting
    encodings = {}
    for name, cats in categories.items():
        choice = per_column.get(name, default)
        k = len(cats)
        if isinstance(choice, bool) or not (
            choice in ("auto", "onehot") or (isinstance(choice, (int, np.integer)) and choice > 0)
        ):
            raise ValueError(
                f"categorical_embedding for column {name!r} must be 'auto', 'onehot' or a "
                f"positive int (an embedding size), got {choice!r}."
            )
        if choice == "auto":
            choice = "onehot" if k <= MAX_ONEHOT_CATEGORIES else _embedding_dim(k)
        encodings[name] = ("onehot", k) if choice == "onehot" else ("embedding", int(choice))
    return encodings


def _specs(names, categories, encodings):
    """``[channel, n_categories, dim]`` (dim 0: one-hot) of the categorical ``names``."""
    specs = []
    for channel, name in enumerate(names):
        if name in encodings:
            kind, size = encodings[name]
            specs.append([channel, len(categories[name]), 0 if kind == "onehot" else size])
    return specs


def model_categoricals(dynamic_names, future_names, static_names, categories, encodings):
    """Keyword arguments of ``build_tsmixer_ext`` for the categorical inputs.

    ``encodings`` is what :func:`resolve_encodings` returned (empty: none).
    """
    if not encodings:
        return {}
    return {
        "past_categoricals": _specs(dynamic_names, categories, encodings),
        "future_categoricals": _specs(future_names, categories, encodings),
        "static_categoricals": _specs(static_names, categories, encodings),
    }


def keep_unscaled(names, categories, mean, scale):
    """Set mean 0 and scale 1 for the categorical columns among ``names``, in place.

    The codes are labels, not quantities: the model needs them as they are.
    ``mean``/``scale`` are statistics whose last axis is ``names`` (per
    series ``(n_series, n_dynamic)``, or per static column).
    """
    if not categories or mean is None:
        return
    columns = [j for j, name in enumerate(names) if name in categories]
    mean[..., columns] = 0.0
    scale[..., columns] = 1.0
