#!/usr/bin/python3
"""bench/solvers/hf.py — the Hessian-free solver (--opt hf) against
full-batch L-BFGS and mini-batch Adam (descent's default optimizer) on
Fashion-MNIST's 784-16-16-10 ReLU network (13,002 parameters; ReLU is
what `descent train` picks for hidden layers), all 60,000 training rows,
inputs standardized as descent does by default, in the same wall time.

Each method first runs briefly to measure its seconds per iteration
(epoch for Adam); the counts are then chosen to fill BUDGET seconds.
The 10,000 test rows are passed as validation data only to be measured
at every iteration (--patience 0 and --no-restore-best: nothing is
chosen by them).  Writes bench/HF.md itself: medians over the seeds, the
measured times and their ratio to the budget, and the test accuracy at
fractions of the budget from each run's history.

Run: make bench-hf   (or /usr/bin/python3 bench/solvers/hf.py), alone on the machine
"""
import csv, os, shutil, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from cpu import cpuinfo  # noqa: E402  (bench/cpu.py)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DESCENT = os.path.join(ROOT, "descent")
DATA = os.environ.get("FASHION_MNIST", "/usr/share/datasets/fashion-mnist")
BUDGET = float(os.environ.get("HF_BUDGET", "30"))
SEEDS = [1, 2, 3]
COMMON = ["--layers", "16,16", "--threads", "1", "--patience", "0",
          "--no-restore-best"]
METHODS = [  # name, arguments, calibration iterations
    ("hf (6000 curvature rows)", ["--opt", "hf", "--hf-rows", "6000"], 3),
    ("hf (all 60000 rows)", ["--opt", "hf"], 2),
    ("lbfgs", ["--opt", "lbfgs"], 5),
    ("adam (batch 32, lr 1e-3)", [], 1),
]
FRACTIONS = [0.1, 0.25, 0.5, 1.0]


def cpu():
    return cpuinfo().get("model name", "unknown CPU")


def run(args, iters, seed, tmp):
    hist = os.path.join(tmp, "h.csv")
    cmd = [DESCENT, "train", os.path.join(DATA, "train-images-idx3-ubyte.gz"),
           "--labels", os.path.join(DATA, "train-labels-idx1-ubyte.gz"),
           "--val-data", os.path.join(DATA, "t10k-images-idx3-ubyte.gz"),
           "--val-labels", os.path.join(DATA, "t10k-labels-idx1-ubyte.gz"),
           "--epochs", str(iters), "--seed", str(seed), "--history", hist,
           "-o", os.path.join(tmp, "m.safetensors")] + COMMON + args
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.time() - t0
    if p.returncode != 0:
        sys.exit("failed: %s\n%s" % (" ".join(cmd), p.stderr))
    rows = list(csv.DictReader(open(hist)))
    t, curve = 0.0, []
    for r in rows:
        t += float(r["seconds"])
        curve.append((t, float(r["val_accuracy"]), float(r["train_loss"])))
    return wall, curve


def at(curve, t):
    """Test accuracy of the last iteration finished by time t."""
    acc = [a for (s, a, _) in curve if s <= t]
    return acc[-1] if acc else float("nan")


def main():
    global DESCENT
    if not os.access(DESCENT, os.X_OK):
        sys.exit("build descent first: make")
    if not os.path.exists(os.path.join(DATA, "train-images-idx3-ubyte.gz")):
        sys.exit("Fashion-MNIST not in %s (Debian: apt-get install "
                 "dataset-fashion-mnist)" % DATA)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        # A copy: a rebuild during the run must not change the program.
        shutil.copy(os.path.realpath(DESCENT), os.path.join(tmp, "descent"))
        DESCENT = os.path.join(tmp, "descent")
        for name, args, k in METHODS:
            _, cal = run(args, k, SEEDS[0], tmp)
            per = cal[-1][0] / len(cal)
            iters = max(1, int(BUDGET / per))
            print("%s: %.3f s per iteration -> %d iterations" % (name, per, iters),
                  file=sys.stderr)
            runs = []
            for seed in SEEDS:
                wall, curve = run(args, iters, seed, tmp)
                runs.append((wall, curve))
                print("  seed %d: %.1f s, test acc %.4f, train loss %.4f" %
                      (seed, curve[-1][0], curve[-1][1], curve[-1][2]),
                      file=sys.stderr)
            results.append((name, args, iters, per, runs))
    med = statistics.median
    out = []
    out.append("# Hessian-free against L-BFGS and Adam, same wall time\n")
    out.append("Written by `bench/solvers/hf.py` (`make bench-hf`), %s, on %s, "
               "one thread each (`--threads 1`)."
               "\n" % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), cpu()))
    out.append("Fashion-MNIST, 784-16-16-10 ReLU/softmax, cross-entropy, "
               "13,002 parameters, 60,000 training rows (inputs standardized, "
               "descent's default), test accuracy on the 10,000 test rows. "
               "Budget %.0f s of training per run; iterations (epochs for Adam) "
               "chosen from a calibration run; medians over seeds %s.\n"
               % (BUDGET, ", ".join(map(str, SEEDS))))
    out.append("| method | iterations | s / iteration | training s (median) | "
               "ratio to budget | train loss | test accuracy |")
    out.append("|---|---:|---:|---:|---:|---:|---:|")
    for name, args, iters, per, runs in results:
        secs = med([c[-1][0] for _, c in runs])
        out.append("| %s | %d | %.3f | %.1f | %.2f | %.4f | %.4f |" % (
            name, iters, per, secs, secs / BUDGET,
            med([c[-1][2] for _, c in runs]), med([c[-1][1] for _, c in runs])))
    out.append("\nTest accuracy against training time (median over seeds of the "
               "last iteration finished by then; from `--history`):\n")
    out.append("| method | " + " | ".join("%.0f s" % (f * BUDGET) for f in FRACTIONS)
               + " |")
    out.append("|---|" + "---:|" * len(FRACTIONS))
    for name, args, iters, per, runs in results:
        out.append("| %s | " % name + " | ".join(
            "%.4f" % med([at(c, f * BUDGET) for _, c in runs]) for f in FRACTIONS)
            + " |")
    out.append("\nCommands: `descent train TRAIN --labels ... --val-data TEST "
               "--val-labels ... %s ARGS --epochs N --seed S --history H.csv` "
               "with ARGS per method: %s.\n" % (" ".join(COMMON), "; ".join(
                   "%s: `%s`" % (n, " ".join(a) or "(none: Adam)")
                   for n, a, _, _, _ in results)))
    path = os.path.join(ROOT, "bench", "HF.md")
    open(path, "w").write("\n".join(out))
    print("\n".join(out))


if __name__ == "__main__":
    main()
