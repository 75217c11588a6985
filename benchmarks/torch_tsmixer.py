"""The TSMixer architecture in plain PyTorch, the reference for the speed benchmark.

Same graph as ``sktsmixer.build_tsmixer`` with ``target_indices`` = all channels
and no embedding: RevIN -> n_blocks x (temporal mixing, feature mixing) ->
temporal projection -> RevIN denormalisation. Batch normalisation over the
flattened time x channel cells, epsilon 1e-3, PyTorch momentum 0.01 (Keras 0.99).
"""

import torch
from torch import nn


class RevIN(nn.Module):
    def __init__(self, n_features, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(n_features))
        self.bias = nn.Parameter(torch.zeros(n_features))

    def norm(self, x):
        center = x.mean(dim=1, keepdim=True).detach()
        scale = torch.sqrt(x.var(dim=1, keepdim=True, unbiased=False) + self.eps).detach()
        return (x - center) / scale * self.weight + self.bias, center, scale

    def denorm(self, y, center, scale):
        return (y - self.bias) / (self.weight + self.eps * self.eps) * scale + center


class FlatBatchNorm(nn.Module):
    def __init__(self, input_size, n_features):
        super().__init__()
        self.norm = nn.BatchNorm1d(input_size * n_features, eps=1e-3, momentum=0.01)

    def forward(self, x):
        return self.norm(x.reshape(x.shape[0], -1)).reshape(x.shape)


class TemporalMixing(nn.Module):
    def __init__(self, input_size, n_features, dropout):
        super().__init__()
        self.norm = FlatBatchNorm(input_size, n_features)
        self.dense = nn.Linear(input_size, input_size)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        h = self.norm(x).transpose(1, 2)
        h = torch.relu(self.dense(h)).transpose(1, 2)
        return x + self.dropout(h)


class FeatureMixing(nn.Module):
    def __init__(self, input_size, n_features, ff_dim, dropout):
        super().__init__()
        self.norm = FlatBatchNorm(input_size, n_features)
        self.hidden = nn.Linear(n_features, ff_dim)
        self.out = nn.Linear(ff_dim, n_features)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        h = self.dropout(torch.relu(self.hidden(self.norm(x))))
        return x + self.dropout(self.out(h))


class TSMixer(nn.Module):
    def __init__(self, input_size, n_features, horizon, n_blocks=2, ff_dim=64, dropout=0.1):
        super().__init__()
        self.revin = RevIN(n_features)
        self.blocks = nn.Sequential(
            *(
                nn.Sequential(
                    TemporalMixing(input_size, n_features, dropout),
                    FeatureMixing(input_size, n_features, ff_dim, dropout),
                )
                for _ in range(n_blocks)
            )
        )
        self.projection = nn.Linear(input_size, horizon)

    def forward(self, x):
        x, center, scale = self.revin.norm(x)
        x = self.blocks(x)
        y = self.projection(x.transpose(1, 2)).transpose(1, 2)
        return self.revin.denorm(y, center, scale)


def train_steps(model, optimizer, series, ends, input_size, horizon):
    """Run one optimizer step per batch of window ends (windows gathered per batch)."""
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
    return float(loss)


@torch.no_grad()
def predict(model, series, ends, input_size, batch_size):
    window = torch.arange(1 - input_size, 1)
    model.eval()
    return [
        model(series[ends[i : i + batch_size, None] + window])
        for i in range(0, len(ends), batch_size)
    ]
