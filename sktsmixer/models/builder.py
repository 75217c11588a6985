"""The model an estimator trains, chosen from the layout of its inputs."""

from sktsmixer.models.tsmixer import build_tsmixer
from sktsmixer.models.tsmixer_ext import build_tsmixer_ext

__all__ = ["build_model"]


def build_model(
    layout,
    *,
    input_size,
    horizon,
    n_dynamic,
    n_time_features,
    target_indices,
    n_outputs,
    n_quantiles,
    n_blocks,
    ff_dim,
    embed_dim,
    dropout,
    norm,
    revin,
    known_ahead_in_units,
    categoricals,
    seed,
):
    """Build :func:`build_tsmixer`, or :func:`build_tsmixer_ext` for named inputs.

    Parameters
    ----------
    layout : WindowLayout
        The inputs (see :class:`sktsmixer.data.windows.WindowLayout`):
        named inputs take the extended model.
    input_size, horizon : int
    n_dynamic, n_time_features : int
        Value columns of the series, and calendar features (two columns
        each: sine and cosine).
    target_indices : ndarray of int or None
        Forecast columns (None: ``n_outputs`` targets of a separate ``y``,
        one step ahead).
    n_outputs : int
    n_quantiles : int or None
    n_blocks, ff_dim, embed_dim, dropout, norm, seed
        The architecture, as :func:`build_tsmixer` takes it.
    revin : bool or "auto"
        Reversible instance normalisation; "auto" (see below).
    known_ahead_in_units : bool
        Whether a known-ahead input is a number in the units of the series.
    categoricals : dict
        Category inputs of the extended model (see
        :func:`sktsmixer.data.categorical.model_categoricals`).

    Returns
    -------
    keras.Model
    """
    forecasts_columns = target_indices is not None
    # Instance normalisation rescales the targets by statistics of the past
    # window only; a known-ahead column stays in the units of the series, so
    # with one the effect of that input would change from window to window.
    # Calendar features, category codes and statics are not in those units
    # and keep it on (tourism panel, tuning block: relMASE 0.858 with
    # categorical statics and RevIN, 0.895 without RevIN, 0.867 with
    # neither). The series are standardised per series anyway.
    if revin == "auto":
        revin = forecasts_columns and not known_ahead_in_units
    revin = bool(revin)
    if layout.named:
        # A known-ahead column is read on the horizon in the units of the
        # series: its past values stay in them too.
        known_ahead = set(layout.future_columns)
        n_past = n_dynamic + 2 * n_time_features
        return build_tsmixer_ext(
            input_size=input_size,
            horizon=horizon,
            n_past_features=n_past,
            target_indices=[int(i) for i in target_indices],
            n_future_features=len(layout.future_columns),
            n_static_features=layout.n_static,
            n_quantiles=n_quantiles,
            n_blocks=n_blocks,
            ff_dim=ff_dim,
            hidden_dim=embed_dim,
            dropout=dropout,
            norm=norm,
            revin=revin,
            revin_channels=[c for c in range(n_past) if c not in known_ahead],
            seed=seed,
            **categoricals,
        )
    return build_tsmixer(
        input_size=input_size,
        n_features=n_dynamic,
        horizon=horizon if forecasts_columns else 1,
        target_indices=[int(i) for i in target_indices] if forecasts_columns else None,
        n_targets=None if forecasts_columns else n_outputs,
        n_blocks=n_blocks,
        ff_dim=ff_dim,
        dropout=dropout,
        norm=norm,
        revin=revin,
        embed_dim=embed_dim,
        seed=seed,
    )
