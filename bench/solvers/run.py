"""run.py — `make bench-solvers`: descent's full-batch solvers against
SciPy's on many problems, from the same starting weights.

    /usr/bin/python3 bench/solvers/run.py LIBDESCENT.so OUT.md [--quick]

Problems: real regression tables bundled with Debian's python3-statsmodels
and python3-sklearn, sklearn's Friedman #1-#3 generators, and bundled
classification sets (iris, wine, breast cancer, digits); one or two
hidden layers, tanh and ReLU, 20 to 3,500 parameters; 3 seeds each.
Inputs (and a regression target) are standardized; the seed draws the
starting weights (Glorot uniform weights, small uniform biases) in NumPy,
which are copied into descent's model and handed to SciPy as the same
float64 vector.

Pairs (descent solver : reference):
  lm     : scipy.optimize.least_squares(method='lm')  MINPACK lmder,
           analytic Jacobian
  lbfgs  : scipy.optimize.minimize(method='L-BFGS-B'), m = 10
  cg     : scipy.optimize.minimize(method='CG')
  newton : scipy.optimize.minimize(method='trust-ncg') with the exact
           Hessian-vector product (complex-step differentiation of the
           analytic gradient: exact to float64 rounding)
and full-batch Adam (dn_train, batch = all rows, the best of three
learning rates) with 10x LM's evaluations on the regression rows.

Counting: for lm, k counts Jacobians (descent: one per iteration, plus
the one at the start; MINPACK: calls of the Jacobian function); for the
others k counts value-and-gradient evaluations (descent: dn_epoch.evals;
SciPy: calls of fun).  "loss at k" is the lowest loss known once k have
been spent.  The loss is descent's: (1/N) sum 1/2 e^2 (regression) or the
mean cross-entropy; SciPy computes it in float64, descent in float32.
Wall time: each side's run to 100 evaluations (Jacobians for lm), the
median of REPEATS runs in the same process.
"""
import ctypes as C
import math
import os
import statistics
import sys
import time

try:
    import numpy as np
    import scipy
    from scipy.optimize import least_squares, minimize
    import sklearn.datasets as skd
    import statsmodels.api as sm
except ImportError as e:
    sys.exit("bench-solvers: %s; install Debian's packages: apt-get install "
             "-y python3-numpy python3-scipy python3-sklearn "
             "python3-statsmodels" % e)

KS = (10, 25, 50, 100)
SEEDS = (1, 2, 3)
REPEATS = 3


# ---------------------------------------------------------------- data
def std(a):
    a = np.asarray(a, dtype=np.float64)
    s = a.std(axis=0)
    s[s == 0] = 1
    return (a - a.mean(axis=0)) / s


def reg(X, y):
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    return std(X), (y - y.mean()) / y.std()


def sm_table(name):
    d = getattr(sm.datasets, name).load_pandas()
    return d.exog.to_numpy(dtype=float), d.endog.to_numpy(dtype=float)


def problems():
    """(name, X, y, task, hidden layers [(units, act)], classes)."""
    P = []
    X, y = sm_table("longley")
    P.append(("longley", *reg(X, y), "reg", [(4, "tanh")]))
    X, y = sm_table("stackloss")
    P.append(("stackloss", *reg(X, y), "reg", [(4, "tanh")]))
    X, y = sm_table("engel")   # foodexp ~ income (statsmodels names it the
    P.append(("engel", *reg(y.reshape(-1, 1), X[:, 0]), "reg",  # other way)
              [(8, "tanh")]))
    X, y = sm_table("statecrime")
    P.append(("statecrime", *reg(X, y), "reg", [(6, "tanh")]))
    d = sm.datasets.star98.load_pandas()
    e = d.endog.to_numpy(dtype=float)
    P.append(("star98", *reg(d.exog.to_numpy(dtype=float),
                             e[:, 0] / e.sum(axis=1)), "reg",
              [(10, "tanh")]))
    X, y = sm_table("fair")
    P.append(("fair[:800]", *reg(X[:800], y[:800]), "reg", [(16, "relu")]))
    d = skd.load_diabetes()
    P.append(("diabetes", *reg(d.data, d.target), "reg", [(10, "tanh")]))
    X, y = skd.make_friedman1(n_samples=200, noise=1.0, random_state=0)
    P.append(("friedman1", *reg(X, y), "reg", [(16, "tanh"), (16, "tanh")]))
    X, y = skd.make_friedman2(n_samples=200, noise=10.0, random_state=0)
    P.append(("friedman2", *reg(X, y), "reg", [(10, "relu")]))
    X, y = skd.make_friedman3(n_samples=200, noise=0.1, random_state=0)
    P.append(("friedman3", *reg(X, y), "reg", [(10, "tanh")]))
    for name, load, hidden in (
            ("iris", skd.load_iris, [(5, "tanh")]),
            ("wine", skd.load_wine, [(8, "tanh")]),
            ("breast_cancer", skd.load_breast_cancer, [(10, "relu")]),
            ("digits", skd.load_digits, [(32, "tanh"), (32, "relu")])):
        d = load()
        P.append((name, std(d.data), d.target.astype(int), "class", hidden))
    return P


# ------------------------------------------------- the network in NumPy
def act(name, z):
    if name == "tanh":
        return np.tanh(z)
    return z * (z.real > 0)


def dact(name, z, a):
    if name == "tanh":
        return 1 - a * a
    return (z.real > 0).astype(float)


class Net:
    """The network descent builds, in float64 (complex for Hv): hidden
    layers, then identity + MSE (regression) or softmax + CE."""

    def __init__(self, X, y, task, hidden):
        self.X, self.task, self.hidden = X, task, hidden
        self.N = X.shape[0]
        if task == "reg":
            self.k = 1
            self.Y = y.reshape(-1, 1)
        else:
            self.k = int(y.max()) + 1
            self.Y = np.eye(self.k)[y]
        self.shapes = []
        n_in = X.shape[1]
        for units, _ in hidden + [(self.k, None)]:
            self.shapes.append((units, n_in))
            n_in = units
        self.n = sum(o * i + o for o, i in self.shapes)

    def layers(self, th):
        out, p = [], 0
        for o, i in self.shapes:
            W = th[p:p + o * i].reshape(o, i)
            p += o * i
            out.append((W, th[p:p + o]))
            p += o
        return out

    def init(self, seed):
        r = np.random.default_rng(seed)
        th = []
        for o, i in self.shapes:
            lim = math.sqrt(6 / (o + i))
            th.append(r.uniform(-lim, lim, o * i))
            th.append(r.uniform(-0.1, 0.1, o))
        return np.concatenate(th)

    def forward(self, th):
        a, zs, As = self.X, [], [self.X]
        L = self.layers(th)
        for (W, b), (_, name) in zip(L[:-1], self.hidden):
            z = a @ W.T + b
            a = act(name, z)
            zs.append(z)
            As.append(a)
        W, b = L[-1]
        out = a @ W.T + b
        if self.task != "reg":
            out = out - out.real.max(axis=1, keepdims=True)
            ex = np.exp(out)
            out = ex / ex.sum(axis=1, keepdims=True)
        return L, zs, As, out

    def fg(self, th):
        L, zs, As, out = self.forward(th)
        if self.task == "reg":
            e = out - self.Y
            f = 0.5 * np.sum((e * e).real) / self.N
        else:
            e = out - self.Y
            f = -np.sum(self.Y * np.log(np.maximum(out.real, 1e-300))) / self.N
        return f, self.backward(L, zs, As, e / self.N)

    def backward(self, L, zs, As, delta):
        grads = []
        for l in range(len(L) - 1, -1, -1):
            W, _ = L[l]
            grads.append((delta.sum(axis=0), delta.T @ As[l]))
            if l:
                delta = (delta @ W) * dact(self.hidden[l - 1][1], zs[l - 1],
                                           As[l])
        g = []
        for gb, gW in reversed(grads):
            g.append(gW.reshape(-1))
            g.append(gb)
        return np.concatenate(g)

    def hessp(self, th, v):
        h = 1e-30
        _, g = self.fg(th + 1j * h * v)
        return g.imag / h

    def resid(self, th):
        return (self.forward(th)[3][:, 0] - self.Y[:, 0]) / math.sqrt(self.N)

    def jac(self, th):
        """Rows d e_i / d theta of the residuals above, by backprop with
        one delta per sample."""
        L, zs, As, _ = self.forward(th)
        cols = []
        delta = np.ones((self.N, 1)) / math.sqrt(self.N)
        for l in range(len(L) - 1, -1, -1):
            W, _ = L[l]
            gW = (delta[:, :, None] * As[l][:, None, :]).reshape(self.N, -1)
            cols.append((gW, delta))
            if l:
                delta = (delta @ W) * dact(self.hidden[l - 1][1], zs[l - 1],
                                           As[l])
        return np.hstack([m for gW, gb in reversed(cols) for m in (gW, gb)])


# ------------------------------------------------------------ descent
class Descent:
    def __init__(self, path):
        os.environ["DESCENT_LIB"] = os.path.abspath(path)
        sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..",
                                        "..", "python"))
        from descent import _lib as L
        self.L, self.lib = L, L.lib

    def model(self, net, th):
        L = self.L
        a = L.dn_arch()
        a.n_in = net.X.shape[1]
        a.n_layers = len(net.hidden)
        for i, (u, name) in enumerate(net.hidden):
            a.layer[i].units, a.layer[i].act = u, L.ACT[name]
        err = L.dn_error()
        task = L.TASK_REGRESSION if net.task == "reg" else L.TASK_MULTICLASS
        L.check(self.lib.dn_arch_set_task(C.byref(a), task, net.k,
                                          C.byref(err)), err)
        m = C.c_void_p()
        L.check(self.lib.dn_model_new(C.byref(a), C.byref(m), C.byref(err)),
                err)
        n = self.lib.dn_model_n_params(m)
        assert n == net.n, (n, net.n)
        p = self.lib.dn_model_params(m)
        buf = np.ctypeslib.as_array(p, shape=(n,))
        buf[:] = th.astype(np.float32)
        return m

    def data(self, net, y):
        L = self.L
        err = L.dn_error()
        d = C.POINTER(L.dn_data)()
        L.check(self.lib.dn_data_new(net.N, net.X.shape[1], 1, C.byref(d),
                                     C.byref(err)), err)
        X = np.ctypeslib.as_array(d.contents.X, shape=(net.N, net.X.shape[1]))
        X[:] = net.X
        Y = np.ctypeslib.as_array(d.contents.Y, shape=(net.N,))
        Y[:] = y
        return d

    def run(self, net, y, th, solver, budget):
        """Trace [(evals or jacobians, loss)] and seconds; lm_more,
        lm_trainlm, lm_sweep and lm_hybrid are lm with --lm-rule more,
        trainlm, sweep and hybrid (lm: the default rule, gated)."""
        L, lib = self.L, self.lib
        rule = {"lm_trainlm": 0, "lm_more": 1, "lm_sweep": 2,
                "lm_hybrid": 3}.get(solver)  # DN_LM_*
        solver = "lm" if solver.startswith("lm") else solver
        m, d = self.model(net, th), self.data(net, y)
        s = L.dn_solver_conf()
        lib.dn_solver_defaults(C.byref(s), L.SOLVER[solver])
        if rule is not None:
            s.lm_rule = rule
        o = L.dn_train_opts()
        lib.dn_train_defaults(C.byref(o))
        o.patience = 0
        o.threads = 1
        s.gtol, s.ftol = 0.0, 0.0
        if solver == "lm":
            o.epochs = budget - 1
        else:
            o.epochs = budget
            s.max_evals = budget
        trace = []

        def cb(e, user):
            e = e.contents
            trace.append((e.epoch + 1 if solver == "lm" else e.evals,
                          e.train_loss))
            return 0
        o.on_epoch = L.EPOCH_FN(cb)
        r = L.dn_result()
        err = L.dn_error()
        t = time.perf_counter()
        st = lib.dn_train_full(m, d, None, C.byref(s), C.byref(o),
                               C.byref(r), C.byref(err))
        sec = time.perf_counter() - t
        lib.dn_model_free(m)
        lib.dn_data_free(d)
        L.check(st, err)
        return trace, sec

    def adam(self, net, y, th, epochs, eta):
        L, lib = self.L, self.lib
        m, d = self.model(net, th), self.data(net, y)
        o = L.dn_train_opts()
        lib.dn_train_defaults(C.byref(o))
        lib.dn_opt_defaults(C.byref(o.opt), L.OPT["adam"])
        o.epochs, o.batch, o.eta = epochs, net.N, eta
        o.patience, o.threads, o.shuffle = 0, 1, 0
        r = L.dn_result()
        err = L.dn_error()
        st = lib.dn_train(m, d, None, C.byref(o), C.byref(r), C.byref(err))
        lib.dn_model_free(m)
        lib.dn_data_free(d)
        L.check(st, err)
        return r.last.train_loss


# -------------------------------------------------------------- SciPy
class Stop(Exception):
    pass


def scipy_run(net, th, solver, budget):
    trace = []
    t = time.perf_counter()
    if solver.startswith("lm"):
        def jac(x):
            if len(trace) >= budget:
                raise Stop
            r = net.resid(x)
            trace.append((len(trace) + 1, 0.5 * float(r @ r)))
            return net.jac(x)
        try:
            least_squares(net.resid, th, jac=jac, method="lm",
                          max_nfev=100 * budget, xtol=1e-15, ftol=1e-15,
                          gtol=1e-15)
        except Stop:
            pass
    else:
        def fg(x):
            if len(trace) >= budget:
                raise Stop
            f, g = net.fg(x)
            trace.append((len(trace) + 1, float(f)))
            return f, g
        opts = {"maxiter": 100 * budget, "gtol": 1e-15}
        kw = {}
        if solver == "lbfgs":
            meth = "L-BFGS-B"
            opts.update(maxcor=10, maxfun=100 * budget, ftol=1e-15)
        elif solver == "cg":
            meth = "CG"
        else:
            meth = "trust-ncg"
            kw["hessp"] = net.hessp
        try:
            minimize(fg, th, jac=True, method=meth, options=opts, **kw)
        except Stop:
            pass
    return trace, time.perf_counter() - t


# ------------------------------------------------------------ metrics
def at(trace, k, f0):
    """Lowest loss known once k evaluations are spent."""
    best = f0
    for e, f in trace:
        if e > k:
            break
        best = min(best, f)
    return best


def reach(trace, target):
    for e, f in trace:
        if f <= target * (1 + 1e-6):
            return e
    return None


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: run.py LIBDESCENT.so OUT.md [--quick]")
    quick = "--quick" in sys.argv
    D = Descent(sys.argv[1])
    seeds = SEEDS[:1] if quick else SEEDS
    rows = {s: [] for s in ("lm", "lm_sweep", "lm_trainlm", "lm_more",
                            "lm_hybrid",
                            "lbfgs", "cg", "newton")}
    adam_rows = []
    P = problems()
    only = os.environ.get("ONLY")
    if only:
        P = [p for p in P if p[0] in only.split(",")]
    for name, X, y, task, hidden in P:
        net = Net(X, y, task, hidden)
        arch = "-".join([str(X.shape[1])] + ["%d%s" % (u, a[0]) for u, a in
                                             hidden] + [str(net.k)])
        # MINPACK refuses fewer residuals than unknowns (longley)
        solvers = (["lm", "lm_sweep", "lm_trainlm", "lm_more", "lm_hybrid"]
                   if task == "reg" and net.N >= net.n else []) \
            + ["lbfgs", "cg"]
        if net.n <= 2048:
            solvers.append("newton")
        if os.environ.get("SOLVERS"):   # a subset while working on one
            solvers = [s for s in solvers
                       if s in os.environ["SOLVERS"].split(",")]
        for seed in seeds:
            th = net.init(seed)
            f0 = net.fg(th)[0]
            refs = {}   # the lm rules share one MINPACK run
            for s in solvers:
                budget = 100
                dt, _ = D.run(net, y, th, s, budget)
                dsec = statistics.median(D.run(net, y, th, s, budget)[1]
                                         for _ in range(REPEATS))
                ref = "lm" if s.startswith("lm") else s
                if ref not in refs:
                    rt, _ = scipy_run(net, th, s, budget)
                    rsec = statistics.median(scipy_run(net, th, s, budget)[1]
                                             for _ in range(REPEATS))
                    refs[ref] = rt, rsec
                rt, rsec = refs[ref]
                ref_best = min(f for _, f in rt) if rt else f0
                row = dict(f0=f0, problem=name, arch=arch, n=net.n, seed=seed,
                           N=net.N, d={k: at(dt, k, f0) for k in KS},
                           r={k: at(rt, k, f0) for k in KS},
                           d_reach=reach(dt, ref_best), ref_best=ref_best,
                           dsec=dsec, rsec=rsec)
                rows[s].append(row)
                print("%-14s %-16s seed %d %-6s loss@50 %.4g vs %.4g  "
                      "%.3fs vs %.3fs" % (name, arch, seed, s, row["d"][50],
                                          row["r"][50], dsec, rsec),
                      flush=True)
            if "lm" in solvers and not os.environ.get("NO_ADAM"):
                lm50 = rows["lm"][-1]["d"][50]
                best = min(D.adam(net, y, th, 500, eta)
                           for eta in (1e-3, 1e-2, 1e-1))
                adam_rows.append(dict(problem=name, arch=arch, seed=seed,
                                      lm=lm50, adam=best))
    write(sys.argv[2], rows, adam_rows, P, seeds)


def ratio(a, b, floor=0.0):
    """a / b, both lifted by floor: below about 1e-6 of the starting loss
    float32 (descent) cannot tell losses apart that float64 (SciPy) can,
    and a ratio of two roundoff-level numbers says nothing."""
    a, b = a + floor, b + floor
    if b <= 0:
        return 1.0 if a <= b else math.inf
    return a / b


def write(path, rows, adam_rows, P, seeds):
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ref = {"lm": "MINPACK lmder (least_squares lm)",
           "lm_sweep": "MINPACK lmder (least_squares lm)",
           "lm_trainlm": "MINPACK lmder (least_squares lm)",
           "lm_more": "MINPACK lmder (least_squares lm)",
           "lm_hybrid": "MINPACK lmder (least_squares lm)",
           "lbfgs": "L-BFGS-B (m = 10)", "cg": "SciPy CG",
           "newton": "trust-ncg, exact Hv"}
    out = []
    w = out.append
    w("# Full-batch solvers against SciPy (`make bench-solvers`)\n")
    w("Written by bench/solvers/run.py; analysis in bench/solvers/NOTES.md."
      " %d problems, seeds %s, the same starting weights for both sides. "
      "SciPy %s, NumPy %s; %s, %d cores, load average %s at the end; "
      "times are medians of %d runs in the same process.\n"
      % (len(P), ", ".join(map(str, seeds)), scipy.__version__,
         np.__version__, cpu, os.cpu_count(),
         " ".join("%.1f" % x for x in os.getloadavg()), REPEATS))
    w("## Summary\n")
    w("ratio = descent's loss / the reference's after k evaluations (lm: "
      "Jacobians), both plus 1e-6 of the starting loss (float32's floor); "
      "median over the rows.\n")
    w("| solver | reference | rows | median ratio @10 | @25 | @50 | @100 | "
      "rows descent ≤ ref @50 | rows faster (100 evals) |")
    w("|---|---|---|---|---|---|---|---|---|")
    for s, R in rows.items():
        if not R:
            continue
        med = [statistics.median(ratio(r["d"][k], r["r"][k], 1e-6 * r["f0"])
                                 for r in R)
               for k in KS]
        wins = sum(ratio(r["d"][50], r["r"][50], 1e-6 * r["f0"]) <= 1
                   for r in R)
        fast = sum(r["dsec"] < r["rsec"] for r in R)
        w("| %s | %s | %d | %s | %d / %d | %d / %d |"
          % (s, ref[s], len(R), " | ".join("%.3f" % m for m in med), wins,
             len(R), fast, len(R)))
    if adam_rows:
        ok = sum(a["lm"] <= 1.05 * a["adam"] for a in adam_rows)
        w("\nLM at 50 iterations within 5%% of (or below) full-batch Adam's "
          "best of three rates (1e-3, 1e-2, 1e-1) after 500 epochs: "
          "%d / %d regression rows.\n" % (ok, len(adam_rows)))
    for s, R in rows.items():
        if not R:
            continue
        unit = "Jacobians" if s.startswith("lm") else "evaluations"
        w("\n## %s against %s (k = %s)\n" % (s, ref[s], unit))
        w("| problem | net | params | seed | descent @10 | @25 | @50 | @100 "
          "| ref @10 | @25 | @50 | @100 | descent's k to ref's best | "
          "descent s | ref s |")
        w("|---|---|---|---|" + "---|" * 11)
        for r in R:
            w("| %s | %s | %d | %d | %s | %s | %s | %.3f | %.3f |"
              % (r["problem"], r["arch"], r["n"], r["seed"],
                 " | ".join("%.4g" % r["d"][k] for k in KS),
                 " | ".join("%.4g" % r["r"][k] for k in KS),
                 r["d_reach"] if r["d_reach"] else "not in 100",
                 r["dsec"], r["rsec"]))
    if adam_rows:
        w("\n## LM at 50 iterations against full-batch Adam (500 epochs)\n")
        w("| problem | net | seed | LM @50 | Adam best | ratio |")
        w("|---|---|---|---|---|---|")
        for a in adam_rows:
            w("| %s | %s | %d | %.4g | %.4g | %.3f |"
              % (a["problem"], a["arch"], a["seed"], a["lm"], a["adam"],
                 ratio(a["lm"], a["adam"])))
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(out) + "\n")
    os.replace(tmp, path)
    print("wrote", path)


if __name__ == "__main__":
    main()
