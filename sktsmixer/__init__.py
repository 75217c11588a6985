"""sktsmixer: a scikit-learn compatible TSMixer forecaster on Keras 3."""

from sktsmixer._quiet import import_backend_quietly, quiet_lazy_tensorflow

import_backend_quietly()  # before Keras picks up its backend
quiet_lazy_tensorflow()

from sktsmixer.estimator import TSMixerRegressor  # noqa: E402
from sktsmixer.layers import (  # noqa: E402
    FeatureMixing,
    MixingLayer,
    ReversibleInstanceNorm,
    TemporalMixing,
    TemporalProjection,
    TokenEmbedding,
)
from sktsmixer.layers_ext import (  # noqa: E402
    ConditionalFeatureMixing,
    ConditionalMixingLayer,
    QuantileHead,
)
from sktsmixer.model import build_tsmixer  # noqa: E402
from sktsmixer.model_ext import build_tsmixer_ext  # noqa: E402
from sktsmixer.model_selection import PanelTimeSeriesSplit  # noqa: E402

__version__ = "0.2.0"

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
