"""trace_hand.py — the hand computation test_trace.sh holds descent
trace's output to: one step of a sigmoid network with a softmax output
and cross-entropy, worked out here in plain Python from the notes'
equations (no numpy, no descent).

    python3 trace_hand.py OUT OPT ETA L2 X1,X2[;X1,X2...] CLASS[,CLASS...] [CHECK]

reads the trace in OUT, takes the initial W and b it printed (the
network's random start; everything else is computed from them), and
compares EVERY number of every named value the trace printed with the
hand computation: relative 2e-5 (the trace prints 6 significant digits,
the weights it starts from are rounded to them) or absolute 1e-6.  A
name the hand computation does not know fails the test, so nothing
printed goes unchecked.  With CHECK, the finite differences must be
within 1e-4 of the gradients.  Prints one line per failure and, last,
"checked N numbers"; exits 1 on any failure.
"""
import math
import re
import sys


def parse(path):
    """{name: [[row], ...]} for 'name = [ ... ]' blocks and scalars."""
    vals, order = {}, []
    cur = None
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        m = re.match(r"^  (\S.*?) = \[(.*)\](ᵀ?)(.*)$", line)
        if m:
            cur = m.group(1)
            row = [float(t) for t in m.group(2).split()]
            vals[cur] = {"rows": [row], "vec": bool(m.group(3))}
            order.append(cur)
            continue
        m = re.match(r"^ +\[(.*)\](ᵀ?)$", line)
        if m and cur:
            vals[cur]["rows"].append([float(t) for t in m.group(1).split()])
            continue
        cur = None
        m = re.match(r"^  (\S.*?) = (\S+)$", line)
        if m:
            try:
                vals[m.group(1)] = {"rows": [[float(m.group(2))]], "vec": 0}
                order.append(m.group(1))
            except ValueError:
                pass
        m = re.match(r"^  \((down|up) by (\S+) from (\S+)\)$", line)
        if m:
            vals["(by)"] = {"rows": [[float(m.group(2))]], "vec": 0}
            vals["(from)"] = {"rows": [[float(m.group(3))]], "vec": 0}
            order += ["(by)", "(from)"]
    return vals, order


def sig(z):
    return 1 / (1 + math.exp(-z))


def matvec(W, a):
    return [sum(w * x for w, x in zip(row, a)) for row in W]


def main():
    out, opt, eta, lam, xs, ys = sys.argv[1:7]
    check = len(sys.argv) > 7
    eta, lam = float(eta), float(lam)
    X = [[float(t) for t in r.split(",")] for r in xs.split(";")]
    Y = [int(t) for t in ys.split(",")]
    N = len(X)
    got, order = parse(out)

    def mat(name):
        return got[name]["rows"]

    W1, W2 = mat("W1"), mat("W2")
    b1, b2 = mat("b1")[0], mat("b2")[0]
    K = len(b2)
    exp = {}

    def put(name, cols):
        """cols: one vector per data row; shown one column per row."""
        exp[name] = [list(r) for r in zip(*cols)] if N > 1 or \
            not got.get(name, {"vec": 1})["vec"] else [cols[0]]

    # forward, row by row
    z1 = [[u + b for u, b in zip(matvec(W1, x), b1)] for x in X]
    a1 = [[sig(z) for z in r] for r in z1]
    z2 = [[u + b for u, b in zip(matvec(W2, a), b2)] for a in a1]
    a2 = []
    for r in z2:
        mx = max(r)
        e = [math.exp(z - mx) for z in r]
        s = sum(e)
        a2.append([v / s for v in e])
    y = [[1.0 if j == c else 0.0 for j in range(K)] for c in Y]
    C = -sum(math.log(a2[n][Y[n]]) for n in range(N)) / N
    pen = lam / 2 * sum(w * w for W in (W1, W2) for r in W for w in r)
    # backward, row by row: delta_L = a - y, delta = (W^T delta) * s'(z)
    d2 = [[a - t for a, t in zip(a2[n], y[n])] for n in range(N)]
    wd = [[sum(W2[j][i] * d2[n][j] for j in range(K))
           for i in range(len(b1))] for n in range(N)]
    fp = [[a * (1 - a) for a in r] for r in a1]
    d1 = [[u * f for u, f in zip(wd[n], fp[n])] for n in range(N)]

    def outer_mean(d, a):
        return [[sum(d[n][i] * a[n][j] for n in range(N)) / N
                 for j in range(len(a[0]))] for i in range(len(d[0]))]

    def mean(d):
        return [sum(d[n][i] for n in range(N)) / N for i in range(len(d[0]))]

    gW1, gb1 = outer_mean(d1, X), mean(d1)
    gW2, gb2 = outer_mean(d2, a1), mean(d2)
    tW1 = [[g + lam * w for g, w in zip(gr, wr)] for gr, wr in zip(gW1, W1)]
    tW2 = [[g + lam * w for g, w in zip(gr, wr)] for gr, wr in zip(gW2, W2)]

    put("a0", X); put("z1", z1); put("a1", a1); put("z2", z2)
    put("a2", a2); put("y", y); put("delta2", d2)
    put("W2^T delta2", wd); put("f'(z1)", fp); put("delta1", d1)
    exp["W1"], exp["W2"], exp["b1"], exp["b2"] = W1, W2, [b1], [b2]
    exp["C"] = [[C]]
    exp["dC/dW1"], exp["dC/db1"] = gW1, [gb1]
    exp["dC/dW2"], exp["dC/db2"] = gW2, [gb2]
    grads = {"W1": tW1, "b1": [gb1], "W2": tW2, "b2": [gb2]}
    if lam > 0:
        exp["lambda/2 sum W^2"] = [[pen]]
        exp["C (with L2)"] = [[C + pen]]
        exp["dC/dW1 (with L2)"], exp["dC/dW2 (with L2)"] = tW1, tW2
    exp["eta"] = [[eta]]
    params = {"W1": W1, "b1": [b1], "W2": W2, "b2": [b2]}
    new = {}
    for k, P in params.items():
        G = grads[k]
        if opt == "sgd":
            new[k] = [[p - eta * g for p, g in zip(pr, gr)]
                      for pr, gr in zip(P, G)]
        else:   # adam, first step: m = 0.1 g, v = 0.001 g^2
            m = [[0.1 * g for g in gr] for gr in G]
            v = [[0.001 * g * g for g in gr] for gr in G]
            st = [[eta * (mm / 0.1) / (math.sqrt(vv / 0.001) + 1e-8)
                   for mm, vv in zip(mr, vr)] for mr, vr in zip(m, v)]
            exp["m of " + k], exp["v of " + k] = m, v
            exp["step of " + k] = st
            new[k] = [[p - s for p, s in zip(pr, sr)]
                      for pr, sr in zip(P, st)]
        exp["new " + k] = new[k]
    if opt == "adam":
        exp["t"] = [[1]]
        exp["1 - beta1^t"], exp["1 - beta2^t"] = [[0.1]], [[0.001]]
    # the loss after the step
    nW1, nW2 = new["W1"], new["W2"]
    nb1, nb2 = new["b1"][0], new["b2"][0]
    C1 = 0
    for n in range(N):
        h = [sig(u + b) for u, b in zip(matvec(nW1, X[n]), nb1)]
        z = [u + b for u, b in zip(matvec(nW2, h), nb2)]
        mx = max(z)
        C1 -= (z[Y[n]] - mx - math.log(sum(math.exp(t - mx) for t in z))) / N
    C1 += lam / 2 * sum(w * w for W in (nW1, nW2) for r in W for w in r)
    exp["C after (with L2)" if lam > 0 else "C after"] = [[C1]]
    exp["(by)"] = [[abs(C1 - (C + pen))]]
    exp["(from)"] = [[C + pen]]

    bad, n_checked = 0, 0
    for name in order:
        key = name
        if name.startswith("finite diff of "):
            base = name[len("finite diff of "):]
            want, tol_abs, rel = exp.get(base), 1e-4, 0
        else:
            want, tol_abs, rel = exp.get(key), 1e-6, 2e-5
        if want is None:
            print("printed value %r has no hand computation" % name)
            bad += 1
            continue
        rows = got[name]["rows"]
        if len(rows) != len(want) or any(len(r) != len(w)
                                         for r, w in zip(rows, want)):
            print("%s: shape %s, hand %s" % (name, [len(r) for r in rows],
                                            [len(w) for w in want]))
            bad += 1
            continue
        for r, w in zip(rows, want):
            for g, e in zip(r, w):
                n_checked += 1
                if abs(g - e) > max(tol_abs, rel * abs(e)):
                    print("%s: printed %.9g, by hand %.9g" % (name, g, e))
                    bad += 1
    if check and not any(k.startswith("finite diff of ") for k in order):
        print("--check printed no finite differences")
        bad += 1
    print("checked %d numbers" % n_checked)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
