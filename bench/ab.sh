#!/bin/sh
# ab.sh — `make bench-ab REF=commit`: the training benchmarks of
# bench/train.c (W1, W2, W3 on Fashion-MNIST, through the public API) with
# the library of REF and with the working tree, run in turn, run by run,
# so that both see the same machine; medians and the ratio this tree /
# REF, written to $B/bench/ab.md.  For a change that must not slow
# anything down (a refactoring): the ratio should be 1 within the runs'
# spread.
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
make -s -C "$REFDIR" B=build build/libdescent.a >/dev/null
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

{
    echo "# A/B: this tree against $rev"
    echo
    echo "Written by bench/ab.sh on $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'); $REPEATS runs each, alternating."
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
} > "$OUT/ab.md"
cat "$OUT/ab.md"
