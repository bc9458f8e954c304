"""train_torch.py — PyTorch's side of `make bench`: the same workloads as
bench/train.c, written the fastest plain way (no DataLoader): tensors in
memory, standardized once, shuffled once per epoch by indexing, then a
loop over slices.

    /usr/bin/python3 bench/train_torch.py W1|W2|W3 DATA_DIR [seed]
    /usr/bin/python3 bench/train_torch.py probe [rounds]

The timer covers only the batch loops, not the per-epoch shuffle (the
"pre-shuffled tensors" of the issue): PyTorch at its best.  descent's
timer, in bench/train.c, includes its shuffles and gathers.  Threads are
set by the caller (bench/bench.sh, which tries several and keeps the
fastest): torch.set_num_threads(BENCH_TORCH_THREADS, default 1), and
OPENBLAS_NUM_THREADS and OPENBLAS_CORETYPE in the environment.  Output,
one line:

    torch W1 seconds=0.21 samples_per_s=280000 test_acc=0.83 rss_kb=700000 openblas=SkylakeX torch_threads=1 openblas_threads=2

`probe` times W2's steps (784-1024-1024-10, Adam, batch 256) on random
rows instead, no data set read: after 2 steps' warm-up, `rounds` (default
5) rounds of as many steps as fill 0.25 s (at least one, so that a slow
setting costs seconds, not minutes), the median and range of their
samples/s:

    probe_torch core=SkylakeX torch_threads=1 openblas_threads=2 samples_per_s=10700 min=10100 max=10900
"""
import ctypes
import ctypes.util
import gzip
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

LOADS = {
    # name: (hidden, optimizer, eta, batch, epochs)
    "W1": ((16, 16), "sgd", 0.1, 32, 1),
    "W2": ((1024, 1024), "adam", 1e-3, 256, 1),
    "W3": ((256, 128), "adam", 1e-3, 64, 10),
}


def idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def load(d, prefix):
    X = idx(os.path.join(d, prefix + "-images-idx3-ubyte.gz"), 16)
    y = idx(os.path.join(d, prefix + "-labels-idx1-ubyte.gz"), 8)
    X = X.reshape(len(y), -1).astype(np.float32)
    X /= np.float32(255)
    return X, y.astype(np.int64)


def openblas():
    """(kernel family, threads) of the OpenBLAS torch uses (Debian's
    libblas.so.3 alternative, or libopenblas itself), as it reports them:
    what this process runs, whatever the environment asked."""
    for name in ("libblas.so.3", ctypes.util.find_library("openblas")):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
            core, threads = lib.openblas_get_corename, \
                lib.openblas_get_num_threads
        except (OSError, AttributeError):
            continue
        core.restype = ctypes.c_char_p
        return core().decode(), threads()
    return "not-openblas", 0


def threads():
    """torch's intra-op threads, as bench.sh asks (default 1)."""
    n = int(os.environ.get("BENCH_TORCH_THREADS", "1"))
    torch.set_num_threads(n)
    return n


def network(n_in, hidden):
    return nn.Sequential(
        nn.Linear(n_in, hidden[0]), nn.ReLU(),
        nn.Linear(hidden[0], hidden[1]), nn.ReLU(),
        nn.Linear(hidden[1], 10))


def step(model, opt, xb, yb):
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(xb), yb)
    loss.backward()
    opt.step()


def probe(rounds):
    """W2's step on random rows: the short loop bench.sh compares kernel
    and thread settings with."""
    tt = threads()
    torch.manual_seed(1)
    hidden, _, eta, B, _ = LOADS["W2"]
    model = network(784, hidden)
    opt = torch.optim.Adam(model.parameters(), lr=eta)
    X = torch.randn(B, 784)
    Y = torch.randint(0, 10, (B,))
    for _ in range(2):
        step(model, opt, X, Y)
    rates = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        steps, dt = 0, 0.0
        while dt < 0.25:
            step(model, opt, X, Y)
            steps += 1
            dt = time.perf_counter() - t0
        rates.append(steps * B / dt)
    rates.sort()
    core, ot = openblas()
    print(f"probe_torch core={core} torch_threads={tt} openblas_threads={ot} "
          f"samples_per_s={rates[len(rates) // 2]:.0f} "
          f"min={rates[0]:.0f} max={rates[-1]:.0f}")


def main():
    if sys.argv[1] == "probe":
        probe(int(sys.argv[2]) if len(sys.argv) > 2 else 5)
        return
    name, d = sys.argv[1], sys.argv[2]
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    hidden, opt_name, eta, B, epochs = LOADS[name]
    tt = threads()
    torch.manual_seed(seed)

    X, Y = load(d, "train")
    Xtest, Ytest = load(d, "t10k")
    # The standardization descent's model applies, done once up front and
    # in place (no float64 copy of the data set inflating the memory).
    mean = X.mean(axis=0, dtype=np.float64).astype(np.float32)
    X -= mean
    std = np.sqrt(np.einsum("ij,ij->j", X, X, dtype=np.float64) / len(X))
    std[std <= 1e-12] = 1.0
    std = std.astype(np.float32)
    X /= std
    Xtest -= mean
    Xtest /= std
    X, Xtest = torch.from_numpy(X), torch.from_numpy(Xtest)
    Y, Ytest = torch.from_numpy(Y), torch.from_numpy(Ytest)

    model = network(X.shape[1], hidden)
    if opt_name == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=eta)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=eta)

    n = X.shape[0]
    seconds = 0.0
    for _ in range(epochs):
        perm = torch.randperm(n)
        Xs, Ys = X[perm], Y[perm]
        t0 = time.perf_counter()
        for i in range(0, n, B):
            step(model, opt, Xs[i:i + B], Ys[i:i + B])
        seconds += time.perf_counter() - t0
        del Xs, Ys

    with torch.no_grad():
        acc = (model(Xtest).argmax(1) == Ytest).float().mean().item()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    core, ot = openblas()
    print(f"torch {name} seconds={seconds:.6f} "
          f"samples_per_s={n * epochs / seconds:.0f} test_acc={acc:.4f} "
          f"rss_kb={rss} openblas={core} torch_threads={tt} "
          f"openblas_threads={ot}")


if __name__ == "__main__":
    main()
