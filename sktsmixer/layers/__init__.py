"""Keras 3 layers of TSMixer and TSMixer-Ext (Chen et al., 2023).

One concept per class, ``keras.ops`` only (TensorFlow, JAX and PyTorch):

- :mod:`~sktsmixer.layers.mixing`: the mixing layers of the basic model;
- :mod:`~sktsmixer.layers.projection`: the token embedding and the
  temporal projection at its two ends;
- :mod:`~sktsmixer.layers.ext`: the conditional mixing and quantile head of
  the extended model;
- :mod:`~sktsmixer.layers.normalization`: reversible instance normalisation;
- :mod:`~sktsmixer.layers.categorical`: embeddings of category codes;
- :mod:`~sktsmixer.layers.dropout`: the dropout the layers share.
"""

from sktsmixer.layers.ext import ConditionalFeatureMixing, ConditionalMixingLayer, QuantileHead
from sktsmixer.layers.mixing import FeatureMixing, MixingLayer, TemporalMixing
from sktsmixer.layers.normalization import ReversibleInstanceNorm
from sktsmixer.layers.projection import TemporalProjection, TokenEmbedding

__all__ = [
    "ConditionalFeatureMixing",
    "ConditionalMixingLayer",
    "FeatureMixing",
    "MixingLayer",
    "QuantileHead",
    "ReversibleInstanceNorm",
    "TemporalMixing",
    "TemporalProjection",
    "TokenEmbedding",
]
