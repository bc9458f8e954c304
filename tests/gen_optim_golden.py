#!/usr/bin/python3
"""gen_optim_golden.py — PyTorch optimizer traces for tests/test_optim.c.

For every optimizer of descent's first-order family, and the options that
change its arithmetic (dampening, Nesterov, AdaGrad's lr_decay and initial
accumulator, RMSProp's centering and momentum, AMSGrad, AdamW's decoupled
decay), this script trains a small fixed network with torch.optim for 5
steps, twice from the same start:
    full  every step on all 12 rows;
    mini  batches of 4 in a fixed order, rows 0-3, 4-7, 8-11, 0-3, 4-7;
and writes tests/optim_golden.h: the networks (initial parameters in
descent's flat layout — per layer W [out, in] row-major, b, then the PReLU
slopes — inputs and targets), and for each case the optimizer settings and
the flat parameter vector after every step.  Floats are printed with %.9g
(an exact float32 round trip), settings with Python's repr (exact doubles).

Regenerate (Debian's python3-torch; the plain `python3` may lack torch):
    /usr/bin/python3 tests/gen_optim_golden.py            # writes the header
    /usr/bin/python3 tests/gen_optim_golden.py --stdout   # prints it instead
A report on stderr gives, per case, how far PyTorch's own float32 trace
is from the same trace in float64 (the rounding noise any float32
implementation carries), and how far the parameters travel (what a
1e-5-relative comparison can resolve); test_optim.c's tolerance comment
quotes it.

Conventions matched to descent (include/descent.h):
  - losses: CE is CrossEntropyLoss() (mean); descent's MSE is
    (1/N) sum 1/2 ||h - y||^2 = MSELoss(reduction='sum') / (2N);
  - AdamW decays the weights only: two parameter groups, the W matrices
    with weight_decay, the biases and PReLU slopes with 0 (descent's
    decay_mask marks the W entries);
  - descent's ADAM has no weight decay (coupled L2 belongs to the loss);
  - foreach=False everywhere: the _single_tensor_* code paths, whose order
    of float operations optim.c follows.
Cases marked "defaults" call the torch constructor with no hyperparameters
at all (only the parameters): test_optim.c runs them with dn_opt_defaults
and dn_opt_default_eta, so they check that descent's defaults are
PyTorch's.  torch.optim.SGD has no default rate, so SGD has no such case.

No PReLU pre-activation may come within KINK of 0 at any step of any case
(there the derivative jumps and float rounding could pick either side):
if one does, the network is drawn again from the next seed.
"""
import copy
import os
import sys
import textwrap

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_io import write_header  # noqa: E402

KINK = 1e-4
ROWS = 12
STEPS = 5
BATCHES = [(0, 4), (4, 8), (8, 12), (0, 4), (4, 8)]  # mini-batch order

# name: n_in, [(units, act, prelu start slopes)], loss, seed
NETS = {
    "tanh_ce": (4, [(5, "tanh", None), (3, "softmax", None)], "ce", 11),
    # A PReLU hidden layer puts slopes in theta, which AdamW must not
    # decay; MSE in descent's halved form.
    "prelu_mse": (4, [(6, "prelu", [0.05, 0.15, 0.25, 0.35, 0.45, -0.1]),
                      (2, "identity", None)], "mse", 22),
}

ACT_ENUM = {"tanh": "DN_ACT_TANH", "softmax": "DN_ACT_SOFTMAX",
            "prelu": "DN_ACT_PRELU", "identity": "DN_ACT_IDENTITY"}
LOSS_ENUM = {"ce": "DN_LOSS_CE", "mse": "DN_LOSS_MSE"}
KIND_ENUM = {"sgd": "DN_OPT_SGD", "momentum": "DN_OPT_MOMENTUM",
             "nesterov": "DN_OPT_NESTEROV", "adagrad": "DN_OPT_ADAGRAD",
             "rmsprop": "DN_OPT_RMSPROP", "adam": "DN_OPT_ADAM",
             "adamw": "DN_OPT_ADAMW"}

# name, net, kind, settings (None: torch's defaults, no arguments)
# Learning rates are large enough that the parameters travel a good part
# of their size in 5 steps, so a 1e-5 comparison resolves the update well.
CASES = [
    ("sgd", "tanh_ce", "sgd", dict(lr=0.5)),
    ("momentum", "tanh_ce", "momentum", dict(lr=0.2, momentum=0.9)),
    ("momentum_dampening", "tanh_ce", "momentum",
     dict(lr=0.3, momentum=0.8, dampening=0.3)),
    ("nesterov", "tanh_ce", "nesterov", dict(lr=0.2, momentum=0.9)),
    ("nesterov_mse", "prelu_mse", "nesterov", dict(lr=0.1, momentum=0.7)),
    ("adagrad_defaults", "tanh_ce", "adagrad", None),
    ("adagrad", "tanh_ce", "adagrad", dict(lr=0.2)),
    ("adagrad_decay_init", "tanh_ce", "adagrad",
     dict(lr=0.3, lr_decay=0.1, initial_accumulator=0.05, eps=1e-3)),
    ("rmsprop_defaults", "tanh_ce", "rmsprop", None),
    ("rmsprop", "tanh_ce", "rmsprop", dict(lr=0.03, alpha=0.9, eps=1e-4)),
    ("rmsprop_centered", "tanh_ce", "rmsprop",
     dict(lr=0.01, alpha=0.95, centered=1)),
    ("rmsprop_momentum", "prelu_mse", "rmsprop",
     dict(lr=0.01, momentum=0.6)),
    ("rmsprop_centered_momentum", "tanh_ce", "rmsprop",
     dict(lr=0.005, alpha=0.9, momentum=0.5, centered=1, eps=1e-3)),
    ("adam_defaults", "tanh_ce", "adam", None),
    ("adam", "tanh_ce", "adam", dict(lr=0.05, beta1=0.8, beta2=0.99)),
    ("adam_eps", "prelu_mse", "adam", dict(lr=0.05, eps=1e-2)),
    ("adam_amsgrad", "tanh_ce", "adam",
     dict(lr=0.03, beta1=0.85, beta2=0.95, amsgrad=1)),
    ("adamw_defaults", "tanh_ce", "adamw", None),
    ("adamw", "prelu_mse", "adamw",
     dict(lr=0.05, beta1=0.8, beta2=0.99, weight_decay=0.5)),
    ("adamw_amsgrad", "tanh_ce", "adamw",
     dict(lr=0.02, beta1=0.9, beta2=0.9, weight_decay=0.1, amsgrad=1)),
]

# The dn_opt_conf fields each kind reads, in torch's words where they differ.
FIELDS = {
    "sgd": [],
    "momentum": ["momentum", "dampening"],
    "nesterov": ["momentum", "dampening"],
    "adagrad": ["eps", "lr_decay", "initial_accumulator"],
    "rmsprop": ["momentum", "alpha", "eps", "centered"],
    "adam": ["beta1", "beta2", "eps", "amsgrad"],
    "adamw": ["beta1", "beta2", "eps", "weight_decay", "amsgrad"],
}


def make_net(name, seed):
    """The network (float32), inputs and targets of a net from `seed`."""
    n_in, layers, loss, _ = NETS[name]
    torch.manual_seed(seed)
    mods = []
    width = n_in
    for units, act, slopes in layers:
        mods.append(nn.Linear(width, units))
        if act == "tanh":
            mods.append(nn.Tanh())
        elif act == "softmax":
            mods.append(nn.Softmax(dim=1))
        elif act == "prelu":
            p = nn.PReLU(num_parameters=units)
            with torch.no_grad():
                p.weight.copy_(torch.tensor(slopes))
            mods.append(p)
        else:
            mods.append(nn.Identity())
        width = units
    net = nn.Sequential(*mods).float()
    X = torch.randn(ROWS, n_in) * 1.5 + 0.2
    if loss == "ce":
        Y = torch.randint(0, layers[-1][0], (ROWS,)).float().reshape(ROWS, 1)
    else:
        Y = torch.rand(ROWS, layers[-1][0]) * 2.0 - 1.0
    return net, X, Y


def params_flat(net):
    """Parameters in descent's order, and for each whether AdamW decays
    it (the Linear weights only)."""
    out = []
    mods = list(net)
    for i in range(0, len(mods), 2):
        out += [(mods[i].weight, True), (mods[i].bias, False)]
        if isinstance(mods[i + 1], nn.PReLU):
            out.append((mods[i + 1].weight, False))
    return out


def loss_of(netname, net, X, Y, zs):
    """descent's loss of a batch; appends (layer, z) for every layer."""
    loss = NETS[netname][2]
    mods = list(net)
    h = X
    for i in range(0, len(mods), 2):
        z = mods[i](h)
        zs.append((i // 2, z.detach()))
        h = mods[i + 1](z)
    if loss == "ce":  # on the logits: log-softmax inside
        return nn.CrossEntropyLoss()(z, Y.reshape(-1).long())
    return nn.MSELoss(reduction="sum")(h, Y) / (2 * X.shape[0])


def make_opt(kind, settings, net):
    """The torch optimizer for a case over net's parameters."""
    ps = params_flat(net)
    params = [p for p, _ in ps]
    if settings is None:  # torch's own defaults: no hyperparameters
        if kind == "adagrad":
            return torch.optim.Adagrad(params, foreach=False)
        if kind == "rmsprop":
            return torch.optim.RMSprop(params, foreach=False)
        if kind == "adam":
            return torch.optim.Adam(params, foreach=False)
        if kind == "adamw":
            return torch.optim.AdamW(
                [{"params": [p for p, d in ps if d]},
                 {"params": [p for p, d in ps if not d], "weight_decay": 0}],
                foreach=False)
        raise ValueError(kind)
    s = settings
    if kind in ("sgd", "momentum", "nesterov"):
        return torch.optim.SGD(params, lr=s["lr"],
                               momentum=s.get("momentum", 0),
                               dampening=s.get("dampening", 0),
                               nesterov=(kind == "nesterov"), foreach=False)
    if kind == "adagrad":
        return torch.optim.Adagrad(
            params, lr=s["lr"], lr_decay=s.get("lr_decay", 0),
            initial_accumulator_value=s.get("initial_accumulator", 0),
            eps=s.get("eps", 1e-10), foreach=False)
    if kind == "rmsprop":
        return torch.optim.RMSprop(
            params, lr=s["lr"], alpha=s.get("alpha", 0.99),
            eps=s.get("eps", 1e-8), momentum=s.get("momentum", 0),
            centered=bool(s.get("centered", 0)), foreach=False)
    betas = (s.get("beta1", 0.9), s.get("beta2", 0.999))
    if kind == "adam":
        return torch.optim.Adam(params, lr=s["lr"], betas=betas,
                                eps=s.get("eps", 1e-8),
                                amsgrad=bool(s.get("amsgrad", 0)),
                                foreach=False)
    if kind == "adamw":
        return torch.optim.AdamW(
            [{"params": [p for p, d in ps if d]},
             {"params": [p for p, d in ps if not d], "weight_decay": 0}],
            lr=s["lr"], betas=betas, eps=s.get("eps", 1e-8),
            weight_decay=s["weight_decay"],
            amsgrad=bool(s.get("amsgrad", 0)), foreach=False)
    raise ValueError(kind)


def used_settings(kind, opt):
    """The settings torch actually used (from its first group), in
    dn_opt_conf's field names, and the learning rate."""
    g = opt.param_groups[0]
    out = {}
    for f in FIELDS[kind]:
        if f in ("beta1", "beta2"):
            out[f] = g["betas"][0 if f == "beta1" else 1]
        elif f == "initial_accumulator":
            out[f] = g["initial_accumulator_value"]
        elif f in ("centered", "amsgrad"):
            out[f] = int(bool(g[f]))
        else:
            out[f] = g[f]
    if kind in ("momentum", "nesterov"):
        assert g["nesterov"] == (kind == "nesterov")
    return out, g["lr"]


def trace(netname, net0, X, Y, kind, settings, mini, dtype):
    """Runs 5 steps from net0's parameters; returns the flat parameters
    after each step, the pre-activations seen, the optimizer, and whether
    AMSGrad's running maximum ever differed from the plain second moment."""
    net = copy.deepcopy(net0).to(dtype)
    X = X.to(dtype)
    Y = Y.to(dtype)
    opt = make_opt(kind, settings, net)
    thetas, zs, amsgrad_bites = [], [], False
    for t in range(STEPS):
        lo, hi = BATCHES[t] if mini else (0, ROWS)
        opt.zero_grad()
        E = loss_of(netname, net, X[lo:hi], Y[lo:hi], zs)
        E.backward()
        opt.step()
        thetas.append(torch.cat([p.detach().reshape(-1)
                                 for p, _ in params_flat(net)]))
        for st in opt.state.values():
            if "max_exp_avg_sq" in st and \
                    not torch.equal(st["max_exp_avg_sq"], st["exp_avg_sq"]):
                amsgrad_bites = True
    return thetas, zs, opt, amsgrad_bites


def kink_free(netname, zs):
    layers = NETS[netname][1]
    for layer, z in zs:
        if layers[layer][1] == "prelu" and \
                z.abs().min().item() <= KINK:
            return False
    return True


def f9(x):
    s = "%.9g" % x
    return s + "f" if ("." in s or "e" in s) else s + ".0f"


def d17(x):
    return repr(float(x))  # the shortest decimal that reads back exactly


def c_array(name, values):
    vals = [f9(v) for v in values]
    lines = []
    for i in range(0, len(vals), 6):
        lines.append("    " + ", ".join(vals[i:i + 6]) + ",")
    return ("static const float %s[%d] = {\n%s\n};\n"
            % (name, len(vals), "\n".join(lines)))


def run_net(netname):
    """Draws the net (reseeding past PReLU kinks) and runs every case on
    it; returns (net, X, Y, seed, {case name: results})."""
    seed = NETS[netname][3]
    while True:
        net, X, Y = make_net(netname, seed)
        results, ok = {}, True
        for name, nn_, kind, settings in CASES:
            if nn_ != netname:
                continue
            r = {}
            for mode in ("full", "mini"):
                th32, zs, opt, bites = trace(netname, net, X, Y, kind,
                                             settings, mode == "mini",
                                             torch.float32)
                th64, _, _, _ = trace(netname, net, X, Y, kind, settings,
                                      mode == "mini", torch.float64)
                ok = ok and kink_free(netname, zs)
                r[mode] = (th32, th64, bites)
            r["settings"], r["lr"] = used_settings(kind, opt)
            results[name] = r
        if ok:
            return net, X, Y, seed, results
        seed += 1


def emit(out):
    torch.set_num_threads(1)
    nets = {}
    for netname in NETS:
        nets[netname] = run_net(netname)
    body, table, report = [], [], []
    net_index = {}
    for i, (netname, (net, X, Y, seed, _)) in enumerate(nets.items()):
        net_index[netname] = i
        n_in, layers, loss, _ = NETS[netname]
        theta = torch.cat([p.detach().reshape(-1)
                           for p, _ in params_flat(net)])
        body.append("/* net %s: %d-%s, loss %s, %d rows, "
                    "torch.manual_seed(%d) */\n"
                    % (netname, n_in, "-".join("%d(%s)" % (u, a)
                                               for u, a, _ in layers),
                       loss, ROWS, seed))
        body.append(c_array("og_%s_theta" % netname, theta.tolist()))
        body.append(c_array("og_%s_X" % netname, X.reshape(-1).tolist()))
        body.append(c_array("og_%s_Y" % netname, Y.reshape(-1).tolist()))
        body.append("\n")
    net_table = []
    for netname, (net, X, Y, seed, _) in nets.items():
        n_in, layers, loss, _ = NETS[netname]
        P = sum(p.numel() for p, _ in params_flat(net))
        net_table.append(
            "    { \"%s\", %d, %d, { %s }, { %s }, %s, %d, %d,\n"
            "      og_%s_theta, og_%s_X, og_%s_Y },\n"
            % (netname, n_in, len(layers),
               ", ".join(str(u) for u, _, _ in layers),
               ", ".join(ACT_ENUM[a] for _, a, _ in layers),
               LOSS_ENUM[loss], ROWS, P, netname, netname, netname))
    for name, netname, kind, settings in CASES:
        r = nets[netname][4][name]
        theta0 = torch.cat([p.detach().reshape(-1)
                            for p, _ in params_flat(nets[netname][0])])
        for mode in ("full", "mini"):
            th32, th64, bites = r[mode]
            flat = torch.cat(th32).tolist()
            body.append(c_array("og_%s_%s" % (name, mode), flat))
            # Float32 noise: PyTorch's float32 trace against its float64
            # trace from the same start, elementwise, relative with the
            # floor test_optim.c uses (0.1 max|theta| of that step).
            worst = 0.0
            for a, b in zip(th32, th64):
                fl = 0.1 * b.abs().max().item()
                d = ((a.double() - b).abs() /
                     torch.clamp(torch.maximum(a.double().abs(), b.abs()),
                                 min=fl)).max().item()
                worst = max(worst, d)
            travel = ((th32[-1] - theta0).abs().max().item() /
                      theta0.abs().max().item())
            report.append("%-28s %-4s  f32-vs-f64 max rel %.2g  travel "
                          "max|theta5-theta0|/max|theta0| %.3f%s"
                          % (name, mode, worst, travel,
                             "  (amsgrad max bites)" if bites else ""))
            if "amsgrad" in (settings or {}) and not bites:
                sys.exit("%s %s: the AMSGrad maximum never differs from "
                         "the second moment; the case tests nothing"
                         % (name, mode))
        s = r["settings"]
        conf = [".kind = %s" % KIND_ENUM[kind]]
        for f in FIELDS[kind]:
            v = s[f]
            conf.append(".%s = %s" % (f, str(v) if f in ("centered", "amsgrad")
                                      else d17(v)))
        conf_lines = textwrap.wrap(", ".join(conf), 66)
        table.append(
            "    { \"%s\", %d, %d,\n      { %s },\n      %s, og_%s_full, "
            "og_%s_mini },\n"
            % (name, net_index[netname], int(settings is None),
               "\n        ".join(conf_lines), d17(r["lr"]), name, name))
    out.write(
        "/* optim_golden.h — optimizer traces from PyTorch %s for\n"
        " * test_optim.c.  GENERATED by tests/gen_optim_golden.py; do not\n"
        " * edit.  Regenerate with\n"
        " *     /usr/bin/python3 tests/gen_optim_golden.py\n"
        " * Floats are float32 printed with %%.9g (exact round trip).\n"
        " * theta is descent's flat parameter vector (per layer W [out, in]\n"
        " * row-major, b, PReLU slopes); X is rows x n_in; Y is rows x\n"
        " * outputs (the class index per row for CE).  Each case's full and\n"
        " * mini arrays hold %d parameter vectors, theta after steps 1..%d:\n"
        " * full batch (all rows), and mini-batches of rows %s.\n"
        " * conf lists the fields torch used; defaults = 1 marks a case run\n"
        " * with torch's own defaults (test with dn_opt_defaults and\n"
        " * dn_opt_default_eta). */\n"
        "#ifndef OPTIM_GOLDEN_H\n#define OPTIM_GOLDEN_H\n\n"
        "#include \"descent.h\"\n\n"
        "#define OG_STEPS %d\n"
        "#define OG_MAX_LAYERS 2\n\n"
        "/* [lo, hi) rows of each mini-batch step */\n"
        "static const int og_batches[OG_STEPS][2] = {\n    %s\n};\n\n"
        "typedef struct {\n"
        "    const char *name;\n"
        "    int n_in, n_layers;\n"
        "    int units[OG_MAX_LAYERS];\n"
        "    dn_act act[OG_MAX_LAYERS];\n"
        "    dn_loss loss;\n"
        "    int rows, n_params;\n"
        "    const float *theta, *X, *Y;\n"
        "} og_net;\n\n"
        "typedef struct {\n"
        "    const char *name;\n"
        "    int net;              /* index into og_nets */\n"
        "    int defaults;         /* torch's defaults, no arguments */\n"
        "    dn_opt_conf conf;     /* the fields the kind uses; others 0 */\n"
        "    double eta;\n"
        "    const float *full, *mini;  /* OG_STEPS x n_params each */\n"
        "} og_case;\n\n"
        % (torch.__version__, STEPS, STEPS,
           ", ".join("%d-%d" % (lo, hi - 1) for lo, hi in BATCHES), STEPS,
           ", ".join("{ %d, %d }" % b for b in BATCHES)))
    out.write("".join(body))
    out.write("static const og_net og_nets[] = {\n%s};\n\n"
              % "".join(net_table))
    out.write("static const og_case og_cases[] = {\n")
    out.write("".join(table))
    out.write("};\n\n#define OG_N_NETS "
              "((int)(sizeof og_nets / sizeof *og_nets))\n"
              "#define OG_N_CASES "
              "((int)(sizeof og_cases / sizeof *og_cases))\n\n#endif\n")
    for line in report:
        sys.stderr.write(line + "\n")


def main():
    write_header("optim_golden.h", emit)


if __name__ == "__main__":
    main()
