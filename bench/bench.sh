#!/bin/sh
# bench.sh — `make bench`: descent against PyTorch 1.13 and OpenBLAS on
# this machine, written to bench/RESULTS.md.  Installs nothing; says what
# is missing and stops.  Run it through make (it needs the library built):
#
#   make bench                  # about 5-10 minutes on 2 cores
#   BENCH_REPEATS=3 make bench  # fewer repeats (default 7)
#
# Environment (set by the Makefile): B (build directory), CC, BENCH_CFLAGS.
# What it runs, alternating descent and PyTorch run by run so that both
# see the same machine:
#   bench/train.c        descent, through the public API (W1, W2, W3)
#   bench/train_torch.py PyTorch, a manual batching loop over pre-shuffled
#                        tensors, torch.set_num_threads(1) with two
#                        OpenBLAS threads (its fastest setting here)
#   bench/gemm.c         descent's kernels against OpenBLAS's sgemm
#   bench/step.c         a W1 step's parts, and gathering floats vs bytes
#   bench/parts.c        a W2 step's parts on 1 and 2 threads (W1's: step.c)
# then bench/report.py turns the lines into RESULTS.md.
set -eu

B=${B:-build}
CC=${CC:-cc}
BENCH_CFLAGS=${BENCH_CFLAGS:-"-std=c11 -O2 -D_POSIX_C_SOURCE=200809L -Iinclude -Isrc"}
REPEATS=${BENCH_REPEATS:-7}
DATA=${FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
PY=/usr/bin/python3
OUT=$B/bench
LOG=$OUT/bench.log

# --- what it needs -------------------------------------------------------
missing=""
[ -x "$PY" ] && "$PY" -c "import torch, numpy" 2>/dev/null ||
    missing="$missing python3-torch"
for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz \
         t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz; do
    [ -r "$DATA/$f" ] || { missing="$missing dataset-fashion-mnist"; break; }
done
mkdir -p "$OUT"
printf '#include <cblas.h>\nint main(void) { return 0; }\n' > "$OUT/probe.c"
$CC "$OUT/probe.c" -lopenblas -o "$OUT/probe" 2>/dev/null ||
    missing="$missing libopenblas-dev"
rm -f "$OUT/probe.c" "$OUT/probe"
if [ -n "$missing" ]; then
    echo "make bench needs these Debian packages, which are missing:$missing" >&2
    echo "install them with:  apt-get install$missing" >&2
    echo "(the data set is read from $DATA; set FASHION_MNIST to use another copy)" >&2
    exit 1
fi

$CC $BENCH_CFLAGS bench/train.c "$B/libdescent.a" -lz -lm -lpthread -o "$OUT/train"
$CC $BENCH_CFLAGS bench/gemm.c "$B/libdescent.a" -lopenblas -lz -lm -lpthread \
    -o "$OUT/gemm"
$CC $BENCH_CFLAGS bench/step.c "$B/libdescent.a" -lz -lm -lpthread -o "$OUT/step"
$CC $BENCH_CFLAGS bench/parts.c "$B/libdescent.a" -lz -lm -lpthread -o "$OUT/parts"

# PyTorch at its best here: one torch thread, two OpenBLAS threads, and
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset (this environment sets them,
# which makes OpenBLAS pick its AVX2 kernels) — in these commands only.
torch_run() {
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=2 \
        OMP_NUM_THREADS=1 "$PY" bench/train_torch.py "$@"
}

: > "$LOG"
note() { echo "$*" | tee -a "$LOG"; }
note "machine $(uname -m) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //')"
note "load_start $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
note "date $(date -u '+%Y-%m-%d %H:%M UTC')"
note "repeats $REPEATS"

for w in W1 W2 W3; do
    for r in $(seq 1 "$REPEATS"); do
        echo "  $w run $r/$REPEATS" >&2
        "$OUT/train" "$w" "$DATA" 0 "$r" | tee -a "$LOG"
        torch_run "$w" "$DATA" "$r" | tee -a "$LOG"
        # descent on one thread too: what the second core adds.
        if [ "$w" != W3 ]; then
            "$OUT/train" "$w" "$DATA" 1 "$r" | sed 's/^descent/descent1/' |
                tee -a "$LOG"
        fi
    done
done

echo "  a W1 step's parts" >&2
"$OUT/step" | tee -a "$LOG"
echo "  a W2 step's parts, 1 and 2 threads" >&2
"$OUT/parts" | tee -a "$LOG"

echo "  kernels against OpenBLAS" >&2
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$OUT/gemm" | tee -a "$LOG"

# Where descent's time goes, on one thread, when perf can sample here
# (W1 over 20 epochs, so that training and not loading fills the profile).
if command -v perf >/dev/null 2>&1; then
    for w in W1 W2; do
        epochs=1; [ "$w" = W1 ] && epochs=20
        if perf record -q -o "$OUT/perf.$w.data" "$OUT/train" "$w" "$DATA" 1 1 \
               "$epochs" >/dev/null 2>&1; then
            perf report -i "$OUT/perf.$w.data" --no-children --sort symbol \
                --stdio 2>/dev/null | grep '%' | head -n 12 |
                sed "s/^/profile $w /" | tee -a "$LOG"
        fi
    done
fi
note "load_end $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"

"$PY" bench/report.py "$LOG" > bench/RESULTS.md
echo "wrote bench/RESULTS.md" >&2
