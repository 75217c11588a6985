"""``LossCurveDisplay``: the training (and hold-out) loss per epoch."""

import numpy as np
from sklearn.exceptions import NotFittedError

from sktsmixer.plotting._common import check_matplotlib, style_of

__all__ = ["LossCurveDisplay"]


class LossCurveDisplay:
    """Training (and validation) loss per epoch.

    Parameters
    ----------
    history : dict or keras History
        ``{"loss": [...], "val_loss": [...]}`` (``val_loss`` optional), e.g.
        the ``history_`` of a fitted TSMixerRegressor.

    Attributes
    ----------
    train_line_ : matplotlib Line2D
        Training loss.
    validation_line_ : matplotlib Line2D or None
        Validation loss; None without ``val_loss``.
    ax_ : matplotlib Axes
        Axes with the plot.
    figure_ : matplotlib Figure
        Figure containing the plot.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from sktsmixer.plotting import LossCurveDisplay
    >>> display = LossCurveDisplay({"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.6]})
    >>> display = display.plot(log_scale=True)
    >>> display.validation_line_.get_ydata().tolist()
    [1.1, 0.7, 0.6]
    >>> matplotlib.pyplot.close("all")
    """

    def __init__(self, history):
        history = dict(getattr(history, "history", history))
        if not len(history.get("loss", ())):
            raise ValueError("history needs a non-empty 'loss' list.")
        self.history = history

    def plot(self, ax=None, *, log_scale=False, train_kw=None, validation_kw=None):
        """Draw the loss curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure and axes when None.
        log_scale : bool, default=False
            Logarithmic y-axis.
        train_kw, validation_kw : dict, default=None
            Keywords for ``ax.plot`` overriding the defaults.

        Returns
        -------
        display : LossCurveDisplay
        """
        plt = check_matplotlib(f"{type(self).__name__}.plot")
        from matplotlib.lines import Line2D
        from matplotlib.ticker import MaxNLocator

        if ax is None:
            _, ax = plt.subplots()
        loss = np.asarray(self.history["loss"], dtype=float)
        epochs = np.arange(1, len(loss) + 1)
        style = style_of({"color": "C0", "label": "training loss"}, train_kw, Line2D)
        (self.train_line_,) = ax.plot(epochs, loss, **style)
        self.validation_line_ = None
        if len(self.history.get("val_loss", ())):
            val = np.asarray(self.history["val_loss"], dtype=float)
            style = style_of({"color": "C1", "label": "validation loss"}, validation_kw, Line2D)
            (self.validation_line_,) = ax.plot(np.arange(1, len(val) + 1), val, **style)
        if log_scale:
            ax.set_yscale("log")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set(xlabel="epoch", ylabel="loss")
        ax.legend()
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_estimator(
        cls, estimator, ax=None, *, log_scale=False, train_kw=None, validation_kw=None
    ):
        """Plot the ``history_`` of a fitted estimator.

        Parameters
        ----------
        estimator : fitted TSMixerRegressor
        ax, log_scale, train_kw, validation_kw
            As in :meth:`plot`.

        Returns
        -------
        display : LossCurveDisplay
        """
        check_matplotlib(f"{cls.__name__}.from_estimator")
        if getattr(estimator, "history_", None) is None:
            raise NotFittedError(f"{type(estimator).__name__} is not fitted: it has no history_.")
        return cls(estimator.history_).plot(
            ax, log_scale=log_scale, train_kw=train_kw, validation_kw=validation_kw
        )
