#!/usr/bin/python3
"""gen_golden.py — reference values from PyTorch for tests/test_torch.c.

Builds small fixed networks as torch.nn.Sequential(Linear, act, Linear,
act, ...) in float32 with a fixed torch.manual_seed, runs one forward and
one backward pass on fixed inputs and targets, and writes tests/golden.h:
for every case the architecture, the initial parameters in descent's flat
layout (per layer: W [out, in] row-major, b, then the PReLU slopes), X, Y,
the output activations, the loss and the full flat gradient.  Floats are
printed with %.9g, which round-trips every float32 exactly.

Regenerate (Debian's python3-torch; the plain `python3` may lack torch):
    /usr/bin/python3 tests/gen_golden.py            # writes tests/golden.h
    /usr/bin/python3 tests/gen_golden.py --stdout   # prints it instead

Losses follow descent's definitions (include/descent.h), written out with
torch's own loss modules:
    MSE  (1/N) sum_n 1/2 ||h - y||^2  = MSELoss(reduction='sum') / (2N)
    BCE  (1/N) sum_n sum_k bce(z, y)  = BCEWithLogitsLoss(reduction='sum') / N
         (equal to BCEWithLogitsLoss() (mean) when there is one output)
    CE   (1/N) sum_n -ln softmax(z)[y] = CrossEntropyLoss() on the logits

No ReLU-family pre-activation may sit within KINK of 0 (where the
derivative jumps and float rounding could pick either side): a case whose
inputs put one there is drawn again with the next seed.
"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_io import write_header  # noqa: E402

KINK = 1e-4

# Activation names as the C enum spells them, and the torch module for each.
ACT_ENUM = {
    "identity": "DN_ACT_IDENTITY",
    "sigmoid": "DN_ACT_SIGMOID",
    "tanh": "DN_ACT_TANH",
    "relu": "DN_ACT_RELU",
    "leaky_relu": "DN_ACT_LEAKY_RELU",
    "prelu": "DN_ACT_PRELU",
    "softmax": "DN_ACT_SOFTMAX",
}
LOSS_ENUM = {"mse": "DN_LOSS_MSE", "bce": "DN_LOSS_BCE", "ce": "DN_LOSS_CE"}
KINKED = ("relu", "leaky_relu", "prelu")

# name, n_in, layers [(units, act, alpha)], loss, rows, seed, scaling,
# target scaling
#   alpha: LeakyReLU's negative_slope; for PReLU a list of starting slopes.
#   scaling: (mean, std) of the model's input standardization, or None.
#   target scaling: (mean, std) per output for regression, or None; the
#   network then learns y' = (y - mean) / std and `out` holds y'.
CASES = [
    ("mse_tanh_relu", 5,
     [(4, "tanh", 0), (3, "relu", 0), (2, "identity", 0)],
     "mse", 7, 101, None, None),
    ("bce_leaky_prelu", 4,
     [(6, "leaky_relu", 0.01),
      (5, "prelu", [0.05, 0.15, 0.25, 0.35, 0.45]),
      (1, "sigmoid", 0)],
     "bce", 9, 202, None, None),
    ("ce_sigmoid_relu", 6,
     [(8, "sigmoid", 0), (7, "relu", 0), (4, "softmax", 0)],
     "ce", 10, 303, None, None),
    ("ce_wide_relu", 20,
     [(32, "relu", 0), (16, "relu", 0), (3, "softmax", 0)],
     "ce", 17, 404, None, None),
    # Bounded regression: MSE through a sigmoid output (the output delta
    # then goes through f'), PReLU and tanh hidden, with input scaling.
    ("mse_prelu_tanh_sigmoid_scaled", 3,
     [(5, "prelu", [0.3, -0.1, 0.2, 0.6, 0.1]), (4, "tanh", 0),
      (2, "sigmoid", 0)],
     "mse", 6, 505,
     ([1.5, -2.0, 0.25], [2.0, 0.5, 3.0]), None),
    # Several sigmoid outputs with BCE: descent sums over outputs and
    # averages over rows, so this is BCEWithLogitsLoss(sum) / N.
    ("bce_multi_output", 4,
     [(6, "relu", 0), (3, "sigmoid", 0)],
     "bce", 8, 606, None, None),
    # Regression on raw targets in the hundreds with target scaling (and
    # input scaling): the loss is taken on standardized targets.
    ("mse_target_scaled", 4,
     [(6, "relu", 0), (2, "identity", 0)],
     "mse", 9, 707,
     ([10.0, 0.0, -5.0, 100.0], [3.0, 1.0, 2.0, 40.0]),
     ([250.0, -3.0], [80.0, 0.5])),
]


def act_module(act, units, alpha):
    if act == "identity":
        return None
    if act == "sigmoid":
        return nn.Sigmoid()
    if act == "tanh":
        return nn.Tanh()
    if act == "relu":
        return nn.ReLU()
    if act == "leaky_relu":
        return nn.LeakyReLU(negative_slope=alpha)
    if act == "prelu":
        m = nn.PReLU(num_parameters=units)
        with torch.no_grad():
            m.weight.copy_(torch.tensor(alpha, dtype=torch.float32))
        return m
    if act == "softmax":
        return nn.Softmax(dim=1)
    raise ValueError(act)


def build(case, seed):
    """The network, inputs and targets of one case drawn from `seed`."""
    name, n_in, layers, loss, n, _, scaling, tscale = case
    torch.manual_seed(seed)
    mods = []
    width = n_in
    for units, act, alpha in layers:
        mods.append(nn.Linear(width, units))
        a = act_module(act, units, alpha)
        mods.append(a if a is not None else nn.Identity())
        width = units
    net = nn.Sequential(*mods).float()
    X = torch.randn(n, n_in) * 1.5 + 0.2
    if scaling is not None:
        mean = torch.tensor(scaling[0])
        std = torch.tensor(scaling[1])
        X = X * std + mean       # raw inputs around the scaling's mean
    n_out = layers[-1][0]
    if loss == "mse":
        lo = 0.0 if layers[-1][1] == "sigmoid" else -1.0
        Y = torch.rand(n, n_out) * (1.0 - lo) + lo
    elif loss == "bce":
        Y = (torch.rand(n, n_out) < 0.5).float()
    else:
        Y = torch.randint(0, n_out, (n,)).float().reshape(n, 1)
    if tscale is not None:   # raw targets in the scaling's units
        Y = Y * 1.3 * torch.tensor(tscale[1]) + torch.tensor(tscale[0])
    return net, X, Y


def run(case, net, X, Y):
    """Forward and backward; returns (outputs, loss, flat grad, zs)."""
    name, n_in, layers, loss, n, _, scaling, tscale = case
    net.zero_grad()
    h = X
    if scaling is not None:
        mean = torch.tensor(scaling[0], dtype=X.dtype)
        std = torch.tensor(scaling[1], dtype=X.dtype)
        h = (h - mean) / std
    zs = []
    mods = list(net)
    for i in range(0, len(mods), 2):
        z = mods[i](h)
        zs.append(z)
        h = mods[i + 1](z)
    logits = zs[-1]
    if tscale is not None:
        tm = torch.tensor(tscale[0], dtype=X.dtype)
        ts = torch.tensor(tscale[1], dtype=X.dtype)
        Y = (Y - tm) / ts
    if loss == "mse":
        E = nn.MSELoss(reduction="sum")(h, Y) / (2 * n)
    elif loss == "bce":
        E = nn.BCEWithLogitsLoss(reduction="sum")(logits, Y) / n
        if Y.shape[1] == 1:  # the same as torch's default mean reduction
            E_mean = nn.BCEWithLogitsLoss()(logits, Y)
            assert abs(E.item() - E_mean.item()) <= 1e-6 * abs(E.item())
    else:
        E = nn.CrossEntropyLoss()(logits, Y.reshape(-1).long())
    E.backward()
    grad = torch.cat([p.grad.reshape(-1) for p in flat_params(net)])
    return h.detach(), E.detach(), grad.detach(), [z.detach() for z in zs]


def flat_params(net):
    """Parameters in descent's order: W, b, then the PReLU slopes."""
    out = []
    mods = list(net)
    for i in range(0, len(mods), 2):
        out += [mods[i].weight, mods[i].bias]
        if isinstance(mods[i + 1], nn.PReLU):
            out.append(mods[i + 1].weight)
    return out


def kink_free(case, zs):
    for (units, act, alpha), z in zip(case[2], zs):
        if act in KINKED and z.abs().min().item() <= KINK:
            return False
    return True


def f9(x):
    s = "%.9g" % x
    return s + "f" if ("." in s or "e" in s) else s + ".0f"


def c_array(name, values):
    vals = [f9(v) for v in values]
    lines = []
    for i in range(0, len(vals), 6):
        lines.append("    " + ", ".join(vals[i:i + 6]) + ",")
    return ("static const float %s[%d] = {\n%s\n};\n"
            % (name, len(vals), "\n".join(lines)))


def emit(out):
    torch.set_num_threads(1)
    body = []
    table = []
    report = []
    for case in CASES:
        name, n_in, layers, loss, n, seed0, scaling, tscale = case
        seed = seed0
        while True:
            net, X, Y = build(case, seed)
            h, E, grad, zs = run(case, net, X, Y)
            if kink_free(case, zs):
                break
            seed += 1
        theta = torch.cat([p.detach().reshape(-1) for p in flat_params(net)])
        # The same pass in float64 from the same float32 values: how far
        # float32 rounding alone moves each number (printed on stderr, to
        # choose the test's tolerances).
        net64 = net.double()
        h64, E64, g64, _ = run(case, net64, X.double(), Y.double())
        net.float()
        gmax = g64.abs().max().item()
        rel = ((grad.double() - g64).abs() /
               torch.clamp(g64.abs(), min=1e-300)).max().item()
        absd = (grad.double() - g64).abs().max().item()
        hd = (h.double() - h64).abs().max().item()
        report.append("%-32s seed %d  params %d  |g|max %.3g  f32-vs-f64: "
                      "grad max abs %.2g (%.2g of |g|max), max rel %.2g; "
                      "out max abs %.2g (%.2g of |out|max); loss rel %.2g"
                      % (name, seed, theta.numel(), gmax, absd, absd / gmax,
                         rel, hd, hd / h64.abs().max().item(),
                         abs(E.item() - E64.item()) / abs(E64.item())))
        body.append("/* %s: %d-%s, loss %s, %d rows, torch.manual_seed(%d) */\n"
                    % (name, n_in,
                       "-".join("%d(%s)" % (u, a) for u, a, _ in layers),
                       loss, n, seed))
        body.append(c_array("g_%s_theta" % name, theta.tolist()))
        body.append(c_array("g_%s_X" % name, X.reshape(-1).tolist()))
        body.append(c_array("g_%s_Y" % name, Y.reshape(-1).tolist()))
        body.append(c_array("g_%s_out" % name, h.reshape(-1).tolist()))
        body.append(c_array("g_%s_grad" % name, grad.tolist()))
        if scaling is not None:
            body.append(c_array("g_%s_mean" % name, scaling[0]))
            body.append(c_array("g_%s_std" % name, scaling[1]))
        if tscale is not None:
            body.append(c_array("g_%s_tmean" % name, tscale[0]))
            body.append(c_array("g_%s_tstd" % name, tscale[1]))
        body.append("\n")
        units = ", ".join(str(u) for u, _, _ in layers)
        acts = ", ".join(ACT_ENUM[a] for _, a, _ in layers)
        alphas = ", ".join(f9(al) if act == "leaky_relu" else "0"
                           for _, act, al in layers)
        sc = ("g_%s_mean, g_%s_std" % (name, name)) if scaling else "NULL, NULL"
        sc += (", g_%s_tmean, g_%s_tstd" % (name, name)) if tscale \
            else ", NULL, NULL"
        table.append(
            "    { \"%s\", %d, %d, { %s }, { %s }, { %s }, %s, %d, %d,\n"
            "      g_%s_theta, g_%s_X, g_%s_Y, g_%s_out, g_%s_grad, %s, %s },\n"
            % (name, n_in, len(layers), units, acts, alphas, LOSS_ENUM[loss],
               n, theta.numel(), name, name, name, name, name, sc,
               f9(E.item())))
    out.write(
        "/* golden.h — reference values from PyTorch %s for test_torch.c.\n"
        " * GENERATED by tests/gen_golden.py; do not edit.  Regenerate with\n"
        " *     /usr/bin/python3 tests/gen_golden.py\n"
        " * Floats are float32 printed with %%.9g (exact round trip).\n"
        " * Layout: theta is descent's flat parameter vector (per layer W\n"
        " * [out, in] row-major, b, PReLU slopes); X is rows x n_in; Y is\n"
        " * rows x outputs (class index per row for CE; raw units when the case\n"
        " * has target scaling); out is the output activations (probabilities\n"
        " * for sigmoid/softmax; standardized y' with target scaling); grad\n"
        " * is dE/dtheta in theta's layout; loss is E with descent's\n"
        " * definitions (see gen_golden.py). */\n"
        "#ifndef GOLDEN_H\n#define GOLDEN_H\n\n#include \"descent.h\"\n"
        "#include <stddef.h>\n\n"
        "#define GOLDEN_MAX_LAYERS 4\n\n"
        "typedef struct {\n"
        "    const char *name;\n"
        "    int n_in, n_layers;\n"
        "    int units[GOLDEN_MAX_LAYERS];\n"
        "    dn_act act[GOLDEN_MAX_LAYERS];\n"
        "    float alpha[GOLDEN_MAX_LAYERS]; /* LeakyReLU slope, else 0 */\n"
        "    dn_loss loss;\n"
        "    int rows, n_params;\n"
        "    const float *theta, *X, *Y, *out, *grad;\n"
        "    const float *mean, *std;       /* input scaling, or NULL */\n"
        "    const float *t_mean, *t_std;   /* target scaling, or NULL */\n"
        "    float loss_value;\n"
        "} golden_case;\n\n" % torch.__version__)
    out.write("".join(body))
    out.write("static const golden_case golden_cases[] = {\n")
    out.write("".join(table))
    out.write("};\n\n#define GOLDEN_N_CASES "
              "((int)(sizeof golden_cases / sizeof *golden_cases))\n\n"
              "#endif\n")
    for line in report:
        sys.stderr.write(line + "\n")


def main():
    write_header("golden.h", emit)


if __name__ == "__main__":
    main()
