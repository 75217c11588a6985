"""Forecast and training-loss plots following scikit-learn's Display pattern.

matplotlib is imported lazily: ``pip install sktsmixer[plot]`` to use these.
"""

from sktsmixer.plotting.forecast import ForecastDisplay
from sktsmixer.plotting.loss_curve import LossCurveDisplay

__all__ = ["ForecastDisplay", "LossCurveDisplay"]
