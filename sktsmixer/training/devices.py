"""Data-parallel training and prediction with Keras' distribution API.

``TSMixerRegressor(devices=...)`` replicates the model on several devices and
splits every batch between them (``keras.distribution.DataParallel``, JAX
backend). A distribution the user set globally with
``keras.distribution.set_distribution`` is honoured the same way.
"""

import contextlib
import numbers
import warnings

import keras

from sktsmixer._fallbacks import warn_fallback


def resolve_distribution(devices, for_prediction=False):
    """The ``keras.distribution.Distribution`` a fit or predict runs under, or None.

    ``devices`` None keeps Keras' global distribution (None unless the user
    set one); "all", an int or a list of device names builds a
    ``DataParallel`` over those devices. ``for_prediction``: devices that
    are not there (a model fitted on several GPUs, unpickled elsewhere) give
    a warning and one device instead of an error, as any device predicts
    the same.
    """
    if devices is None:
        return keras.distribution.distribution()
    if for_prediction:
        try:
            return resolve_distribution(devices)
        except ValueError as error:
            warnings.warn(f"Predicting on one device: {error}", UserWarning, stacklevel=4)
            return None
    backend = keras.backend.backend()
    if backend != "jax":
        raise ValueError(
            f"devices={devices!r} needs the JAX backend (Keras' distribution API); the "
            f"backend is {backend!r}. Set KERAS_BACKEND=jax before importing keras, or "
            "leave devices=None."
        )
    available = keras.distribution.list_devices()
    if isinstance(devices, str) and devices == "all":
        chosen = available
    elif isinstance(devices, str):
        raise ValueError(
            f'devices must be None, "all", an int or a list of names, got {devices!r}.'
        )
    elif isinstance(devices, numbers.Integral) and not isinstance(devices, bool):
        devices = int(devices)
        if devices > len(available):
            raise ValueError(
                f"devices={devices} asks for more devices than the {len(available)} Keras "
                f"sees ({available}). Pass at most {len(available)}, or devices='all'."
            )
        chosen = available[:devices]
    else:
        chosen = [str(name) for name in devices]
        unknown = [name for name in chosen if name not in available]
        if unknown or not chosen:
            raise ValueError(
                f"devices={devices!r} names devices Keras does not see: {unknown}. "
                f"Available: {available}."
            )
    return keras.distribution.DataParallel(devices=chosen)


def n_replicas(distribution=None):
    """How many devices share each batch under ``distribution`` (default: Keras' current one)."""
    if distribution is None:
        distribution = keras.distribution.distribution()
    if distribution is None:
        return 1
    mesh = distribution.device_mesh
    return int(mesh.shape[list(mesh.axis_names).index(_batch_dim_name(distribution, mesh))])


def _batch_dim_name(distribution, mesh):
    """The mesh axis that splits the batch.

    Public as ``batch_dim_name`` from Keras 3.8; earlier releases keep it in
    ``_batch_dim_name``. Without either, the first axis: the batch axis of
    Keras' ``DataParallel`` mesh, its only one.
    """
    for attribute in ("batch_dim_name", "_batch_dim_name"):
        name = getattr(distribution, attribute, None)
        if name is not None:
            return name
    warn_fallback(
        "reading of the distribution's batch axis",
        f"{type(distribution).__name__} has no batch_dim_name",
        "the first axis of its device mesh",
    )
    return list(mesh.axis_names)[0]


def shard_batch(inputs):
    """``inputs`` (arrays, or a dict of them) split along the batch between the devices.

    Keras splits the batches of ``fit``, not those of ``predict_on_batch``.
    """
    distribution = keras.distribution.distribution()
    if distribution is None or n_replicas(distribution) == 1:
        return inputs
    return keras.tree.map_structure(
        lambda x: keras.distribution.distribute_tensor(x, distribution.get_data_layout(x.shape)),
        inputs,
    )


def placed_for(model, distribution):
    """Whether ``model``'s weights live on every device of ``distribution``.

    A model unpickled outside the distribution's scope lives on one device;
    it must then predict there too.
    """
    if distribution is None or not model.weights:
        return True
    sharding = getattr(model.weights[0].value, "sharding", None)
    return sharding is None or len(sharding.device_set) == distribution.device_mesh.devices.size


def scope(distribution):
    """A context in which variables and batches follow ``distribution``."""
    return contextlib.nullcontext() if distribution is None else distribution.scope()


def round_up(n, multiple):
    """The smallest multiple of ``multiple`` not below ``n``."""
    return -(-n // multiple) * multiple
