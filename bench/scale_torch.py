"""scale_torch.py — PyTorch's side of `make bench-scale` (bench/scale.py):
one point, a network 784-H...-10 trained with SGD on an uncompressed IDX
file, the samples/s of its steady loop and its peak RSS.

    /usr/bin/python3 bench/scale_torch.py IMAGES LABELS HIDDEN BATCH SECONDS

HIDDEN: the hidden widths, "16,16" or "4096".  The rows are standardized
by a mean and deviation measured on the first 10,000 rows.  Where their
floats take at most 4 GiB (1M rows: 3.1 GB) they are converted,
standardized and shuffled once, outside the timer, and the loop slices
them (PyTorch at its best, as in bench/train_torch.py); 10M rows (7.8 GB
as bytes, 31 GB as floats) stay bytes, and each batch is gathered in a
shuffled order and converted: what descent does with IDX pixels.  After 3 steps' warm-up the loop runs
for SECONDS (or one epoch, if that comes first) and the line printed is

    torch rows=10000 hidden=16,16 batch=32 samples=81920 seconds=2.50 samples_per_s=32768 rss_kb=400000 torch_threads=2 openblas=SkylakeX

Threads and OpenBLAS's kernels as the caller sets them (bench/scale.py:
the setting bench/peers.py found fastest, when `make bench` has run).
"""
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_torch import openblas, step, threads  # noqa: E402


FLOATS_MAX = 4 << 30   # bytes of floats the rows may take whole


def idx_bytes(path, header):
    """An uncompressed IDX file's data bytes, read whole into memory."""
    return np.fromfile(path, dtype=np.uint8, offset=header)


def main():
    images, labels, hidden, batch, seconds = sys.argv[1:6]
    hidden = [int(h) for h in hidden.split(",")]
    batch, seconds = int(batch), float(seconds)
    tt = threads()
    torch.manual_seed(1)
    X = torch.from_numpy(idx_bytes(images, 16).reshape(-1, 784))
    Y = torch.from_numpy(idx_bytes(labels, 8).astype(np.int64))
    n = X.shape[0]
    head = X[:10000].float()
    mean, std = head.mean(0), head.std(0).clamp_min(1e-6)
    del head
    layers, width = [], 784
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    model = nn.Sequential(*layers, nn.Linear(width, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    perm = torch.randperm(n)
    if n * 784 * 4 <= FLOATS_MAX:
        # PyTorch at its best where the floats fit: standardized and
        # shuffled once, outside the timer, then sliced (as
        # train_torch.py does).
        Xf = (X[perm].float() - mean) / std
        Yf = Y[perm]
        del X

        def take(i):
            return Xf[i:i + batch], Yf[i:i + batch]
    else:
        def take(i):
            rows = perm[i:i + batch]
            return (X[rows].float() - mean) / std, Y[rows]

    i = 0
    for _ in range(3):   # warm-up, not timed
        step(model, opt, *take(i))
        i = (i + batch) % n
    done, t0 = 0, time.perf_counter()
    dt = 0.0
    while dt < seconds and done < n:
        step(model, opt, *take(i))
        done += min(batch, n - i)
        i = (i + batch) % n
        dt = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    core, _ = openblas()
    print(f"torch rows={n} hidden={','.join(map(str, hidden))} "
          f"batch={batch} samples={done} seconds={dt:.3f} "
          f"samples_per_s={done / dt:.0f} rss_kb={rss} torch_threads={tt} "
          f"openblas={core}")


if __name__ == "__main__":
    main()
