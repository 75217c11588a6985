"""sktsmixer: a scikit-learn compatible TSMixer forecaster on Keras 3."""

from sktsmixer.estimator import TSMixerRegressor
from sktsmixer.layers import (
    FeatureMixing,
    MixingLayer,
    ReversibleInstanceNorm,
    TemporalMixing,
    TemporalProjection,
    TokenEmbedding,
)
from sktsmixer.model import build_tsmixer

__version__ = "0.1.0"

__all__ = [
    "FeatureMixing",
    "MixingLayer",
    "ReversibleInstanceNorm",
    "TSMixerRegressor",
    "TemporalMixing",
    "TemporalProjection",
    "TokenEmbedding",
    "build_tsmixer",
]
