"""Model selection for forecasters: time-ordered panel folds and backtests.

* :class:`PanelTimeSeriesSplit`: cross-validation folds cut at the same
  timestamps in every series of a panel (for ``GridSearchCV`` and friends).
* :func:`backtest`: forecasts at many past origins beside the truth, as one
  tidy long DataFrame, from one ``predict`` pass or from refits in parallel.
* :func:`backtest_scores`: the error table of a backtest (MAE, RMSE, MASE,
  pinball loss, interval coverage) per step, per series or overall.
"""

from sktsmixer.model_selection._backtest import backtest
from sktsmixer.model_selection._scores import backtest_scores
from sktsmixer.model_selection._split import PanelTimeSeriesSplit

__all__ = ["PanelTimeSeriesSplit", "backtest", "backtest_scores"]
