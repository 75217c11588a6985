"""The two Keras models the estimator trains, built from :mod:`sktsmixer.layers`.

- :func:`build_tsmixer`: TSMixer, a past window in, the horizon out;
- :func:`build_tsmixer_ext`: TSMixer-Ext, with known-ahead, static and
  categorical inputs and quantile outputs;
- :func:`build_model`: the one of the two an estimator's inputs need.
"""

from sktsmixer.models.builder import build_model
from sktsmixer.models.tsmixer import build_tsmixer
from sktsmixer.models.tsmixer_ext import build_tsmixer_ext

__all__ = ["build_model", "build_tsmixer", "build_tsmixer_ext"]
