"""The TSMixer-Ext model builder (Chen et al., 2023, section 4): past, future and static inputs."""

import keras
from keras import ops

from sktsmixer.layers._checks import check_choice, check_positive_int, check_rate, offset_seed
from sktsmixer.layers.categorical import CategoricalChannels
from sktsmixer.layers.ext import (
    ConditionalFeatureMixing,
    ConditionalMixingLayer,
    QuantileHead,
    SortQuantiles,
    check_non_negative_int,
)
from sktsmixer.layers.mixing import NORMS, ReversibleInstanceNorm
from sktsmixer.layers.projection import TemporalProjection

__all__ = ["PinballLoss", "build_tsmixer_ext"]


def _check_target_indices(target_indices, n_features):
    try:
        indices = [int(i) for i in target_indices]
    except (TypeError, ValueError):
        indices = None
    if not indices or any(not 0 <= i < n_features for i in indices):
        raise ValueError(
            f"`target_indices` must be a non-empty list of channel indices of 'past' in "
            f"[0, {n_features}), got target_indices={target_indices!r}."
        )
    return indices


def check_quantiles(quantiles):
    """Return ``quantiles`` as a list of floats strictly increasing in (0, 1), else raise."""
    try:
        levels = [float(q) for q in quantiles if not isinstance(q, bool)]
    except (TypeError, ValueError):
        levels = []
    bounded = [0.0, *levels, 1.0]
    increasing = all(a < b for a, b in zip(bounded, bounded[1:], strict=False))
    if not levels or len(levels) != len(quantiles) or not increasing:
        raise ValueError(
            "`quantiles` must be a non-empty sequence of levels strictly increasing in (0, 1), "
            f"got quantiles={quantiles!r}."
        )
    return levels


@keras.saving.register_keras_serializable(package="sktsmixer")
class PinballLoss(keras.losses.Loss):
    """Pinball (quantile) loss averaged over the quantile levels.

    ``y_pred`` holds one forecast per level on its last axis, in the order of
    ``quantiles`` (the order ``build_tsmixer_ext`` outputs); ``y_true`` has
    one axis fewer. A ``Loss`` subclass, so Keras never squeezes a
    one-quantile axis, and it saves with the model.

    Args:
        quantiles: Levels strictly increasing in (0, 1).
        name: Name of the loss.
        reduction: Keras loss reduction.

    Example:

    >>> loss = PinballLoss([0.1, 0.9])
    >>> y_true = keras.ops.zeros((1, 2, 1))
    >>> y_pred = keras.ops.array([[[[-1.0, 1.0]], [[1.0, -1.0]]]])
    >>> round(float(loss(y_true, y_pred)), 4)  # (0.1 + 0.1 + 0.9 + 0.9) / 4
    0.5
    """

    def __init__(self, quantiles=(0.1, 0.5, 0.9), name="pinball_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.quantiles = check_quantiles(quantiles)

    def call(self, y_true, y_pred):
        levels = ops.convert_to_tensor(self.quantiles, dtype=y_pred.dtype)
        error = ops.expand_dims(y_true, -1) - y_pred
        return ops.mean(ops.maximum(levels * error, (levels - 1) * error), axis=-1)

    def get_config(self):
        return {**super().get_config(), "quantiles": self.quantiles}


def build_tsmixer_ext(
    input_size,
    horizon,
    n_past_features,
    target_indices,
    n_future_features=0,
    n_static_features=0,
    n_quantiles=None,
    n_blocks=2,
    ff_dim=64,
    hidden_dim=None,
    dropout=0.1,
    norm="batch",
    revin=True,
    revin_channels=None,
    seed=None,
    name="tsmixer_ext",
    past_categoricals=None,
    future_categoricals=None,
    static_categoricals=None,
):
    """Build a TSMixer-Ext forecasting model with auxiliary inputs.

    The model takes a dict of named inputs:

    * ``"past"``: ``(batch, input_size, n_past_features)``, the history of the
      targets and of any other observed series;
    * ``"future"``: ``(batch, horizon, n_future_features)``, covariates known
      for the forecast steps (only when ``n_future_features > 0``);
    * ``"static"``: ``(batch, n_static_features)``, time-invariant features
      (only when ``n_static_features > 0``).

    Graph: ``ReversibleInstanceNorm("norm")`` over the past channels (if
    ``revin``; ``revin_channels`` of them) -> align: ``TemporalProjection`` (time ``input_size`` ->
    ``horizon``) then ``ConditionalFeatureMixing`` to ``hidden_dim``
    channels; the future inputs through their own
    ``ConditionalFeatureMixing`` to ``hidden_dim`` -> concatenate ->
    ``n_blocks`` x ``ConditionalMixingLayer`` over ``horizon`` steps ->
    ``QuantileHead``. A linear skip, ``TemporalProjection`` of the normalised
    past target channels, is added to the head output (over every quantile):
    it keeps the base TSMixer's strong linear forecast as a path, so the
    mixing blocks only need to learn the correction. Finally RevIN
    denormalises each target with its own past channel's statistics. RevIN's
    learned affine weight may become negative, which would reverse the
    quantile order, so the quantiles are sorted again after denormalisation:
    they never cross.

    Static and future inputs are not instance-normalised: standardise them
    beforehand (e.g. with training-set statistics). A known-ahead series fed
    both in ``"past"`` and in ``"future"`` should then be left out of
    ``revin_channels``, so that both see it in the same units.

    Args:
        input_size: Number of past time steps.
        horizon: Number of time steps forecast.
        n_past_features: Number of channels of ``"past"``.
        target_indices: Channels of ``"past"`` that are forecast, in order.
        n_future_features: Number of channels of ``"future"`` (0: no input).
        n_static_features: Number of static features (0: no input).
        n_quantiles: ``None`` (point forecast) or the number of quantile
            levels; the outputs are increasing along the quantile axis, to be
            trained with ``PinballLoss`` at increasing levels.
        n_blocks: Number of ``ConditionalMixingLayer`` blocks.
        ff_dim: Hidden width of the feature-mixing MLPs.
        hidden_dim: Channels of each aligned stream and of the blocks
            (default: ``ff_dim``).
        dropout: Dropout rate in [0, 1).
        norm: ``"batch"`` or ``"layer"`` normalisation inside the mixers.
        revin: Whether to apply reversible instance normalisation.
        revin_channels: Channels of ``"past"`` that RevIN normalises
            (default: all); must include ``target_indices``.
        seed: Optional int that makes initial weights and dropout reproducible.
        name: Name of the model.
        past_categoricals, future_categoricals, static_categoricals: Lists
            of ``[channel, K, dim]``: that channel of the input holds
            category codes (0 unknown, 1..K), encoded one-hot (``dim`` 0)
            or by a learned embedding of ``dim`` channels (see
            ``CategoricalChannels``); code channels are never RevIN
            normalised, nor forecast.

    Returns:
        A ``keras.Model`` mapping the input dict to ``(batch, horizon, k)``, or
        ``(batch, horizon, k, n_quantiles)`` with quantiles, where
        ``k = len(target_indices)``.

    Example:

    >>> model = build_tsmixer_ext(input_size=48, horizon=12, n_past_features=3,
    ...                           target_indices=[0], n_future_features=2,
    ...                           n_static_features=4, n_quantiles=3)
    >>> sorted(model.input)
    ['future', 'past', 'static']
    >>> model.output_shape
    (None, 12, 1, 3)
    """
    input_size = check_positive_int("input_size", input_size)
    horizon = check_positive_int("horizon", horizon)
    n_past = check_positive_int("n_past_features", n_past_features)
    targets = _check_target_indices(target_indices, n_past)
    n_future = check_non_negative_int("n_future_features", n_future_features)
    n_static = check_non_negative_int("n_static_features", n_static_features)
    if n_quantiles is not None:
        n_quantiles = check_positive_int("n_quantiles", n_quantiles)
    n_blocks = check_positive_int("n_blocks", n_blocks)
    ff_dim = check_positive_int("ff_dim", ff_dim)
    hidden_dim = ff_dim if hidden_dim is None else check_positive_int("hidden_dim", hidden_dim)
    dropout = check_rate("dropout", dropout)
    check_choice("norm", norm, NORMS)
    k = len(targets)
    if revin_channels is not None:
        revin_channels = sorted({int(c) for c in revin_channels})
        if not set(targets) <= set(revin_channels):
            raise ValueError(
                f"revin_channels={revin_channels} must include the target channels {targets}: "
                "the forecast is denormalised with their statistics."
            )

    past_codes = {int(c) for c, _, _ in past_categoricals or []}
    if past_codes & set(targets):
        raise ValueError(f"Category code channels {sorted(past_codes)} cannot be targets.")
    if past_codes:  # codes are labels: RevIN never shifts or scales them
        kept = range(n_past) if revin_channels is None else revin_channels
        revin_channels = [c for c in kept if c not in past_codes]

    def encoded(x, categoricals, n_channels, offset, label):
        if not categoricals:
            return x, n_channels
        layer = CategoricalChannels(
            n_channels, categoricals, seed=offset_seed(seed, offset), name=f"{label}_categories"
        )
        return layer(x), layer.output_channels

    past = keras.Input(shape=(input_size, n_past), name="past")
    inputs = {"past": past}
    static = None
    if n_static:
        static = inputs["static"] = keras.Input(shape=(n_static,), name="static")
        static, n_static = encoded(static, static_categoricals, n_static, 4000, "static")

    def conditioned(x):
        return [x, static] if n_static else x

    x = past
    if revin:
        rev_norm = ReversibleInstanceNorm(n_past, channels=revin_channels, name="rev_norm")
        x, center, scale = rev_norm(x, mode="norm")
    normalised_past = x
    x, n_past_mixed = encoded(x, past_categoricals, n_past, 4100, "past")
    aligned = TemporalProjection(horizon, seed=offset_seed(seed, 1000), name="align_past")(x)
    common = dict(n_static=n_static, ff_dim=ff_dim, dropout=dropout, norm=norm)
    past_mixing = ConditionalFeatureMixing(
        n_past_mixed,
        input_size=horizon,
        output_dim=hidden_dim,
        seed=offset_seed(seed, 1100),
        name="past_mixing",
        **common,
    )
    streams = [past_mixing(conditioned(aligned))]
    if n_future:
        future = inputs["future"] = keras.Input(shape=(horizon, n_future), name="future")
        future, n_future_mixed = encoded(future, future_categoricals, n_future, 4200, "future")
        future_mixing = ConditionalFeatureMixing(
            n_future_mixed,
            input_size=horizon,
            output_dim=hidden_dim,
            seed=offset_seed(seed, 1200),
            name="future_mixing",
            **common,
        )
        streams.append(future_mixing(conditioned(future)))
    x = streams[0] if len(streams) == 1 else keras.layers.Concatenate(name="concat")(streams)
    for block in range(n_blocks):
        mixing = ConditionalMixingLayer(
            x.shape[-1],
            input_size=horizon,
            output_dim=hidden_dim,
            seed=offset_seed(seed, 100 * block),
            name=f"mixing_{block}",
            **common,
        )
        x = mixing(conditioned(x))
    x = QuantileHead(k, n_quantiles, seed=offset_seed(seed, 2000), name="head")(x)

    skip = TemporalProjection(
        horizon, channels=targets, seed=offset_seed(seed, 3000), name="linear_skip"
    )(normalised_past)
    if n_quantiles is not None:
        skip = keras.layers.Reshape((horizon, k, 1), name="skip_over_quantiles")(skip)
    x = keras.layers.Add(name="add_skip")([x, skip])

    if revin:
        if n_quantiles is None:
            x = rev_norm([x, center, scale], mode="denorm", target_indices=targets)
        else:
            # Quantiles onto the time axis, where RevIN's statistics broadcast.
            x = keras.layers.Permute((3, 1, 2), name="quantiles_first")(x)
            x = keras.layers.Reshape((n_quantiles * horizon, k), name="stack_quantiles")(x)
            x = rev_norm([x, center, scale], mode="denorm", target_indices=targets)
            x = keras.layers.Reshape((n_quantiles, horizon, k), name="split_quantiles")(x)
            x = keras.layers.Permute((2, 3, 1), name="quantiles_last")(x)
            x = SortQuantiles(name="sort_quantiles")(x)
    return keras.Model(inputs, x, name=name)
