"""From a :class:`~sktsmixer.data.panel.Panel` to the arrays the model trains on.

* **Scaling.** Every series is standardised by its own mean and standard
  deviation (computed on the rows its training windows read), so series of
  very different levels train together; static columns are standardised
  across series.
* **Missing values.** A NaN input (a gap row or a missing value) is filled
  with the last observed value of its series (the series mean before the
  first one); a NaN target is masked out of the loss.
* **Windows.** A window may end at row ``t`` of a series when ``t`` is a row
  of ``X``, at least half of its ``input_size`` rows are rows of ``X``, and
  at least one of its targets is observed; windows never cross series.
"""

import math

import numpy as np

__all__ = [
    "fill_forward",
    "last_window_ends",
    "scaling_statistics",
    "split_by_series",
    "valid_window_ends",
]

# Rows of the temporaries of one pass of valid_window_ends.
CHUNK_ROWS = 1 << 20
MIN_OBSERVED_FRACTION = 0.5


def scaling_statistics(values, offsets, stops):
    """Per-block mean and scale of ``values`` over rows ``offsets[i]:stops[i]``.

    NaN entries are ignored; an all-NaN column gets mean 0, a constant one
    scale 1 (as ``StandardScaler`` does).

    Returns
    -------
    mean, scale : ndarrays of shape (n_blocks, n_columns), float64
    """
    n_blocks = len(offsets) - 1
    mean = np.zeros((n_blocks, values.shape[1]))
    scale = np.ones((n_blocks, values.shape[1]))
    for i in range(n_blocks):
        rows = values[offsets[i] : stops[i]].astype(np.float64)
        observed = ~np.isnan(rows)
        count = observed.sum(axis=0)
        total = np.where(observed, rows, 0.0).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            m = np.where(count > 0, total / count, 0.0)
            var = np.where(observed, (rows - m) ** 2, 0.0).sum(axis=0) / np.maximum(count, 1)
        std = np.sqrt(var)
        mean[i] = m
        scale[i] = np.where(std > np.finfo(np.float64).eps * np.maximum(1.0, np.abs(m)), std, 1.0)
    return mean, scale


def standardize_blocks(values, offsets, mean, scale, codes=None):
    """Standardise every block of ``values`` in place with its statistics.

    ``codes[i]`` picks the row of ``mean``/``scale`` for block ``i``.
    """
    for i in range(len(offsets) - 1):
        c = i if codes is None else codes[i]
        block = values[offsets[i] : offsets[i + 1]]
        block -= mean[c].astype(values.dtype)
        block /= scale[c].astype(values.dtype)
    return values


def fill_forward(values, offsets):
    """Replace NaN in place by the last observed value of the same block, else 0."""
    n_rows = len(values)
    block_start = rows = None
    for j in range(values.shape[1]):
        column = values[:, j]
        missing = np.isnan(column)
        if not missing.any():
            continue
        if rows is None:  # only built when some value is missing
            block_start = np.repeat(offsets[:-1], np.diff(offsets))
            rows = np.arange(n_rows)
        last = np.maximum.accumulate(np.where(missing, -1, rows))
        usable = last >= block_start
        filled = np.where(usable, column[np.maximum(last, 0)], 0.0)
        column[missing] = filled[missing]
    return values


def valid_window_ends(present, offsets, input_size, target_offsets, target_observed):
    """End rows (and their block) of the windows that can be trained on.

    Parameters
    ----------
    present : ndarray of bool, shape (n_rows,)
        Rows of ``X`` (False in gaps).
    offsets : ndarray of shape (n_blocks + 1,)
    input_size : int
    target_offsets : ndarray of int
        Contiguous rows after the end row that hold the targets.
    target_observed : ndarray of bool, shape (n_rows,)
        Whether any target of the row is observed.

    Returns
    -------
    ends, codes : ndarrays of int
    """
    # Windows never cross blocks, so runs of whole blocks are done one at a
    # time: the row-sized temporaries stay at most CHUNK_ROWS long, which
    # matters on panels of tens of millions of rows.
    # Preallocated: at most one end per row, and no int64 copies to concatenate.
    ends = np.empty(len(present), dtype=np.int32)
    codes = np.empty(len(present), dtype=np.int32)
    n = 0
    for first_block, stop_block in _block_runs(offsets, CHUNK_ROWS):
        start, stop = int(offsets[first_block]), int(offsets[stop_block])
        run_ends, run_codes = _valid_ends_in_run(
            present[start:stop],
            offsets[first_block : stop_block + 1] - start,
            input_size,
            target_offsets,
            target_observed[start:stop],
        )
        ends[n : n + len(run_ends)] = run_ends + start
        codes[n : n + len(run_ends)] = run_codes + first_block
        n += len(run_ends)
    # int32: parse_panel refuses grids with more rows than int32 holds.
    return ends[:n], codes[:n]


def last_window_ends(ends, codes, keep, n_blocks):
    """The last of the ``ends`` kept by the mask ``keep`` in every block (-1: none).

    Chunk by chunk, as masked copies of the ends of a big panel would be
    the biggest temporaries of its fit.
    """
    last = np.full(n_blocks, -1, dtype=np.int64)
    for start in range(0, len(ends), CHUNK_ROWS):
        chunk = slice(start, start + CHUNK_ROWS)
        kept = keep[chunk]
        np.maximum.at(last, codes[chunk][kept], ends[chunk][kept])
    return last


def _block_runs(offsets, max_rows):
    """``(first, stop)`` block ranges of at most ``max_rows`` rows (or one block)."""
    n_blocks = len(offsets) - 1
    first = 0
    while first < n_blocks:
        stop = int(np.searchsorted(offsets, offsets[first] + max_rows, side="right")) - 1
        stop = min(max(stop, first + 1), n_blocks)
        yield first, stop
        first = stop


def _valid_ends_in_run(present, offsets, input_size, target_offsets, target_observed):
    n_rows = len(present)
    lengths = np.diff(offsets)
    codes_of_rows = np.repeat(np.arange(len(lengths)), lengths)
    rows = np.arange(n_rows)
    position = rows - offsets[:-1][codes_of_rows]
    first, last = int(target_offsets[0]), int(target_offsets[-1])
    inside = (position >= input_size - 1) & (position <= lengths[codes_of_rows] - 1 - last)
    del position
    seen = np.concatenate([[0], np.cumsum(present)])
    window_start = np.clip(rows - input_size + 1, 0, None)
    enough_input = seen[rows + 1] - seen[window_start] >= math.ceil(
        MIN_OBSERVED_FRACTION * input_size
    )
    del seen, window_start
    targets_seen = np.concatenate([[0], np.cumsum(target_observed)])
    lo = np.clip(rows + first, 0, n_rows)
    hi = np.clip(rows + last + 1, 0, n_rows)
    has_target = targets_seen[hi] - targets_seen[lo] > 0
    ends = np.flatnonzero(inside & present & enough_input & has_target)
    return ends, codes_of_rows[ends]


def split_by_series(ends, codes, n_blocks, validation_fraction, gap):
    """Chronological hold-out per series: the last ``validation_fraction`` of
    every series' window ends, with ``gap`` rows between training and hold-out
    ends so that no target row is shared.

    Returns
    -------
    train, validation : ndarrays of bool masks over ``ends``
    """
    counts = np.bincount(codes, minlength=n_blocks)
    first = np.concatenate([[0], np.cumsum(counts)])[:-1]
    rank = np.arange(len(ends)) - first[codes]
    n_validation = np.ceil(validation_fraction * counts).astype(int)
    validation = rank >= (counts - n_validation)[codes]
    first_validation_end = np.full(n_blocks, np.iinfo(np.int64).max)
    np.minimum.at(first_validation_end, codes[validation], ends[validation])
    train = ~validation & (ends <= first_validation_end[codes] - gap)
    return train, validation
