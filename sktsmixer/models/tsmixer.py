"""The TSMixer model builder: a functional ``keras.Model`` made of the layers."""

import keras

from sktsmixer.layers._checks import check_choice, check_positive_int, check_rate, offset_seed
from sktsmixer.layers.mixing import NORMS, MixingLayer, ReversibleInstanceNorm
from sktsmixer.layers.projection import TemporalProjection, TokenEmbedding

__all__ = ["build_tsmixer", "dense_flops"]


def dense_flops(input_size, horizon, n_features, n_blocks, ff_dim):
    """FLOPs (2 x multiply-adds) of the dense layers in one window's forward pass.

    Temporal mixing (``input_size`` x ``input_size`` per channel), feature
    mixing (``n_features`` -> ``ff_dim`` -> ``n_features`` per time step)
    and the temporal projection; element-wise work is not counted. A
    training step costs about three times this per window.

    >>> dense_flops(512, 96, 7, 2, 64)
    9863168
    """
    temporal = 2 * n_features * input_size * input_size
    feature = 2 * input_size * (n_features * ff_dim + ff_dim * n_features)
    projection = 2 * n_features * input_size * horizon
    return n_blocks * (temporal + feature) + projection


def _check_target_indices(target_indices, n_features):
    indices = [int(i) for i in target_indices]
    bad = [i for i in indices if not 0 <= i < n_features]
    if not indices or bad:
        raise ValueError(
            f"`target_indices` must be a non-empty list of channel indices in "
            f"[0, {n_features}), got target_indices={list(target_indices)!r}."
        )
    return indices


def build_tsmixer(
    input_size,
    n_features,
    horizon,
    target_indices=None,
    n_targets=None,
    n_blocks=2,
    ff_dim=64,
    dropout=0.1,
    norm="batch",
    revin=True,
    embed_dim=None,
    kernel_size=3,
    seed=None,
    name="tsmixer",
):
    """Build a TSMixer forecasting model.

    The graph is ``ReversibleInstanceNorm("norm")`` -> optional
    ``TokenEmbedding`` -> ``n_blocks`` x ``MixingLayer`` -> ``TemporalProjection``
    (time ``input_size`` -> ``horizon``, shared by channels) -> output channels
    -> ``ReversibleInstanceNorm("denorm")``. The temporal projection's
    kernel starts at zero, so the untrained model forecasts a flat line at
    each window's level; the mixing blocks and the projection learn the
    departures from it.

    Output channels are chosen in one of two ways:

    * ``target_indices`` given (the targets are input channels, the paper's
      ``target_slice``): without an embedding the head keeps exactly those
      channels; with an embedding a ``Dense`` maps the ``embed_dim`` channels
      to the targets. Reversible normalisation then restores each target's
      level and scale from its own input channel.
    * ``n_targets`` given (the targets are not input channels): a ``Dense``
      maps the mixed channels to ``n_targets`` outputs, with no denormalisation.

    Args:
        input_size: Number of time steps in an input window.
        n_features: Number of input channels.
        horizon: Number of time steps forecast.
        target_indices: Input channels to forecast (mutually exclusive with
            ``n_targets``).
        n_targets: Number of outputs that are not input channels.
        n_blocks: Number of ``MixingLayer`` blocks.
        ff_dim: Hidden width of the feature-mixing MLPs.
        dropout: Dropout rate in [0, 1).
        norm: ``"batch"`` or ``"layer"`` normalisation inside the blocks.
        revin: Whether to apply reversible instance normalisation.
        embed_dim: ``None`` (mix the raw channels) or an int: lift the channels
            to ``embed_dim`` with ``TokenEmbedding`` first.
        kernel_size: Width of the ``TokenEmbedding`` convolution.
        seed: Optional int that makes initial weights and dropout reproducible.
        name: Name of the model.

    Returns:
        A ``keras.Model`` mapping ``(batch, input_size, n_features)`` to
        ``(batch, horizon, n_outputs)``.

    Example:

    >>> model = build_tsmixer(input_size=96, n_features=7, horizon=24,
    ...                       target_indices=[6])
    >>> model.output_shape
    (None, 24, 1)
    """
    input_size = check_positive_int("input_size", input_size)
    n_features = check_positive_int("n_features", n_features)
    horizon = check_positive_int("horizon", horizon)
    n_blocks = check_positive_int("n_blocks", n_blocks)
    ff_dim = check_positive_int("ff_dim", ff_dim)
    dropout = check_rate("dropout", dropout)
    check_choice("norm", norm, NORMS)
    if embed_dim is not None:
        embed_dim = check_positive_int("embed_dim", embed_dim)
    if (target_indices is None) == (n_targets is None):
        raise ValueError(
            "Pass exactly one of `target_indices` (targets are input channels) and "
            f"`n_targets` (targets are other series); got target_indices="
            f"{target_indices!r}, n_targets={n_targets!r}."
        )
    if target_indices is not None:
        target_indices = _check_target_indices(target_indices, n_features)
    else:
        n_targets = check_positive_int("n_targets", n_targets)

    inputs = keras.Input(shape=(input_size, n_features), name="window")
    x = inputs
    if revin:
        rev_norm = ReversibleInstanceNorm(n_features, name="rev_norm")
        x, center, scale = rev_norm(x, mode="norm")
    channels = n_features
    if embed_dim is not None:
        x = TokenEmbedding(
            n_features, embed_dim, kernel_size, seed=offset_seed(seed, 1000), name="embedding"
        )(x)
        channels = embed_dim
    for block in range(n_blocks):
        x = MixingLayer(
            channels,
            input_size,
            dropout,
            ff_dim,
            norm,
            seed=offset_seed(seed, 100 * block),
            name=f"mixing_{block}",
        )(x)

    slice_targets = target_indices is not None and embed_dim is None
    x = TemporalProjection(
        horizon,
        channels=target_indices if slice_targets else None,
        seed=offset_seed(seed, 2000),
        # Zeros: the untrained model forecasts each window's level (RevIN's
        # centre) instead of a random mix of its steps; on small data it then
        # beats a seasonal-naive forecast in far fewer steps
        # (benchmarks/convergence.py).
        kernel_initializer="zeros",
        name="temporal_projection",
    )(x)
    if not slice_targets:
        n_outputs = len(target_indices) if target_indices is not None else n_targets
        x = keras.layers.Dense(
            n_outputs,
            kernel_initializer=keras.initializers.GlorotUniform(seed=offset_seed(seed, 3000)),
            name="output_projection",
        )(x)
    if revin and target_indices is not None:
        x = rev_norm([x, center, scale], mode="denorm", target_indices=target_indices)
    return keras.Model(inputs, x, name=name)
