"""Argument checks (and seed derivation) shared by the layers and the model builder.

Every check raises a ``ValueError`` that names the argument and the value
received, so a wrong configuration fails where it is written, not deep inside
a backend op.
"""

import numbers


def check_positive_int(name, value):
    """Return ``value`` if it is an int >= 1, else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer, got {name}={value!r}.")
    return int(value)


def check_rate(name, value):
    """Return ``value`` if it is a float in [0, 1), else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 <= value < 1.0:
        raise ValueError(f"`{name}` must be a float in [0, 1), got {name}={value!r}.")
    return float(value)


def check_choice(name, value, choices):
    """Return ``value`` if it is one of ``choices``, else raise ``ValueError``."""
    if value not in choices:
        raise ValueError(f"`{name}` must be one of {list(choices)}, got {name}={value!r}.")
    return value


def check_positive_float(name, value):
    """Return ``value`` if it is a real number > 0, else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
        raise ValueError(f"`{name}` must be a positive number, got {name}={value!r}.")
    return float(value)


def check_channels(layer_name, arg_name, expected, input_shape):
    """Raise ``ValueError`` when the last axis of ``input_shape`` is not ``expected``."""
    got = input_shape[-1]
    if got is not None and got != expected:
        raise ValueError(
            f"{layer_name} was created with {arg_name}={expected} but received "
            f"inputs with {got} channels (input shape {tuple(input_shape)}). "
            f"Pass {arg_name}={got} or feed {expected}-channel inputs."
        )


def check_rank(layer_name, rank, input_shape):
    """Raise ``ValueError`` when ``input_shape`` does not have ``rank`` axes."""
    if len(input_shape) != rank:
        raise ValueError(
            f"{layer_name} expects inputs of rank {rank} (batch, time, channels), "
            f"got input shape {tuple(input_shape)}."
        )


def offset_seed(seed, offset):
    """``seed + offset``, or None when no seed is given.

    Each seeded component gets its own offset, so one user seed gives every
    initializer and dropout layer a distinct, reproducible stream.
    """
    return None if seed is None else seed + offset
