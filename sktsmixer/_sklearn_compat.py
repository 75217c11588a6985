"""scikit-learn's parameter validation, with a fallback if its private module moves.

``Interval``, ``StrOptions`` and ``BaseEstimator._validate_params`` live in
``sklearn.utils._param_validation``, which has no public equivalent. They
are used when present (every scikit-learn from 1.6 to the newest tested);
a release without them gets the minimal checker below, which accepts and
rejects the same values for the kinds of constraint sktsmixer declares and
raises the same kind of error (a ``ValueError`` and ``TypeError``).
"""

import numbers

import numpy as np

try:
    from sklearn.utils._param_validation import (
        Interval,
        InvalidParameterError,
        StrOptions,
    )

    HAVE_SKLEARN_VALIDATION = True
except ImportError:  # pragma: no cover - exercised by tests/test_fallbacks.py
    HAVE_SKLEARN_VALIDATION = False

    class InvalidParameterError(ValueError, TypeError):
        """A parameter of an estimator has an invalid type or value."""

    class Interval:
        """Numbers of ``type`` between ``left`` and ``right`` (None: unbounded)."""

        def __init__(self, type, left, right, *, closed):
            self.type, self.left, self.right, self.closed = type, left, right, closed

        def is_satisfied_by(self, value):
            if not isinstance(value, self.type) or isinstance(value, bool):
                return False
            left_ok = self.left is None or (
                value >= self.left if self.closed in ("left", "both") else value > self.left
            )
            right_ok = self.right is None or (
                value <= self.right if self.closed in ("right", "both") else value < self.right
            )
            return left_ok and right_ok

        def __str__(self):
            kind = "an int" if self.type is numbers.Integral else "a float"
            low = "-inf" if self.left is None else self.left
            high = "inf" if self.right is None else self.right
            opening = "[" if self.closed in ("left", "both") else "("
            closing = "]" if self.closed in ("right", "both") else ")"
            return f"{kind} in the range {opening}{low}, {high}{closing}"

    class StrOptions:
        """One of the strings ``options``."""

        def __init__(self, options):
            self.options = set(options)

        def is_satisfied_by(self, value):
            return isinstance(value, str) and value in self.options

        def __str__(self):
            return f"a str among {sorted(self.options)}"


def _satisfies(value, constraint):
    """Whether ``value`` meets one entry of a constraint list (the fallback checker)."""
    if constraint is None:
        return value is None
    if isinstance(constraint, type):
        return isinstance(value, constraint)
    if constraint == "boolean":
        return isinstance(value, (bool, np.bool_))
    if constraint == "array-like":
        arraylike = any(hasattr(value, a) for a in ("__len__", "shape", "__array__"))
        return arraylike and not np.isscalar(value)
    if constraint == "random_state":
        return value is None or isinstance(value, (numbers.Integral, np.random.RandomState))
    if constraint == "verbose":
        return isinstance(value, (numbers.Integral, bool, np.bool_))
    return constraint.is_satisfied_by(value)


def validate_params(estimator):
    """Check ``estimator.get_params()`` against its ``_parameter_constraints``.

    Raises an ``InvalidParameterError`` naming the parameter, what it must
    be and what it got.
    """
    if HAVE_SKLEARN_VALIDATION and hasattr(estimator, "_validate_params"):
        estimator._validate_params()
        return
    check_constraints(
        estimator.get_params(deep=False), estimator._parameter_constraints, type(estimator).__name__
    )


def check_constraints(params, constraints, caller):
    """The fallback checker: raise for the first parameter that meets none of its constraints."""
    for name, allowed in constraints.items():
        value = params[name]
        if any(_satisfies(value, c) for c in allowed):
            continue
        described = [
            "None" if c is None else c.__name__ if isinstance(c, type) else str(c) for c in allowed
        ]
        raise InvalidParameterError(
            f"The {name!r} parameter of {caller} must be {' or '.join(described)}. "
            f"Got {value!r} instead."
        )
