#!/usr/bin/python3
"""gen_sched_golden.py — learning-rate schedules from PyTorch for
tests/test_schedule.c.

Drives torch.optim.lr_scheduler over SCHED_EPOCHS epochs on a one-element
SGD optimizer and records param_groups[0]['lr'] at the start of every
epoch: the rate used during epoch e.  Each case pairs the dn_sched_conf
that should reproduce it with the PyTorch schedulers that define it:

    STEP / EXP / COSINE   StepLR / ExponentialLR / CosineAnnealingLR
    PLATEAU               ReduceLROnPlateau(mode='min', eps=1e-8), stepped
                          with LOSSES[e] at the end of epoch e
    warmup N              SequentialLR([LinearLR(start_factor=1/N,
                          end_factor=1, total_iters=N-1), main],
                          milestones=[N]); the ramp alone for CONSTANT
    warmup N + PLATEAU    LinearLR stepped for the first N epochs, then
                          ReduceLROnPlateau fed the losses of epochs N,
                          N+1, ... (it has no SequentialLR form: its step
                          takes a metric); the rate carries on from the
                          ramp's last value, eta0

PyTorch computes most rates recursively (lr_e from lr_{e-1}); descent uses
the closed forms.  On stderr the script prints, per case, the largest
relative difference between PyTorch's values and those closed forms, as
evidence that the test's tolerance (1e-10 relative) is loose enough for
rounding and tight enough for anything else.

OneCycleLR is recorded apart, over OC_STEPS = 100 steps (one step an
epoch, cycle_momentum=False: descent cycles the rate only), for the
test's tighter tolerance (1e-12 relative): torch computes each of its
rates in closed form, as descent does.

It also records PyTorch's own default arguments (read from the
constructors' signatures, not typed in), so the test can hold
dn_sched_defaults to them.

Regenerate (Debian's python3-torch; the plain `python3` may lack torch):
    /usr/bin/python3 tests/gen_sched_golden.py   # writes tests/sched_golden.h
    /usr/bin/python3 tests/gen_sched_golden.py --stdout   # prints it
"""
import inspect
import math
import os
import sys
import warnings

import torch
from torch.optim.lr_scheduler import (CosineAnnealingLR, ExponentialLR,
                                      LinearLR, OneCycleLR,
                                      ReduceLROnPlateau, SequentialLR,
                                      StepLR)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_io import write_header  # noqa: E402

EPOCHS = 50
ETA0 = 0.1
NAN, INF = float("nan"), float("inf")

# The monitored loss, one value per epoch, chosen so that relative and
# absolute thresholds (both 0.01 below) disagree and every rule of
# ReduceLROnPlateau acts at least once:
#   0-8    high level, falling 0.02 an epoch: better by 0.01 absolute, not
#          by 1% relative -> 'rel' cuts at epoch 4 while 'abs' improves;
#          epoch 6 improves during rel's cooldown
#   9-11   large drops (1.99 = 2 - 0.01 exactly)
#   12-21  low level, falling 0.002 an epoch: better by 1%, not by 0.01
#          -> 'abs' cuts while 'rel' improves; epoch 16 is exactly
#          best - 0.01, which is not an improvement (the comparison is
#          strict): counted as one, abs would not cut there
#   22-24  NaN and +inf (never an improvement), then exactly best (1 -
#          0.01): again not an improvement, and rel cuts because of it
#   26-49  a new best during a cooldown, then a slow rise: repeated cuts
#          down to min_lr (0.01), where the last cut is clamped and the
#          next ones change nothing
LOSSES = [
    10.0, 9.98, 9.96, 9.94, 9.92, 9.90, 9.88, 9.86, 9.84, 2.0,
    1.99, 1.0, 0.1, 0.098, 0.096, 0.094, 0.1 - 0.01, 0.090, 0.088, 0.086,
    0.084, 0.082, NAN, INF, 0.082 * (1 - 0.01), 0.09, 0.06, 0.061, 0.0605,
    0.062, 0.063, 0.064, 0.065, 0.066, 0.067, 0.068, 0.069, 0.07, 0.071,
    0.072, 0.073, 0.074, 0.075, 0.076, 0.077, 0.078, 0.079, 0.08, 0.081, 0.082,
]
# With warmup the plateau must ignore the ramp's losses: these five are
# far below everything after them, so watching them would make every
# later epoch "bad" and cut the rate again and again.
WARMUP_LOSSES = [0.001] * 5 + LOSSES[:EPOCHS - 5]
FLAT_LOSSES = [1.0] * EPOCHS

# descent's defaults (include/descent.h), so each case names only what
# it changes.
DN_DEFAULTS = dict(step_size=10, gamma=0.1, t_max=0, eta_min=0.0,
                   factor=0.1, patience=10, threshold=1e-4, threshold_abs=0,
                   cooldown=0, warmup=0)
CONF_FIELDS = ["step_size", "gamma", "t_max", "eta_min", "factor",
               "patience", "threshold", "threshold_abs", "cooldown",
               "warmup"]
KIND_ENUM = {"constant": "DN_SCHED_CONSTANT", "step": "DN_SCHED_STEP",
             "exp": "DN_SCHED_EXP", "cosine": "DN_SCHED_COSINE",
             "plateau": "DN_SCHED_PLATEAU"}


def main_sched(opt, kind, c):
    """The torch scheduler for descent's main schedule (not plateau)."""
    if kind == "step":
        return StepLR(opt, step_size=c["step_size"], gamma=c["gamma"])
    if kind == "exp":
        return ExponentialLR(opt, gamma=c["gamma"])
    if kind == "cosine":
        return CosineAnnealingLR(opt, T_max=c["torch_t_max"],
                                 eta_min=c["eta_min"])
    raise ValueError(kind)


def plateau(opt, c):
    return ReduceLROnPlateau(
        opt, mode="min", factor=c["factor"], patience=c["patience"],
        threshold=c["threshold"],
        threshold_mode="abs" if c["threshold_abs"] else "rel",
        cooldown=c["cooldown"], min_lr=c["eta_min"], eps=1e-8)


def warmup_sched(opt, n):
    return LinearLR(opt, start_factor=1.0 / n, end_factor=1.0,
                    total_iters=n - 1)


def make_stepper(opt, kind, c):
    """A function (epoch, loss) that ends one epoch, and a description."""
    n = c["warmup"]
    if kind == "plateau":
        p = plateau(opt, c)
        desc = ("ReduceLROnPlateau(factor=%g, patience=%d, threshold=%g, "
                "threshold_mode='%s', cooldown=%d, min_lr=%g)"
                % (c["factor"], c["patience"], c["threshold"],
                   "abs" if c["threshold_abs"] else "rel", c["cooldown"],
                   c["eta_min"]))
        if n == 0:
            return (lambda e, loss: p.step(loss)), desc
        w = warmup_sched(opt, n)

        def step(e, loss):
            if e < n:
                w.step()
            else:
                p.step(loss)
        return step, "LinearLR(1/%d) for %d epochs, then %s" % (n, n, desc)
    if kind == "constant":
        assert n > 0
        w = warmup_sched(opt, n)
        return (lambda e, loss: w.step()), \
            "LinearLR(start_factor=1/%d, total_iters=%d)" % (n, n - 1)
    m = main_sched(opt, kind, c)
    desc = type(m).__name__
    if n == 0:
        return (lambda e, loss: m.step()), desc
    w = warmup_sched(opt, n)
    seq = SequentialLR(opt, schedulers=[w, m], milestones=[n])
    return (lambda e, loss: seq.step()), \
        "SequentialLR([LinearLR(1/%d), %s], milestones=[%d])" % (n, desc, n)


def torch_rates(kind, c, eta0, losses):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=eta0)
    step, desc = make_stepper(opt, kind, c)
    out = []
    for e in range(EPOCHS):
        out.append(float(opt.param_groups[0]["lr"]))
        opt.step()      # no gradient: changes nothing, keeps torch quiet
        step(e, losses[e] if losses else 0.0)
    return out, desc


def closed_form(kind, c, eta0, e):
    """descent's formula for epoch e (not for plateau)."""
    n = c["warmup"]
    if e < n:
        return eta0 * (e + 1) / n
    e -= n
    if kind == "step":
        return eta0 * c["gamma"] ** (e // c["step_size"])
    if kind == "exp":
        return eta0 * c["gamma"] ** e
    if kind == "cosine":
        t = c["torch_t_max"]
        return c["eta_min"] + (eta0 - c["eta_min"]) * \
            (1 + math.cos(math.pi * e / t)) / 2
    return eta0


# name, kind, changes to descent's defaults, eta0, losses fed
CASES = [
    ("step", "step", dict(step_size=7, gamma=0.5), ETA0, None),
    ("exp", "exp", dict(gamma=0.9), ETA0, None),
    ("cosine_t50", "cosine", dict(t_max=50), ETA0, None),
    # t_max 0: the epochs after warmup, here 50
    ("cosine_t0", "cosine", dict(t_max=0), ETA0, None),
    # past t_max torch's cosine climbs back up (a period of 2 t_max)
    ("cosine_t20_min", "cosine", dict(t_max=20, eta_min=1e-4), ETA0, None),
    ("cosine_t20", "cosine", dict(t_max=20), ETA0, None),
    ("warmup5_constant", "constant", dict(warmup=5), ETA0, None),
    ("warmup1_exp", "exp", dict(gamma=0.9, warmup=1), ETA0, None),
    ("warmup5_step", "step", dict(step_size=7, gamma=0.5, warmup=5), ETA0,
     None),
    ("warmup5_exp", "exp", dict(gamma=0.9, warmup=5), ETA0, None),
    # t_max 0 after warmup 5: 45
    ("warmup5_cosine_t0", "cosine", dict(warmup=5), ETA0, None),
    ("warmup5_cosine_t20_min", "cosine",
     dict(t_max=20, eta_min=1e-4, warmup=5), ETA0, None),
    ("plateau_rel", "plateau",
     dict(factor=0.5, patience=3, threshold=0.01, cooldown=2, eta_min=0.01),
     ETA0, LOSSES),
    ("plateau_abs", "plateau",
     dict(factor=0.5, patience=3, threshold=0.01, threshold_abs=1,
          cooldown=2, eta_min=0.01), ETA0, LOSSES),
    ("plateau_defaults", "plateau", dict(), ETA0, LOSSES),
    # eps: 3e-8 -> 1.5e-8 is a cut of 1.5e-8 > eps; the next (7.5e-9) is
    # smaller than eps and skipped, again and again
    ("plateau_eps", "plateau", dict(factor=0.5, patience=2), 3e-8,
     FLAT_LOSSES),
    ("warmup5_plateau_rel", "plateau",
     dict(factor=0.5, patience=3, threshold=0.01, cooldown=2, eta_min=0.01,
          warmup=5), ETA0, WARMUP_LOSSES),
]


OC_STEPS = 100
# name, eta0 (max_lr), dn_sched_conf changes, epochs given dn_sched_init;
# total_steps is t_max, or the epochs when t_max is 0
OC_CASES = [
    ("onecycle_defaults", 0.1, dict(), OC_STEPS),
    ("onecycle_custom", 0.05,
     dict(t_max=80, pct_start=0.25, div_factor=10.0, final_div_factor=100.0),
     OC_STEPS),
    # pct_start * total_steps - 1 = 17.5: the peak between two steps
    ("onecycle_half_step", 1.0, dict(pct_start=0.185), OC_STEPS),
]
OC_FIELDS = ["t_max", "pct_start", "div_factor", "final_div_factor"]


def onecycle_rates(eta0, c, total):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=eta0)
    s = OneCycleLR(opt, max_lr=eta0, total_steps=total,
                   pct_start=c["pct_start"], div_factor=c["div_factor"],
                   final_div_factor=c["final_div_factor"],
                   anneal_strategy="cos", cycle_momentum=False,
                   three_phase=False)
    out = []
    for e in range(min(total, OC_STEPS)):
        out.append(float(opt.param_groups[0]["lr"]))
        opt.step()
        s.step()
    return out


def emit_onecycle(out):
    defaults = dict(t_max=0,
                    pct_start=torch_default(OneCycleLR, "pct_start"),
                    div_factor=torch_default(OneCycleLR, "div_factor"),
                    final_div_factor=torch_default(OneCycleLR,
                                                   "final_div_factor"))
    for k in ("pct_start", "div_factor", "final_div_factor"):
        out.write("#define SG_TORCH_ONECYCLE_%s %s\n"
                  % (k.upper(), c_short(float(defaults[k]))))
    out.write("#define OC_STEPS %d\n\n" % OC_STEPS)
    table = []
    for name, eta0, changes, epochs in OC_CASES:
        c = dict(defaults)
        c.update(changes)
        total = c["t_max"] or epochs
        rates = onecycle_rates(eta0, c, total)
        # past a shorter cycle descent holds the end value (torch raises)
        rates += [rates[-1]] * (OC_STEPS - len(rates))
        out.write("/* %s: OneCycleLR(max_lr=%g, total_steps=%d, "
                  "pct_start=%g, div_factor=%g, final_div_factor=%g, "
                  "cycle_momentum=False) */\n"
                  % (name, eta0, total, c["pct_start"], c["div_factor"],
                     c["final_div_factor"]))
        out.write(c_array("sg_%s_eta" % name, rates))
        fields = ", ".join(".%s = %s" % (f, c_short(c[f])) for f in OC_FIELDS)
        table.append("    { \"%s\", { .kind = DN_SCHED_ONECYCLE, %s },\n"
                     "      %s, %d, sg_%s_eta },\n"
                     % (name, fields, c_short(eta0), epochs, name))
    out.write("\ntypedef struct {\n    const char *name;\n"
              "    dn_sched_conf conf;\n    double eta0;\n"
              "    int epochs;            /* dn_sched_init's epochs */\n"
              "    const double *eta;     /* OC_STEPS rates */\n"
              "} onecycle_golden;\n\n"
              "static const onecycle_golden onecycle_goldens[] = {\n")
    out.write("".join(table))
    out.write("};\n\n#define OC_N_CASES "
              "((int)(sizeof onecycle_goldens / sizeof *onecycle_goldens))\n"
              "\n")


def torch_default(cls, arg):
    return inspect.signature(cls.__init__).parameters[arg].default


def c_double(x):
    if math.isnan(x):
        return "NAN"
    if math.isinf(x):
        return "INFINITY" if x > 0 else "-INFINITY"
    return "%.17g" % x


def c_short(x):
    """An int as is; a finite double as Python's repr, the shortest text
    that reads back as the same double (strtod agrees)."""
    if isinstance(x, int):
        return str(x)
    assert math.isfinite(x)
    return repr(float(x))


def c_array(name, values):
    vals = [c_double(v) for v in values]
    lines = ["    " + ", ".join(vals[i:i + 4]) + ","
             for i in range(0, len(vals), 4)]
    return "static const double %s[%d] = {\n%s\n};\n" % (
        name, len(vals), "\n".join(lines))


def emit(out):
    warnings.filterwarnings("ignore")   # torch's step(epoch) deprecation
    body, table, report, loss_arrays = [], [], [], []
    arrays = {}
    for name, kind, changes, eta0, losses in CASES:
        c = dict(DN_DEFAULTS)
        if kind == "exp":
            c["gamma"] = 0.95
        c.update(changes)
        c["torch_t_max"] = c["t_max"] or max(1, EPOCHS - c["warmup"])
        rates, desc = torch_rates(kind, c, eta0, losses)
        if kind != "plateau":
            worst = max(abs(r - closed_form(kind, c, eta0, e)) /
                        max(abs(r), 1e-300) for e, r in enumerate(rates))
            report.append("%-24s torch vs closed form: max rel diff %.2g"
                          % (name, worst))
        else:
            cuts = [e for e in range(1, EPOCHS) if rates[e] != rates[e - 1]]
            report.append("%-24s rate changes at epochs %s; last %.6g"
                          % (name, cuts, rates[-1]))
        body.append("/* %s: %s, eta0 %g */\n" % (name, desc, eta0))
        body.append(c_array("sg_%s_eta" % name, rates))
        if losses is not None:
            key = id(losses)
            if key not in arrays:
                arrays[key] = "sg_loss_%d" % len(arrays)
                loss_arrays.append(c_array(arrays[key], losses))
            loss_name = arrays[key]
        else:
            loss_name = "NULL"
        fields = [".%s = %s" % (f, c_short(c[f])) for f in CONF_FIELDS]
        table.append("    { \"%s\",\n      \"%s\",\n"
                     "      { .kind = %s, %s,\n        %s,\n        %s },\n"
                     "      %s, %d, %s, sg_%s_eta },\n"
                     % (name, desc.replace('"', "'"), KIND_ENUM[kind],
                        ", ".join(fields[:4]), ", ".join(fields[4:8]),
                        ", ".join(fields[8:]), c_short(eta0), EPOCHS,
                        loss_name, name))
    defaults = [
        ("STEP_GAMMA", torch_default(StepLR, "gamma")),
        ("COSINE_ETA_MIN", torch_default(CosineAnnealingLR, "eta_min")),
        ("PLATEAU_FACTOR", torch_default(ReduceLROnPlateau, "factor")),
        ("PLATEAU_PATIENCE", torch_default(ReduceLROnPlateau, "patience")),
        ("PLATEAU_THRESHOLD", torch_default(ReduceLROnPlateau, "threshold")),
        ("PLATEAU_THRESHOLD_ABS",
         int(torch_default(ReduceLROnPlateau, "threshold_mode") == "abs")),
        ("PLATEAU_COOLDOWN", torch_default(ReduceLROnPlateau, "cooldown")),
        ("PLATEAU_MIN_LR", torch_default(ReduceLROnPlateau, "min_lr")),
        ("PLATEAU_EPS", torch_default(ReduceLROnPlateau, "eps")),
    ]
    assert torch_default(ExponentialLR, "gamma") is inspect.Parameter.empty
    out.write(
        "/* sched_golden.h — learning rates from PyTorch %s for\n"
        " * test_schedule.c.  GENERATED by tests/gen_sched_golden.py; do not\n"
        " * edit.  Regenerate with\n"
        " *     /usr/bin/python3 tests/gen_sched_golden.py\n"
        " * Doubles are printed with %%.17g (exact round trip).  eta[e] is\n"
        " * the rate PyTorch used during epoch e; loss[e] (NULL: none) is the\n"
        " * monitored value passed to dn_sched_step at the end of epoch e. */\n"
        "#ifndef SCHED_GOLDEN_H\n#define SCHED_GOLDEN_H\n\n"
        "#include \"descent.h\"\n#include <math.h>\n#include <stddef.h>\n\n"
        "#define SG_EPOCHS %d\n\n"
        "/* PyTorch's default arguments (ExponentialLR has no default gamma;\n"
        " * ReduceLROnPlateau's eps is fixed in descent). */\n"
        % (torch.__version__, EPOCHS))
    for k, v in defaults:
        out.write("#define SG_TORCH_%s %s\n" % (k, c_short(v)))
    out.write("\ntypedef struct {\n"
              "    const char *name;\n"
              "    const char *torch;     /* the PyTorch schedulers */\n"
              "    dn_sched_conf conf;\n"
              "    double eta0;\n"
              "    int epochs;            /* dn_sched_init's epochs */\n"
              "    const double *loss;    /* SG_EPOCHS values, or NULL */\n"
              "    const double *eta;     /* SG_EPOCHS rates */\n"
              "} sched_golden;\n\n")
    out.write("".join(loss_arrays))
    out.write("".join(body))
    out.write("\nstatic const sched_golden sched_goldens[] = {\n")
    out.write("".join(table))
    out.write("};\n\n#define SG_N_CASES "
              "((int)(sizeof sched_goldens / sizeof *sched_goldens))\n\n")
    emit_onecycle(out)
    out.write("#endif\n")
    for line in report:
        sys.stderr.write(line + "\n")


def main():
    write_header("sched_golden.h", emit)


if __name__ == "__main__":
    main()
