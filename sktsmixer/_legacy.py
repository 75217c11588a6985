"""The module names of release 0.2 (a flat package), kept importable.

Pickles name the module of every class they hold (``SplitConformal`` was
``sktsmixer.calibration.SplitConformal``), and user code imported the public
modules by their flat names (``sktsmixer.model``, ``sktsmixer.layers_ext``).
Each old name is registered in ``sys.modules`` as an alias of the module
that holds its contents now, so both keep working without a file per old
name in the package. An estimator pickled then kept what ``fit`` learned
about the data in private attributes; :func:`legacy_encoder` moves them
into the :class:`~sktsmixer.data.encoder.PanelEncoder` that holds them now.
"""

import importlib
import sys

# old name -> new module
MOVED = {
    "sktsmixer.calendars": "sktsmixer.data.calendars",
    "sktsmixer.calibration": "sktsmixer.uncertainty.calibration",
    "sktsmixer.categorical": "sktsmixer.data.categorical",
    "sktsmixer.categorical_layers": "sktsmixer.layers.categorical",
    "sktsmixer.layers_ext": "sktsmixer.layers.ext",
    "sktsmixer.losses": "sktsmixer.uncertainty.losses",
    "sktsmixer.model": "sktsmixer.models.tsmixer",
    "sktsmixer.model_ext": "sktsmixer.models.tsmixer_ext",
    "sktsmixer.normalization": "sktsmixer.layers.normalization",
    "sktsmixer.time_features": "sktsmixer.data.time_features",
}


def install():
    """Register every old module name as an alias of its new module."""
    package = sys.modules["sktsmixer"]
    for old, new in MOVED.items():
        module = importlib.import_module(new)
        sys.modules.setdefault(old, module)
        setattr(package, old.rpartition(".")[2], module)


_LEGACY_ATTRIBUTES = {
    "series_mean_": "series_mean_",
    "series_scale_": "series_scale_",
    "_series_codes": "series_codes_",
    "_y_mean": "y_mean_",
    "_y_scale": "y_scale_",
    "_static_mean": "static_mean_",
    "_static_scale": "static_scale_",
    "_context": "context_",
}


def legacy_encoder(state):
    """The :class:`PanelEncoder` of an estimator pickled with the flat layout (0.2).

    Its fitted statistics are taken out of ``state``.
    """
    categories = state.get("categories_") or {}
    from sktsmixer.data.encoder import PanelEncoder

    encoder = PanelEncoder(
        input_size=state["input_size_"],
        horizon=state["horizon"],
        dynamic_names=state["_dynamic_names"],
        static_names=state["_static_names"],
        target_indices=state["target_indices_"],
        future_indices=state["future_indices_"],
        time_feature_names=state["time_feature_names_"],
        categories=categories,
        series_column=state["series_column"],
        calendar=state.pop("calendar_", None),
        named=state["quantiles_"] is not None or bool(state.get("categorical_encoding_")),
    )
    for old, new in _LEGACY_ATTRIBUTES.items():
        setattr(encoder, new, state.pop(old, None))
    state.pop("series_labels_", None)  # read from the encoder's series codes now
    return encoder
