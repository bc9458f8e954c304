"""train_torch.py — PyTorch's side of `make bench`: the same workloads as
bench/train.c, written the fastest plain way (no DataLoader): tensors in
memory, standardized once, shuffled once per epoch by indexing, then a
loop over slices.

    /usr/bin/python3 bench/train_torch.py W1|W2|W3 DATA_DIR [seed]

The timer covers only the batch loops, not the per-epoch shuffle (the
"pre-shuffled tensors" of the issue): PyTorch at its best.  descent's
timer, in bench/train.c, includes its shuffles and gathers.  Threads are
set by the caller (bench/bench.sh): torch.set_num_threads(1) here, and
OPENBLAS_NUM_THREADS in the environment.  Output, one line:

    torch W1 seconds=0.21 samples_per_s=280000 test_acc=0.83 rss_kb=700000 openblas=SkylakeX
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


def openblas_core():
    """The kernel family OpenBLAS chose, asked of the library torch uses
    (Debian's libblas.so.3 alternative), or of libopenblas itself."""
    for name in ("libblas.so.3", ctypes.util.find_library("openblas")):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
            f = lib.openblas_get_corename
        except (OSError, AttributeError):
            continue
        f.restype = ctypes.c_char_p
        return f().decode()
    return "not-openblas"


def main():
    name, d = sys.argv[1], sys.argv[2]
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    hidden, opt_name, eta, B, epochs = LOADS[name]
    torch.set_num_threads(1)
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

    model = nn.Sequential(
        nn.Linear(X.shape[1], hidden[0]), nn.ReLU(),
        nn.Linear(hidden[0], hidden[1]), nn.ReLU(),
        nn.Linear(hidden[1], 10))
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
            xb, yb = Xs[i:i + B], Ys[i:i + B]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
        seconds += time.perf_counter() - t0
        del Xs, Ys

    with torch.no_grad():
        acc = (model(Xtest).argmax(1) == Ytest).float().mean().item()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"torch {name} seconds={seconds:.6f} "
          f"samples_per_s={n * epochs / seconds:.0f} test_acc={acc:.4f} "
          f"rss_kb={rss} openblas={openblas_core()}")


if __name__ == "__main__":
    main()
