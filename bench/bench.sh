#!/bin/sh
# bench.sh — `make bench`: descent against PyTorch 1.13 and OpenBLAS on
# this machine, written to bench/RESULTS.md.  Installs nothing; says what
# is missing and stops.  Run it through make (it needs the library built):
#
#   make bench                  # about 7-12 minutes on 2 cores
#   BENCH_REPEATS=3 make bench  # fewer repeats (default 7)
#   BENCH_PROBE_PASSES=1 ...    # one pass of the peers' probes (default 2)
#
# Environment (set by the Makefile): B (build directory), CC, BENCH_CFLAGS.
# What it runs:
#   bench/cpu.py         the CPU: vendor, family/model, ISA flags, caches,
#                        cores, and the kernels descent chose
#   bench/peak.c         the measured float32 FMA peak, 1 thread to all
#   bench/peers.py       OpenBLAS's kernel settings (detected, forced
#                        AVX-512 and AVX2 ones) and PyTorch's thread
#                        settings, tried on short probes; the fastest are
#                        kept for every peer run below
# then, alternating descent and PyTorch run by run so that both see the
# same machine:
#   bench/train.c        descent, through the public API (W1, W2, W3)
#   bench/train_torch.py PyTorch, a manual batching loop over pre-shuffled
#                        tensors, at peers.py's fastest setting
#   bench/gemm.c         descent's kernels against OpenBLAS's sgemm, at
#                        peers.py's fastest kernel setting
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
$CC $BENCH_CFLAGS bench/peak.c -lpthread -o "$OUT/peak"

: > "$LOG"
note() { echo "$*" | tee -a "$LOG"; }
note "machine $(uname -m) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //')"
note "load_start $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
note "date $(date -u '+%Y-%m-%d %H:%M UTC')"
note "repeats $REPEATS"

echo "  the CPU, and its FMA peak" >&2
"$PY" bench/cpu.py "$B/descent" | tee -a "$LOG"
"$OUT/peak" "$REPEATS" | tee -a "$LOG"

# The peers at their best here, found by trying (bench/peers.py): the
# winners' settings, as env(1) arguments, for their runs below only.
echo "  the peers' settings" >&2
rm -f "$OUT/peer_gemm.env" "$OUT/peer_torch.env"
"$PY" bench/peers.py "$OUT/gemm" "$OUT" | tee -a "$LOG"
if [ ! -r "$OUT/peer_gemm.env" ] || [ ! -r "$OUT/peer_torch.env" ]; then
    echo "bench: bench/peers.py found no setting of OpenBLAS or PyTorch" \
         "that runs (its lines above say why)" >&2
    exit 1
fi
GEMM_ENV=$(cat "$OUT/peer_gemm.env")
TORCH_ENV=$(cat "$OUT/peer_torch.env")
# (word splitting of the settings is meant: they are env's arguments)
torch_run() {
    # shellcheck disable=SC2086
    env $TORCH_ENV "$PY" bench/train_torch.py "$@"
}

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
# shellcheck disable=SC2086
env $GEMM_ENV "$OUT/gemm" | tee -a "$LOG"
echo "  the ladder: nn from L1-sized to 2048³, 1 thread" >&2
# shellcheck disable=SC2086
env $GEMM_ENV "$OUT/gemm" ladder | tee -a "$LOG"

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
