"""sktsmixer: a scikit-learn compatible TSMixer forecaster on Keras 3."""

from sktsmixer.training.quiet import import_backend_quietly, quiet_lazy_tensorflow

import_backend_quietly()  # before Keras picks up its backend
quiet_lazy_tensorflow()

from sktsmixer import _legacy  # noqa: E402
from sktsmixer.estimator import TSMixerRegressor  # noqa: E402
from sktsmixer.layers import (  # noqa: E402
    ConditionalFeatureMixing,
    ConditionalMixingLayer,
    FeatureMixing,
    MixingLayer,
    QuantileHead,
    ReversibleInstanceNorm,
    TemporalMixing,
    TemporalProjection,
    TokenEmbedding,
)
from sktsmixer.model_selection import PanelTimeSeriesSplit  # noqa: E402
from sktsmixer.models import build_tsmixer, build_tsmixer_ext  # noqa: E402

__version__ = "0.2.0"

_legacy.install()  # the flat module names of 0.2, for pickles and old imports

__all__ = [
    "ConditionalFeatureMixing",
    "ConditionalMixingLayer",
    "FeatureMixing",
    "MixingLayer",
    "PanelTimeSeriesSplit",
    "QuantileHead",
    "ReversibleInstanceNorm",
    "TSMixerRegressor",
    "TemporalMixing",
    "TemporalProjection",
    "TokenEmbedding",
    "build_tsmixer",
    "build_tsmixer_ext",
]
