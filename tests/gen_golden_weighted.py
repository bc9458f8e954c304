#!/usr/bin/python3
"""gen_golden_weighted.py — weighted losses from PyTorch for
tests/test_torch.c.

The networks, inputs and targets are drawn as tests/gen_golden.py draws
them (its build()), plus one weight per row; the loss is descent's
weighted mean (include/descent.h, dn_loss), E = sum_n w_n l_n / sum_n w_n,
written out with PyTorch's own modules:
    CE   CrossEntropyLoss(weight=class_w) on the logits, whose mean
         divides by the sum of the rows' class weights: the row weights
         are class_w[y_n] (checked against reduction='none' by hand)
    BCE  (BCEWithLogitsLoss(reduction='none')(z, y).sum(1) * w).sum()
         / w.sum() (PyTorch's BCE weight= would divide by N instead)
    MSE  ((0.5 * (h - y)^2).sum(1) * w).sum() / w.sum()
and one backward pass gives the gradient.  Writes tests/golden_weighted.h
(--stdout prints it instead).  Regenerate with
    /usr/bin/python3 tests/gen_golden_weighted.py
"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_golden import (ACT_ENUM, LOSS_ENUM, build, c_array, f9,  # noqa: E402
                        flat_params, kink_free)
from golden_io import write_header  # noqa: E402

# name, n_in, layers, loss, rows, seed, scaling, target scaling (as in
# gen_golden.py), and the weights: ("class", [w_k]) or ("rows", seed).
CASES = [
    ("ce_class_weight", 5,
     [(6, "tanh", 0), (3, "softmax", 0)], "ce", 12, 811, None, None,
     ("class", [0.5, 2.0, 1.25])),
    ("ce_rows_relu", 6,
     [(8, "relu", 0), (5, "prelu", [0.1, 0.2, 0.3, 0.2, 0.1]),
      (4, "softmax", 0)], "ce", 11, 822, None, None, ("rows", 1)),
    ("bce_rows", 4,
     [(6, "leaky_relu", 0.01), (1, "sigmoid", 0)], "bce", 10, 833,
     ([1.0, -1.0, 0.5, 2.0], [2.0, 1.0, 0.5, 3.0]), None, ("rows", 2)),
    ("bce_rows_multi", 4,
     [(5, "relu", 0), (3, "sigmoid", 0)], "bce", 9, 844, None, None,
     ("rows", 3)),
    ("mse_rows_scaled", 3,
     [(5, "tanh", 0), (2, "identity", 0)], "mse", 8, 855,
     ([0.5, 1.0, -2.0], [1.5, 0.5, 2.0]), ([100.0, -1.0], [20.0, 0.5]),
     ("rows", 4)),
]


def row_weights(spec, Y, n):
    kind, arg = spec
    if kind == "class":
        cw = torch.tensor(arg)
        return cw[Y.reshape(-1).long()]
    g = torch.Generator().manual_seed(arg)
    w = torch.rand(n, generator=g) * 3.0
    w[n // 3] = 0.0   # a row that does not count
    return w


def run(case, net, X, Y, w):
    name, n_in, layers, loss, n, _, scaling, tscale, spec = case
    net.zero_grad()
    h = X
    if scaling is not None:
        h = (h - torch.tensor(scaling[0], dtype=X.dtype)) / \
            torch.tensor(scaling[1], dtype=X.dtype)
    zs = []
    mods = list(net)
    for i in range(0, len(mods), 2):
        z = mods[i](h)
        zs.append(z)
        h = mods[i + 1](z)
    logits = zs[-1]
    if tscale is not None:
        Y = (Y - torch.tensor(tscale[0], dtype=X.dtype)) / \
            torch.tensor(tscale[1], dtype=X.dtype)
    w = w.to(X.dtype)
    if loss == "ce":
        y = Y.reshape(-1).long()
        each = nn.CrossEntropyLoss(reduction="none")(logits, y)
        E = (each * w).sum() / w.sum()
        if spec[0] == "class":   # PyTorch's own weight= gives the same
            cw = torch.tensor(spec[1], dtype=X.dtype)
            E_t = nn.CrossEntropyLoss(weight=cw)(logits, y)
            assert abs(E.item() - E_t.item()) <= 1e-6 * abs(E.item())
    elif loss == "bce":
        each = nn.BCEWithLogitsLoss(reduction="none")(logits, Y).sum(1)
        E = (each * w).sum() / w.sum()
    else:
        each = (0.5 * (h - Y) ** 2).sum(1)
        E = (each * w).sum() / w.sum()
    E.backward()
    grad = torch.cat([p.grad.reshape(-1) for p in flat_params(net)])
    return h.detach(), E.detach(), grad.detach(), [z.detach() for z in zs]


def emit(out):
    torch.set_num_threads(1)
    body, table = [], []
    for case in CASES:
        name, n_in, layers, loss, n, seed, scaling, tscale, spec = case
        base = case[:8]
        while True:
            net, X, Y = build(base, seed)
            w = row_weights(spec, Y, n)
            h, E, grad, zs = run(case, net, X, Y, w)
            if kink_free(base, zs):
                break
            seed += 1
        theta = torch.cat([p.detach().reshape(-1) for p in flat_params(net)])
        body.append("/* %s: loss %s, %d rows, torch.manual_seed(%d), "
                    "weights %s */\n" % (name, loss, n, seed, spec[0]))
        for part, v in (("theta", theta), ("X", X), ("Y", Y), ("w", w),
                        ("out", h), ("grad", grad)):
            body.append(c_array("w_%s_%s" % (name, part), v.reshape(-1).tolist()))
        sc = "NULL, NULL"
        if scaling is not None:
            body.append(c_array("w_%s_mean" % name, scaling[0]))
            body.append(c_array("w_%s_std" % name, scaling[1]))
            sc = "w_%s_mean, w_%s_std" % (name, name)
        if tscale is not None:
            body.append(c_array("w_%s_tmean" % name, tscale[0]))
            body.append(c_array("w_%s_tstd" % name, tscale[1]))
            sc += ", w_%s_tmean, w_%s_tstd" % (name, name)
        else:
            sc += ", NULL, NULL"
        units = ", ".join(str(u) for u, _, _ in layers)
        acts = ", ".join(ACT_ENUM[a] for _, a, _ in layers)
        alphas = ", ".join(f9(al) if act == "leaky_relu" else "0"
                           for _, act, al in layers)
        table.append(
            "    { { \"%s\", %d, %d, { %s }, { %s }, { %s }, %s, %d, %d,\n"
            "        w_%s_theta, w_%s_X, w_%s_Y, w_%s_out, w_%s_grad,\n"
            "        %s, %s }, w_%s_w },\n"
            % (name, n_in, len(layers), units, acts, alphas, LOSS_ENUM[loss],
               n, theta.numel(), name, name, name, name, name, sc,
               f9(E.item()), name))
    out.write(
        "/* golden_weighted.h — weighted losses from PyTorch %s for\n"
        " * test_torch.c.  GENERATED by tests/gen_golden_weighted.py; do not\n"
        " * edit.  Each case is a golden_case (golden.h) whose loss and grad\n"
        " * are the weighted ones, and w: one weight per row. */\n"
        "#ifndef GOLDEN_WEIGHTED_H\n#define GOLDEN_WEIGHTED_H\n\n"
        "#include \"golden.h\"\n\n"
        "typedef struct {\n"
        "    golden_case c;\n"
        "    const float *w;\n"
        "} wgolden_case;\n\n" % torch.__version__)
    out.write("".join(body))
    out.write("\nstatic const wgolden_case wgolden_cases[] = {\n")
    out.write("".join(table))
    out.write("};\n\n#define WGOLDEN_N_CASES "
              "((int)(sizeof wgolden_cases / sizeof *wgolden_cases))\n\n"
              "#endif\n")


if __name__ == "__main__":
    write_header("golden_weighted.h", emit)
