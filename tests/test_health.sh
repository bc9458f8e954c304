#!/bin/sh
# descent train's health warnings: each provoked from the command line
# and printed once on stderr, with the epoch and layer that the test
# finds on its own (from the history CSV, or from the saved model's
# weights with tests/load_model.py); none for a healthy run; --no-health
# and -q silence them; stdout and the trained model are the same with or
# without them.  (test_health.c provokes each in the library, dead ReLUs
# and exploding gradients with their exact epochs.)
. tests/lib.sh
PY=/usr/bin/python3
iris=data/iris.csv
# same_run A B: two runs' stdout equal but for the epoch times
same_run() {
    sed 's/ [0-9.]*s$//' "$1" > "$T/a.txt"
    sed 's/ [0-9.]*s$//' "$2" > "$T/b.txt"
    cmp -s "$T/a.txt" "$T/b.txt" && ok || { bad "stdout differs: $3"; diff "$T/a.txt" "$T/b.txt" | head -5; }
}
# count PATTERN FILE: lines of FILE with PATTERN
count() { grep -c -- "$1" "$2"; }

# A healthy run: iris with every default.
expect 0 "$D" train $iris -o "$T/iris.st"
[ "$(count warning "$T/err")" -eq 0 ] && ok || bad "iris warned: $(head -3 "$T/err")"
num_ge "$(count '^epoch' "$T/out")" 20 "iris epochs"

# lr 10, plain SGD: the loss climbs for epochs on end, gradients explode,
# ReLU units die.
run10="$iris --layers 16 --opt sgd --lr 10 --epochs 12 --seed 1"
expect 0 "$D" train $run10 --history "$T/h10.csv" -o "$T/lr10.st"
cp "$T/out" "$T/out10"; cp "$T/err" "$T/err10"; cp "$T/lr10.st" "$T/lr10.first"
[ "$(count 'the training loss rose' "$T/err10")" -eq 1 ] && ok || bad "rise warnings: $(cat "$T/err10")"
[ "$(count 'exploding gradients' "$T/err10")" -ge 1 ] && ok || bad "no exploding warning"
[ "$(count 'dead ReLUs' "$T/err10")" -eq 1 ] && ok || bad "dead warnings: $(cat "$T/err10")"
# ... and with L2 too, where the dead share is a quarter (5 of 16)
expect 0 "$D" train $run10 --l2 0.01 -o "$T/lr10l2.st"
grep_in "$T/out" "health: dead ReLUs warned from a quarter of a layer, not a tenth (L2 lambda 0.01"
grep -q 'epoch 3, layer 1 (relu, 16 units): 5 of 16 units are dead ReLUs' "$T/err" && ok || bad "lr 10 with L2: $(grep dead "$T/err")"
# the default run of house.csv: the policy's L2 retires 7 of layer 2's 64
# units (it warned at a tenth), which is no warning at a quarter
expect 0 "$D" train data/house.csv --target price -o "$T/house.st"
[ "$(count 'dead ReLUs' "$T/err")" -eq 0 ] && ok || bad "house warned: $(grep dead "$T/err")"
grep_in "$T/out" "dead ReLUs warned from a quarter of a layer, not a tenth (L2 lambda 0.001 retires units the fit does not need)"
# each kind once per layer, every line a warning with its epoch
"$PY" - "$T/err10" <<'PYEOF' && ok || bad "a warning repeated or unworded: $(cat "$T/err10")"
import re, sys
seen = set()
for line in open(sys.argv[1]):
    m = re.match(r"descent train: warning: epoch (\d+)(, layer (\d+) \(\w+, \d+ units?\))?: (.*)", line)
    assert m, line
    kind = ("rose" if "loss rose" in line else "explod" if "exploding" in line
            else "dead" if "dead ReLU" in line else "?")
    assert kind != "?", line
    key = (kind, m.group(3))
    assert key not in seen, key
    seen.add(key)
PYEOF
# the rise: the first epoch closing three rises in a row that add up to
# 10%, and where that run of rises began, from the history
"$PY" - "$T/h10.csv" "$T/err10" <<'PYEOF' && ok || bad "the rise's epochs: $(grep rose "$T/err10")"
import csv, re, sys
L = {int(r["epoch"]): float(r["train_loss"]) for r in csv.DictReader(open(sys.argv[1]))}
want = None
for e in sorted(L):
    if e >= 4 and all(L[k] > L[k - 1] for k in (e - 2, e - 1, e)) and L[e] >= 1.1 * L[e - 3]:
        s = e - 2
        while s > 2 and L[s - 1] > L[s - 2]:
            s -= 1
        want = (e, s)
        break
line = [l for l in open(sys.argv[2]) if "loss rose" in l][0]
m = re.search(r"epoch (\d+): the training loss rose in each of the last \d+ epochs, since epoch (\d+)", line)
got = (int(m.group(1)), int(m.group(2)))
assert want == got, (want, got)
PYEOF
grep -q 'dead ReLUs.*--act leaky_relu' "$T/err10" && ok || bad "dead: no advice"
grep -q 'rose.*Try --lr 1\b' "$T/err10" && ok || bad "rise: no smaller rate: $(grep rose "$T/err10")"
# silenced: no warning, the same stdout, the same model
expect 0 "$D" train $run10 --no-health --history "$T/h10.csv" -o "$T/lr10.st"
[ ! -s "$T/err" ] && ok || bad "--no-health printed: $(head -2 "$T/err")"
same_run "$T/out10" "$T/out" "--no-health"
cmp -s "$T/lr10.st" "$T/lr10.first" && ok || bad "the health checks changed the model"
expect 0 "$D" train $run10 -q -o "$T/q.st"
[ ! -s "$T/err" ] && [ ! -s "$T/out" ] && ok || bad "-q printed: $(head -2 "$T/err")"
cmp -s "$T/lr10.first" "$T/q.st" && ok || bad "-q changed the model"
# the warnings went to stderr only
[ "$(count warning "$T/out10")" -eq 0 ] && ok || bad "a warning on stdout"

# Sigmoid units with huge weights (N(0, 30^2)): saturated from epoch 1.
# One epoch, so that the saved model holds the weights the check saw;
# all 150 rows train, so that its sample is every row.
expect 0 "$D" train $iris --layers 8:sigmoid --init normal --init-eps 30 \
    --epochs 1 --val 0 -o "$T/sat.st"
[ "$(count 'saturated' "$T/err")" -eq 1 ] && ok || bad "saturation warnings: $(cat "$T/err")"
grep -q '^descent train: warning: epoch 1, layer 1 (sigmoid, 8 units): [0-9]* of 8 units are saturated' "$T/err" \
    && ok || bad "saturation line: $(cat "$T/err")"
n=$(sed -n 's/.*: \([0-9]*\) of 8 units are saturated.*/\1/p' "$T/err")
"$PY" - "$T/sat.st" $iris "$n" <<'PYEOF' && ok || bad "saturated units: warned $n"
import json, math, sys
sys.path.insert(0, "tests")
from load_model import load
meta, t = load(sys.argv[1])
s = json.loads(meta["descent.scaling"])
(u, n_in), W = t["0.weight"]
_, b = t["0.bias"]
rows = [[float(v) for v in l.split(",")[:4]] for l in open(sys.argv[2]).read().splitlines()[1:] if l]
flat = [0] * u
for x in rows:
    x = [(v - m) / d for v, m, d in zip(x, s["mean"], s["std"])]
    for j in range(u):
        z = b[j] + sum(W[j * n_in + i] * x[i] for i in range(n_in))
        sg = 1 / (1 + math.exp(-z)) if z > -700 else 0.0
        flat[j] += 4 * sg * (1 - sg) < 0.05   # f'(z) under 5% of f'(0)
want = sum(c > 0.9 * len(rows) for c in flat)
assert want >= 1 and want == int(sys.argv[3]), (want, sys.argv[3], flat)
PYEOF

# Overfitting: 16 training rows, two layers of 64, 200 validation rows.
"$PY" - "$T" <<'PYEOF'
import random, sys
r = random.Random(5)
def rows(n):
    out = ["x1,x2,y"]
    for _ in range(n):
        a, b = r.uniform(-1, 1), r.uniform(-1, 1)
        out.append("%.6f,%.6f,%.6f" % (a, b, 2 * a - b + 0.5 + r.gauss(0, 0.5)))
    return "\n".join(out) + "\n"
open(sys.argv[1] + "/tr.csv", "w").write(rows(16))
open(sys.argv[1] + "/va.csv", "w").write(rows(200))
PYEOF
expect 0 "$D" train "$T/tr.csv" --target y --val-data "$T/va.csv" \
    --layers 64:tanh,64:tanh --epochs 150 --patience 0 --lr 0.01 \
    --history "$T/hof.csv" -o "$T/of.st"
[ "$(count 'overfitting since' "$T/err")" -eq 1 ] && ok || bad "overfitting warnings: $(cat "$T/err")"
grep -q 'overfitting.*--patience 10' "$T/err" && ok || bad "no early-stopping advice"
# the test's own: the first epoch 5 or more after the best validation
# loss so far, 5% above it, every training loss since below the best
# epoch's (and, for a classifier, the validation accuracy below the best
# epoch's); the parting began the epoch after the best.  (A file: the
# classifier's run below asks it too.)
cat > "$T/overfit.py" <<'PYEOF'
import csv, re, sys
rows = list(csv.DictReader(open(sys.argv[1])))
acc = "val_accuracy" in rows[0]
H = {int(r["epoch"]): (float(r["train_loss"]), float(r["val_loss"]),
                       float(r["val_accuracy"]) if acc else 0) for r in rows}
best, want = 1, None
for e in sorted(H)[1:]:
    if H[e][1] < H[best][1]:
        best = e
        continue
    below = all(H[k][0] < H[best][0] for k in range(best + 1, e + 1))
    if e - best >= 5 and H[e][1] >= 1.05 * H[best][1] and below and \
       (not acc or H[e][2] < H[best][2]):
        want = (e, best + 1, best)
        break
line = [l for l in open(sys.argv[2]) if "overfitting" in l][0]
m = re.search(r"epoch (\d+): overfitting since epoch (\d+): .* its best \([0-9.e+-]+ at epoch (\d+)\)", line)
got = tuple(int(g) for g in m.groups())
assert want == got, (want, got)
PYEOF
"$PY" "$T/overfit.py" "$T/hof.csv" "$T/err" && ok || bad "overfitting's epochs: $(grep overfitting "$T/err")"
# with early stopping on (validation data's default), the advice says
# where it will end the run
expect 0 "$D" train "$T/tr.csv" --target y --val-data "$T/va.csv" \
    --layers 64:tanh,64:tanh --epochs 150 --lr 0.01 -o "$T/of2.st"
grep -q 'overfitting.*early stopping ends the run at epoch [0-9]* at the latest, with the weights of the best epoch' "$T/err" \
    && ok || bad "early stopping's end: $(grep overfitting "$T/err")"

# A classifier's validation loss that climbs while its accuracy holds is
# the softmax growing surer, not overfitting: the default digits run
# (the loss 5% above its best 5 epochs after it, which the loss alone
# took for overfitting, the accuracy at or above the best epoch's) and
# the same run for 60 epochs warn of nothing.
for extra in "" "--patience 0 --epochs 60"; do
    expect 0 "$D" train data/digits.csv $extra --history "$T/hdig.csv" -o "$T/dig.st"
    [ "$(count 'overfitting' "$T/err")" -eq 0 ] && ok || bad "digits $extra: $(cat "$T/err")"
    "$PY" - "$T/hdig.csv" <<'PYEOF' && ok || bad "digits $extra: the loss alone would not have warned"
import csv, sys
H = [(float(r["train_loss"]), float(r["val_loss"]), float(r["val_accuracy"])) for r in csv.DictReader(open(sys.argv[1]))]
best = min(range(len(H)), key=lambda e: H[e][1])
late = [e for e in range(best + 5, len(H)) if H[e][1] >= 1.05 * H[best][1]]
assert late and all(H[e][0] < H[best][0] for e in range(best + 1, len(H))), (best, late)
assert all(H[e][2] >= H[best][2] for e in late), (best, late)
PYEOF
done
# ... but a wide net on 30 noisy rows of two blobs memorizes them, and
# the accuracy on 400 fresh rows falls: the warning comes at the first
# epoch the test's own search above finds in the history.
expect 0 "$D" data make-gaussians -n 30 --noise 0.8 --seed 3 -o "$T/gtr.csv"
expect 0 "$D" data make-gaussians -n 400 --noise 0.8 --seed 4 -o "$T/gva.csv"
expect 0 "$D" train "$T/gtr.csv" --target label --val-data "$T/gva.csv" \
    --layers 64:tanh,64:tanh --epochs 100 --patience 0 --lr 0.01 \
    --history "$T/hg.csv" -o "$T/g.st"
[ "$(count 'overfitting since' "$T/err")" -eq 1 ] && ok || bad "blobs: $(cat "$T/err")"
grep -q 'overfitting.*the validation accuracy fell below that epoch' "$T/err" \
    && ok || bad "no accuracy in the words: $(cat "$T/err")"
"$PY" "$T/overfit.py" "$T/hg.csv" "$T/err" && ok || bad "blobs' epochs: $(grep overfitting "$T/err")"

# TensorBoard: per layer and epoch the histograms of W, b and the
# health sample's gradient, and the update ratio from epoch 2 on (even
# with --no-health, which only silences the words).  Read here with a
# decoder of its own: the TFRecord framing and both CRC32Cs, then the
# protobuf fields byte by byte; the last epoch's weight histograms are
# checked against the saved model's weights.
expect 0 "$D" train $iris --layers 8 --epochs 3 --val 0 --no-health \
    --tensorboard "$T/tb" -o "$T/tb.st"
[ ! -s "$T/err" ] && ok || bad "tensorboard run printed: $(head -2 "$T/err")"
"$PY" - "$T/tb/train" "$T/tb.st" <<'PYEOF' && ok || bad "TensorBoard's layer records"
import os, struct, sys
sys.path.insert(0, "tests")
from load_model import load

def crc32c(b):
    c = 0xFFFFFFFF
    for x in b:
        c ^= x
        for _ in range(8):
            c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
    c ^= 0xFFFFFFFF
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF

def fields(b):
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        f, w = key >> 3, key & 7
        if w == 0:
            v, i = varint(b, i)
        elif w == 1:
            v, i = b[i:i + 8], i + 8
        elif w == 5:
            v, i = b[i:i + 4], i + 4
        elif w == 2:
            n, i = varint(b, i)
            v, i = b[i:i + n], i + n
        else:
            raise ValueError("wire type %d" % w)
        yield f, w, v

def varint(b, i):
    v = s = 0
    while True:
        c = b[i]; i += 1
        v |= (c & 0x7F) << s; s += 7
        if not c & 0x80:
            return v, i

d = sys.argv[1]
(name,) = [f for f in os.listdir(d) if "tfevents" in f]
raw = open(os.path.join(d, name), "rb").read()
histo, scalar, o = {}, {}, 0
while o < len(raw):
    (n,) = struct.unpack_from("<Q", raw, o)
    assert struct.unpack_from("<I", raw, o + 8)[0] == crc32c(raw[o:o + 8])
    data = raw[o + 12:o + 12 + n]
    assert struct.unpack_from("<I", raw, o + 12 + n)[0] == crc32c(data)
    o += 12 + n + 4
    step = 0
    for f, w, v in fields(data):
        if f == 2:
            step = v
        if f != 5:
            continue
        for _, _, val in fields(v):            # Summary.value
            tag, h, x = None, None, None
            for g, wg, u in fields(val):
                if g == 1: tag = u.decode()
                elif g == 2: x = struct.unpack("<f", u)[0]
                elif g == 5: h = u
                else: raise ValueError("Value field %d" % g)
            if h is None:
                assert (tag, step) not in scalar
                scalar[(tag, step)] = x
                continue
            r = {"limit": [], "bucket": []}
            for g, wg, u in fields(h):
                if g <= 5: r[g] = struct.unpack("<d", u)[0]
                elif g in (6, 7):
                    r["limit" if g == 6 else "bucket"] = list(struct.unpack("<%dd" % (len(u) // 8), u))
                else: raise ValueError("HistogramProto field %d" % g)
            assert (tag, step) not in histo
            histo[(tag, step)] = r
meta, t = load(sys.argv[2])
sizes = {1: (8, 4), 2: (3, 8)}
for step in (1, 2, 3):
    for l, (u, n_in) in sizes.items():
        for what, num in (("weights", u * n_in), ("biases", u), ("gradients", u * n_in)):
            r = histo[("%s/layer%d" % (what, l), step)]
            assert r[3] == num and sum(r["bucket"]) == num, (what, l, step, r[3])
            assert r["limit"][-1] == r[2] and r[1] <= r[2], (what, l)
        ratio = scalar.get(("update_ratio/layer%d" % l, step))
        assert (ratio is None) == (step == 1) and (ratio is None or ratio > 0), (l, step, ratio)
# the last epoch's weights are the saved model's
for l, (u, n_in) in sizes.items():
    (shape, W) = t["%d.weight" % (2 * (l - 1))]
    r = histo[("weights/layer%d" % l, 3)]
    assert r[1] == min(W) and r[2] == max(W), (l, r[1], min(W))
    assert abs(r[4] - sum(W)) <= 1e-9 * sum(abs(x) for x in W)
    assert abs(r[5] - sum(x * x for x in W)) <= 1e-9 * r[5]
    counts = [0] * len(r["limit"])
    for x in W:
        j = 0
        while j < len(counts) - 1 and x > r["limit"][j]:
            j += 1
        counts[j] += 1
    assert counts == r["bucket"], (l, counts, r["bucket"])
PYEOF

# The full-batch solvers are not watched (no rate to lower).
expect 0 "$D" train $iris --layers 16 --opt lbfgs --epochs 5 --val 0 -o "$T/lb.st"
[ "$(count warning "$T/err")" -eq 0 ] && ok || bad "lbfgs warned: $(head -2 "$T/err")"

finish test_health
