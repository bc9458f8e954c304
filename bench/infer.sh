#!/bin/sh
# infer.sh — `make bench-infer`: inference speed of one model, in one run:
# descent's dn_predict (one row, and a batch), the generated C (float32
# and int8, one row: the code has no batch form) and ONNX Runtime (one
# row and a batch, one thread) on the same exported model and rows.  The
# model: BENCH_MODEL, or a 784-256-128-10 network trained for 3 epochs on
# Fashion-MNIST.  Prints a table (a few seconds per line; keep the
# machine quiet).  Environment (set by the Makefile): B, CC, BENCH_CFLAGS.
set -eu
B=${B:-build}
CC=${CC:-cc}
DATA=${FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
OUT=$B/bench-infer
D=$B/descent
mkdir -p "$OUT"
model=${BENCH_MODEL:-}
if [ -z "$model" ]; then
    model=$OUT/fashion.safetensors
    [ -f "$model" ] || $D train "$DATA/train-images-idx3-ubyte.gz" \
        --labels "$DATA/train-labels-idx1-ubyte.gz" --layers 256,128 \
        --epochs 3 -q -o "$model"
fi
$D export "$model" -o "$OUT/bf.h" --name bf > /dev/null
$D export "$model" -o "$OUT/bq.h" --name bq --quantize int8 \
    --calibrate "$DATA/t10k-images-idx3-ubyte.gz" --tolerance 100 > /dev/null
$D export "$model" -o "$OUT/m.onnx" > /dev/null
# 1000 test images as float32 rows, scaled as descent scales them
/usr/bin/python3 - "$DATA/t10k-images-idx3-ubyte.gz" "$OUT/rows.bin" <<'PY'
import gzip, sys, numpy as np
raw = gzip.open(sys.argv[1]).read()
(np.frombuffer(raw, np.uint8, 1000 * 784, 16).astype(np.float32) / np.float32(255)).tofile(sys.argv[2])
PY
$CC $BENCH_CFLAGS -I. -march=native -DBF_FILE="\"$OUT/bf.h\"" -DBQ_FILE="\"$OUT/bq.h\"" \
    bench/infer.c "$B/libdescent.a" -lz -lm -lpthread -o "$OUT/infer"
echo "model $model, 784 inputs, 1000 rows; $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
DESCENT_THREADS=1 "$OUT/infer" "$OUT/rows.bin" 1000 784 "$model"
if command -v node > /dev/null && [ -d tests/ort/node_modules/onnxruntime-node ]; then
    node bench/infer_ort.js "$OUT/m.onnx" "$OUT/rows.bin" 1000 784
else
    echo "onnxruntime: not run (node and 'npm install --ignore-scripts' in tests/ort)"
fi
