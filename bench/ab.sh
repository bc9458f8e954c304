#!/bin/sh
# ab.sh — `make bench-ab REF=commit`: the training benchmarks of
# bench/train.c (W1, W2, W3 on Fashion-MNIST, through the public API) with
# the library of REF and with the working tree, run in turn, run by run,
# so that both see the same machine; then the small tables' workload, the
# CLI of each tree training the default 128,64 network on data/iris.csv,
# wine.csv and house.csv with L2 for a fixed number of epochs on one
# thread (what the small-table policy's folds and refit run), in CPU
# seconds; medians and the ratio this tree / REF, written to
# $B/bench/ab.md.  For a change that must not slow anything down (a
# refactoring): the ratio should be 1 within the runs' spread.
#
#   make bench-ab REF=b54933f            # 7 runs of each, ~5 minutes
#   BENCH_REPEATS=3 make bench-ab REF=HEAD~3
set -eu

B=${B:-build}
REF=${REF:?usage: make bench-ab REF=<commit>}
REPEATS=${BENCH_REPEATS:-7}
DATA=${FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
OUT=$B/bench
REFDIR=$OUT/ref-src
[ -r "$DATA/train-images-idx3-ubyte.gz" ] || {
    echo "bench-ab needs Fashion-MNIST in $DATA (Debian: dataset-fashion-mnist)" >&2; exit 1; }

mkdir -p "$OUT"
rm -rf "$REFDIR"; mkdir -p "$REFDIR"
git archive "$REF" | tar -x -C "$REFDIR"
rev=$(git rev-parse --short "$REF")
echo "building the library of $rev in $REFDIR" >&2
make -s -C "$REFDIR" B=build build/libdescent.a build/descent >/dev/null
# Each side's bench/train.c (public API only) built with its own header:
# a program compiled with this tree's header against REF's library would
# read the structs with the wrong layout whenever the header changed.
# The two programs are the same source as long as bench/train.c is.
[ -f "$REFDIR/bench/train.c" ] || { echo "bench-ab: $rev has no bench/train.c" >&2; exit 1; }
cmp -s bench/train.c "$REFDIR/bench/train.c" ||
    echo "note: bench/train.c differs between $rev and this tree; each side runs its own" >&2
$CC -I"$REFDIR/include" $BENCH_CFLAGS "$REFDIR/bench/train.c" "$REFDIR/build/libdescent.a" -lz -lm -lpthread -o "$OUT/train-ref"
$CC $BENCH_CFLAGS bench/train.c "$B/libdescent.a" -lz -lm -lpthread -o "$OUT/train-new"

LOG=$OUT/ab.log
: > "$LOG"
for w in W1 W2 W3; do
    for r in $(seq 1 "$REPEATS"); do
        echo "  $w run $r/$REPEATS" >&2
        # alternate which goes first, so that neither always runs warm
        if [ $((r % 2)) -eq 1 ]; then order="ref new"; else order="new ref"; fi
        for v in $order; do
            "$OUT/train-$v" "$w" "$DATA" 0 "$r" | sed "s/^descent/$v/" >> "$LOG"
        done
    done
done

# The small tables: each CLI's CPU time (the child's user + system, by
# getrusage, finer than time(1)'s hundredths), alternating as above; the
# model files must be the same bits.
SMALL=$OUT/ab_small.log
/usr/bin/python3 - "$REPEATS" "$REFDIR/build/descent" "$B/descent" "$OUT" > "$SMALL" <<'PY'
import filecmp, os, resource, subprocess, sys
reps, exe = int(sys.argv[1]), {"ref": sys.argv[2], "new": sys.argv[3]}
out = sys.argv[4]
for name, task, epochs in (("iris", "multiclass", 1000), ("wine", "multiclass", 800),
                           ("house", "regression", 100)):
    for r in range(1, reps + 1):
        order = ("ref", "new") if r % 2 else ("new", "ref")
        for v in order:
            m = os.path.join(out, "ab_%s.st" % v)
            t0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run([exe[v], "train", "data/%s.csv" % name, "--task", task,
                            "--val", "0", "--epochs", str(epochs), "--l2", "0.01",
                            "--threads", "1", "--seed", str(r), "-o", m],
                           check=True, stdout=subprocess.DEVNULL)
            t1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = t1.ru_utime - t0.ru_utime + t1.ru_stime - t0.ru_stime
            print(v, name, "cpu_seconds=%.4f" % cpu)
        same = filecmp.cmp(os.path.join(out, "ab_ref.st"), os.path.join(out, "ab_new.st"), shallow=False)
        print("same", name, "bits=%d" % same)
PY

{
    echo "# A/B: this tree against $rev"
    echo
    echo "Written by bench/ab.sh on $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //') (kernels: $("$B/descent" --version | sed -n 's/^kernels: \([a-z0-9]*\).*/\1/p')); $REPEATS runs each, alternating."
    echo
    echo "| workload | $rev samples/s (median, range) | this tree | this / $rev |"
    echo "|---|---|---|---|"
    /usr/bin/python3 - "$LOG" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    f = line.split()
    kv = dict(x.split("=", 1) for x in f[2:] if "=" in x)
    runs.setdefault((f[1], f[0]), []).append(float(kv["samples_per_s"]))
for w in ("W1", "W2", "W3"):
    r, n = sorted(runs[(w, "ref")]), sorted(runs[(w, "new")])
    mr, mn = statistics.median(r), statistics.median(n)
    print(f"| {w} | {mr:.0f} ({r[0]:.0f}–{r[-1]:.0f}) | {mn:.0f} ({n[0]:.0f}–{n[-1]:.0f}) | {mn / mr:.3f} |")
PY
    echo
    echo "Small tables (\`descent train data/T.csv --val 0 --epochs E --l2 0.01 --threads 1\`, 128,64 ReLU, Adam, batch 32): CPU seconds of the CLI, lower is better."
    echo
    echo "| table, epochs | $rev CPU s (median, range) | this tree | this / $rev | same model bits |"
    echo "|---|---|---|---|---|"
    /usr/bin/python3 - "$SMALL" <<'PY'
import statistics, sys
cpu, same = {}, {}
for line in open(sys.argv[1]):
    f = line.split()
    k, v = f[2].split("=")
    if f[0] == "same":
        same.setdefault(f[1], []).append(int(v))
    else:
        cpu.setdefault((f[1], f[0]), []).append(float(v))
for t, e in (("iris", 1000), ("wine", 800), ("house", 100)):
    r, n = sorted(cpu[(t, "ref")]), sorted(cpu[(t, "new")])
    mr, mn = statistics.median(r), statistics.median(n)
    s = "all %d runs" % len(same[t]) if all(same[t]) else "%d of %d runs" % (sum(same[t]), len(same[t]))
    print(f"| {t}, {e} | {mr:.3f} ({r[0]:.3f}–{r[-1]:.3f}) | {mn:.3f} ({n[0]:.3f}–{n[-1]:.3f}) | {mn / mr:.3f} | {s} |")
PY
} > "$OUT/ab.md"
cat "$OUT/ab.md"
