"""neuralforecast's own TSMixer module, the peer of the speed benchmark.

The model is built through the library (``neuralforecast.models.TSMixer``) with
the sizes of ours; only its torch module is timed, the way a training step of
neuralforecast runs it: windows gathered per batch from the series, forward,
mean squared error, backward, Adam. Lightning's trainer loop, data loader and
scalers are left out, which favours the peer.

``train_windows_per_s``, ``infer_windows_per_s`` and ``versions`` are what
``speed.py`` calls in the peer's own process.
"""

import os
import time

import _common
import torch
from torch import nn


class _WindowsToForecast(nn.Module):
    """Calls neuralforecast's module on a ``(batch, input_size, n_series)`` tensor."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model({"insample_y": x})


def build(input_size, n_series, horizon, n_blocks, ff_dim, dropout, seed=0):
    """neuralforecast's TSMixer (RevIN on, as its default) wrapped for plain tensors."""
    _common.quiet_lightning()
    from neuralforecast.losses.pytorch import MSE
    from neuralforecast.models import TSMixer

    torch.set_num_threads(os.cpu_count())
    torch.manual_seed(seed)
    model = TSMixer(
        h=horizon,
        input_size=input_size,
        n_series=n_series,
        n_block=n_blocks,
        ff_dim=ff_dim,
        dropout=dropout,
        revin=True,
        loss=MSE(),
        random_seed=seed,
    )
    return _WindowsToForecast(model)


def train_steps(model, optimizer, series, ends, input_size, horizon):
    """One optimizer step per batch of window ends (windows gathered per batch)."""
    window = torch.arange(1 - input_size, 1)
    future = torch.arange(1, horizon + 1)
    model.train()
    for batch in ends:
        x = series[batch[:, None] + window]
        y = series[batch[:, None] + future]
        optimizer.zero_grad(set_to_none=True)
        loss = torch.mean((model(x) - y) ** 2)
        loss.backward()
        optimizer.step()
    return loss.item()


@torch.inference_mode()
def predict(model, series, ends, input_size, batch_size):
    window = torch.arange(1 - input_size, 1)
    model.eval()
    return [
        model(series[ends[i : i + batch_size, None] + window])
        for i in range(0, len(ends), batch_size)
    ]


def versions():
    import neuralforecast

    return {
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "neuralforecast": neuralforecast.__version__,
    }


def _model_and_optimizer(sizes):
    input_size, horizon, channels, n_blocks, ff_dim = sizes
    model = build(input_size, channels, horizon, n_blocks, ff_dim, dropout=0.1)
    return model, torch.optim.Adam(model.parameters(), lr=1e-3)


def train_windows_per_s(sizes, train_windows, batch_size):
    input_size, horizon, channels = sizes[:3]
    steps = max(1, train_windows // batch_size)
    n_windows = steps * batch_size
    series = torch.from_numpy(_common.synthetic_series(input_size + horizon + n_windows, channels))
    model, optimizer = _model_and_optimizer(sizes)
    ends = torch.randperm(n_windows) + input_size - 1
    batches = [ends[i : i + batch_size] for i in range(0, n_windows, batch_size)]
    train_steps(model, optimizer, series, batches[:3], input_size, horizon)  # warm-up
    start = time.perf_counter()
    train_steps(model, optimizer, series, batches, input_size, horizon)
    return n_windows / (time.perf_counter() - start)


def infer_windows_per_s(sizes, infer_windows, batch_size):
    input_size, _, channels = sizes[:3]
    series = torch.from_numpy(_common.synthetic_series(input_size + infer_windows, channels))
    model, _ = _model_and_optimizer(sizes)
    ends = torch.arange(infer_windows) + input_size
    predict(model, series, ends[:batch_size], input_size, batch_size)  # warm-up
    start = time.perf_counter()
    predict(model, series, ends, input_size, batch_size)
    return infer_windows / (time.perf_counter() - start)
