"""lm_rows.py — loss-only check of an LM rule on the suite's 24 LM rows
(seeds 1-3) and on seeds 4-13 of the same 8 problems (80 rows), as
bench/solvers/NOTES.md's Rounds 5 and 6 count them: rows at or below
MINPACK's loss at 50 Jacobians, the median ratio, rows within 5% of
full-batch Adam's best of three rates after 500 epochs.  No timing, so
no lock.

    /usr/bin/python3 bench/solvers/lm_rows.py LIBDESCENT.so CACHE.json \
        [rule=N] [mu_dec=X] [mu_inc=X]

rule: 0 trainlm, 1 more, 2 sweep, 3 hybrid, 4 gated (the default).
CACHE.json holds MINPACK's and Adam's numbers (computed on first use,
about a minute; they do not depend on the LM rule)."""
import ctypes as C
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as R  # noqa: E402


def lm50(D, net, y, th, conf):
    """Lowest loss after 49 iterations (50 Jacobians)."""
    L, lib = D.L, D.lib
    m, d = D.model(net, th), D.data(net, y)
    s = L.dn_solver_conf()
    lib.dn_solver_defaults(C.byref(s), L.SOLVER["lm"])
    if "rule" in conf:
        s.lm_rule = int(conf["rule"])
    if "mu_dec" in conf:
        s.mu_dec = float(conf["mu_dec"])
    if "mu_inc" in conf:
        s.mu_inc = float(conf["mu_inc"])
    o = L.dn_train_opts()
    lib.dn_train_defaults(C.byref(o))
    o.patience, o.threads, o.epochs = 0, 1, 49
    s.gtol, s.ftol = 0.0, 0.0
    best = [float("inf")]

    def cb(e, user):
        best[0] = min(best[0], e.contents.train_loss)
        return 0
    o.on_epoch = L.EPOCH_FN(cb)
    r, err = L.dn_result(), L.dn_error()
    st = lib.dn_train_full(m, d, None, C.byref(s), C.byref(o), C.byref(r),
                           C.byref(err))
    lib.dn_model_free(m)
    lib.dn_data_free(d)
    L.check(st, err)
    return best[0]


def main():
    D = R.Descent(sys.argv[1])
    cache = sys.argv[2]
    conf = dict(a.split("=") for a in sys.argv[3:])
    rows = []
    for name, X, y, task, hidden in R.problems():
        net = R.Net(X, y, task, hidden)
        if task == "reg" and net.N >= net.n:
            rows += [(name, X, y, task, hidden, seed) for seed in range(1, 14)]
    refs = json.load(open(cache)) if os.path.exists(cache) else {}
    res = {}
    for name, X, y, task, hidden, seed in rows:
        key = "%s|%d" % (name, seed)
        net = R.Net(X, y, task, hidden)
        th = net.init(seed)
        if key not in refs:
            f0 = net.fg(th)[0]
            rt, _ = R.scipy_run(net, th, "lm", 50)
            refs[key] = dict(f0=f0, minpack=R.at(rt, 50, f0),
                             adam=min(D.adam(net, y, th, 500, eta)
                                      for eta in (1e-3, 1e-2, 1e-1)))
        res[key] = lm50(D, net, y, th, conf)
    json.dump(refs, open(cache, "w"), indent=1)
    for label, lo, hi in (("suite (seeds 1-3)", 1, 3),
                          ("seeds 4-13", 4, 13)):
        keys = [k for k in res if lo <= int(k.split("|")[1]) <= hi]
        rat = [R.ratio(res[k], refs[k]["minpack"], 1e-6 * refs[k]["f0"])
               for k in keys]
        ok = [k for k in keys if res[k] <= 1.05 * refs[k]["adam"]]
        print("%s: <= MINPACK %d / %d, median %.3f, within 5%% of Adam "
              "%d / %d" % (label, sum(x <= 1 for x in rat), len(keys),
                           statistics.median(rat), len(ok), len(keys)))
        for k in keys:
            if k not in ok:
                print("  more than 5%% above Adam: %s seed %s: %.4g "
                      "against %.4g" % (*k.split("|"), res[k],
                                        refs[k]["adam"]))


if __name__ == "__main__":
    main()
