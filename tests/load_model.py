#!/usr/bin/python3
"""load_model.py - load a descent model with nothing but json and struct,
and run its forward pass (the code docs/model-format.md shows).

    /usr/bin/python3 tests/load_model.py MODEL INPUTS.csv

INPUTS.csv holds raw encoded inputs, one row per line: one-hot encoding
done, standardization not (the model's own scaling is applied here).  A
first line that is not all numbers is a header and is skipped.  Prints
one line per row: the outputs, comma-separated (probabilities for
sigmoid and softmax outputs).
"""
import json
import math
import struct
import sys


def load(path):
    """Returns (metadata, tensors): metadata is the __metadata__ dict of
    strings, tensors maps a name to (shape, flat row-major floats)."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack_from("<Q", blob, 0)  # header length, little-endian
    header = json.loads(blob[8:8 + n])
    meta = header.pop("__metadata__", {})
    if meta.get("format") != "descent":
        raise ValueError(path + ": not a descent model")
    if int(meta["descent.version"].split(".")[0]) > 1:
        raise ValueError(path + ": written by a newer descent")
    data = blob[8 + n:]
    tensors = {}
    for name, t in header.items():
        if t["dtype"] != "F32":
            raise ValueError("%s: tensor %s is %s, not F32" % (path, name, t["dtype"]))
        begin, end = t["data_offsets"]
        values = struct.unpack_from("<%df" % ((end - begin) // 4), data, begin)
        tensors[name] = (t["shape"], values)
    return meta, tensors


def sigmoid(v):
    # Two forms, so that exp never overflows.
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


def activate(act, z, alpha, slopes):
    if act == "identity":
        return z
    if act == "sigmoid":
        return [sigmoid(v) for v in z]
    if act == "tanh":
        return [math.tanh(v) for v in z]
    if act == "relu":
        return [v if v > 0 else 0.0 for v in z]
    if act == "leaky_relu":
        return [v if v > 0 else alpha * v for v in z]
    if act == "prelu":
        return [v if v > 0 else s * v for v, s in zip(z, slopes)]
    if act == "softmax":
        top = max(z)  # shift by the maximum: exp(v - top) <= 1
        e = [math.exp(v - top) for v in z]
        total = sum(e)
        return [v / total for v in e]
    raise ValueError("unknown activation " + act)


def forward(meta, tensors, x):
    """Outputs of the network for one row x of raw encoded inputs."""
    arch = json.loads(meta["descent.arch"])
    if "descent.scaling" in meta:
        s = json.loads(meta["descent.scaling"])
        x = [(v - m) / d for v, m, d in zip(x, s["mean"], s["std"])]
    for l, layer in enumerate(arch["layers"]):
        (units, n_in), W = tensors["%d.weight" % (2 * l)]   # Linear: module 2l
        _, b = tensors["%d.bias" % (2 * l)]
        # z = W a + b, with W stored [out, in] row-major
        z = [b[j] + sum(W[j * n_in + i] * x[i] for i in range(n_in))
             for j in range(units)]
        slopes = tensors.get("%d.weight" % (2 * l + 1), (None, None))[1]  # PReLU
        x = activate(layer["act"], z, layer.get("alpha", 0.01), slopes)
    if "descent.target_scaling" in meta:  # regression trained on y' = (y - mean) / std
        t = json.loads(meta["descent.target_scaling"])
        x = [m + d * v for v, m, d in zip(x, t["mean"], t["std"])]
    return x


def read_rows(path):
    rows = []
    with open(path) as f:
        for k, line in enumerate(f):
            line = line.strip()
            if not line:
                continue
            try:
                rows.append([float(v) for v in line.split(",")])
            except ValueError:
                if k > 0:
                    raise
    return rows


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: load_model.py MODEL INPUTS.csv")
    meta, tensors = load(sys.argv[1])
    for x in read_rows(sys.argv[2]):
        print(",".join("%.9g" % v for v in forward(meta, tensors, x)))


if __name__ == "__main__":
    main()
