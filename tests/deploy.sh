#!/bin/sh
# make test-deploy: the exports proven where they are meant to run.
#  1. Every ONNX file of tests/test_onnx.sh also run by ONNX Runtime
#     (npm's onnxruntime-node in tests/ort), within 1e-5 of predict.
#  2. Generated C built for a Cortex-M4F and run on QEMU's mps2-an386
#     board (tests/mcu), every output against the same code on the host:
#     int8 bit-identical, float within 1e-6; models of every kind of
#     layer the runtimes have (LUT, piecewise linear, sigmoid, tanh,
#     softmax and linear outputs), digits, and the 784-16-16-10 and
#     784-256-128-10 networks on Fashion-MNIST.
#  3. int8 accuracy within a point of float on digits and Fashion-MNIST.
# The figures (sizes, ticks, accuracies) go to $B/deploy/report.txt,
# which docs/export.md quotes.  Needs gcc-arm-none-eabi,
# libnewlib-arm-none-eabi, qemu-system-arm, node with `npm install
# --ignore-scripts` done in tests/ort, and dataset-fashion-mnist; fails,
# rather than skips, without them.
. tests/lib.sh
H=$(dirname "$0")
PY=/usr/bin/python3
FM=${FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
R=${B:-build}/deploy
mkdir -p "$R"
: > "$R/report.txt"
for tool in arm-none-eabi-gcc arm-none-eabi-g++ arm-none-eabi-size qemu-system-arm node; do
    command -v $tool > /dev/null || { bad "$tool is missing (see .ci/run)"; finish test_deploy; exit 1; }
done
[ -d "$H/ort/node_modules/onnxruntime-node" ] ||
    { bad "no onnxruntime-node: run 'npm install --ignore-scripts' in tests/ort"; finish test_deploy; exit 1; }
[ -f "$FM/t10k-images-idx3-ubyte.gz" ] ||
    { bad "no Fashion-MNIST in $FM (apt-get install dataset-fashion-mnist)"; finish test_deploy; exit 1; }

# -- 1. ONNX Runtime on every exported ONNX model
if DESCENT_ORT=1 sh "$H/test_onnx.sh" > "$T/ort.out" 2>&1; then ok; else bad "test_onnx.sh with ONNX Runtime:"; grep FAIL "$T/ort.out"; fi
n_ort=$(grep -c ': onnxruntime ' "$T/ort.out")
[ "$n_ort" -ge 9 ] && ok || bad "ONNX Runtime ran $n_ort models, not every one"
grep ': onnxruntime ' "$T/ort.out" | sed 's/^onnx_check: /onnxruntime: /' >> "$R/report.txt"

# -- 2. the microcontroller
# mcu NAME MODEL DATA TARGET ROWS INT8-OPTIONS...: export float and int8,
# run both on QEMU and the host, compare; sizes and ticks to the report
mcu() {
    name=$1 st=$2 data=$3 target=$4 rows=$5; shift 5
    mkdir -p "$T/rows_$name"
    $PY "$H/mcu/rows.py" "$data" "$target" "$rows" "$T/rows_$name/rows.h"
    for kind in float int8; do
        if [ $kind = float ]; then
            expect 0 $D export "$st" --format c -o "$T/$name.$kind.h" --name "$name"
        else
            expect 0 $D export "$st" --format c -o "$T/$name.$kind.h" --name "$name" --quantize int8 "$@"
        fi
        dir="$R/$name.$kind"
        if sh "$H/mcu/run.sh" "$T/$name.$kind.h" "$name" "$T/rows_$name/rows.h" "$dir" > "$T/run" 2>&1; then ok
        else bad "$name $kind: build or QEMU run failed:"; tail -n 5 "$T/run"; continue; fi
        # the same file is C++ for the target too (the int8 DSP asm path)
        if arm-none-eabi-g++ -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 \
               -std=c++11 -Os -Wall -Wextra -Wpedantic -Werror -x c++ -c "$T/$name.$kind.h" \
               -o "$T/cxx.o" 2> "$T/cxx"; then ok
        else bad "$name $kind: not warning-free C++ for the Cortex-M4:"; head -n 5 "$T/cxx"; fi
        if $PY "$H/mcu/compare.py" "$dir/host.txt" "$dir/mcu.txt" $kind > "$T/cmp"; then ok
        else bad "$name $kind: the Cortex-M4 differs from the host:"; cat "$T/cmp"; fi
        # the exporter's flash figure against the compiler's (text + data
        # of the model's object: code and static const data)
        est=$(sed -n 's/.*flash \([0-9]*\) bytes of data + about \([0-9]*\) of code.*/\1 \2/p' "$T/out")
        real=$(awk 'NR == 2 { print $1 + $2 }' "$dir/size.txt")
        frame=$(awk '{ s += $2 } END { print s }' "$dir/stack.txt")
        scratch=$(sed -n 's/.*RAM \([0-9]*\) bytes of stack scratch (about \([0-9]*\) in all).*/\1 \2/p' "$T/out")
        if awk -v e="$est" -v r="$real" 'BEGIN { split(e, a, " "); t = a[1] + a[2]; exit !(r >= a[1] && r <= t * 1.1 && r >= t * 0.75) }'; then ok
        else bad "$name $kind: flash estimate '$est' against arm-none-eabi-size $real"; fi
        if awk -v s="$scratch" -v f="$frame" 'BEGIN { split(s, a, " "); exit !(f >= a[1] && f <= a[2] * 1.1) }'; then ok
        else bad "$name $kind: stack estimate '$scratch' against -fstack-usage $frame"; fi
        printf '%s %s: model.o %s bytes (estimate %s), firmware %s, stack %s bytes (estimate %s), %s\n' \
            "$name" $kind "$real" "$est" "$(awk 'NR == 3 { print $1 + $2 }' "$dir/size.txt")" \
            "$frame" "$scratch" "$(cat "$T/cmp")" >> "$R/report.txt"
    done
}

expect 0 $D train data/digits.csv -o "$T/digits.st" --epochs 30 --layers 64,32
mcu digits "$T/digits.st" data/digits.csv target 30 --calibrate data/digits.csv
expect 0 $D train data/iris.csv -o "$T/iris.st" --epochs 30 --layers 8:sigmoid,6:tanh
mcu iris "$T/iris.st" data/iris.csv target 30 --calibrate data/iris.csv --tolerance 1
awk -F, 'NR == 1 || $NF != "virginica"' data/iris.csv > "$T/two.csv"
expect 0 $D train "$T/two.csv" -o "$T/two.st" --epochs 30 --layers 6:prelu,4:leaky_relu
mcu two "$T/two.st" "$T/two.csv" target 30 --calibrate "$T/two.csv" --tolerance 1
expect 0 $D train data/digits.csv --task regression -o "$T/reg.st" --epochs 30 --layers 8:tanh,4:identity
mcu reg "$T/reg.st" data/digits.csv target 30 --calibrate data/digits.csv --tolerance 1

# Fashion-MNIST: the notes' 784-16-16-10 and a 784-256-128-10 network
TR="$FM/train-images-idx3-ubyte.gz --labels $FM/train-labels-idx1-ubyte.gz"
CAL="--calibrate $FM/train-images-idx3-ubyte.gz --calibrate-labels $FM/train-labels-idx1-ubyte.gz"
VAL="--val-data $FM/t10k-images-idx3-ubyte.gz --val-labels $FM/t10k-labels-idx1-ubyte.gz"
expect 0 $D train $TR --layers 16,16 --epochs 10 -o "$T/f16.st"
mcu f16 "$T/f16.st" "$FM/t10k-images-idx3-ubyte.gz" - 10 $CAL $VAL
expect 0 $D train $TR --layers 256,128 --epochs 10 -o "$T/f256.st"
mcu f256 "$T/f256.st" "$FM/t10k-images-idx3-ubyte.gz" - 5 $CAL $VAL

# -- 3. int8 accuracy against float, as the exporter reports it
# acc NAME MODEL OPTIONS...: the loss must be at most 1 point
acc() {
    name=$1 st=$2; shift 2
    expect 0 $D export "$st" -o "$T/acc.h" --quantize int8 "$@"
    line=$(grep '^int8: accuracy' "$T/out")
    drop=$(printf '%s' "$line" | sed -n 's/.*(a loss of \([0-9.e-]*\) points)$/\1/p')
    if printf '%s' "$line" | grep -q 'a gain of' ||
       { [ -n "$drop" ] && awk -v d="$drop" 'BEGIN { exit !(d <= 1) }'; }; then ok
    else bad "$name: int8 loses more than a point: $line"; fi
    echo "$name: $line" >> "$R/report.txt"
}
acc digits "$T/digits.st" --calibrate data/digits.csv
acc fashion-784-256-128-10 "$T/f256.st" $CAL $VAL
acc fashion-784-16-16-10 "$T/f16.st" $CAL $VAL --tolerance 1

cat "$R/report.txt"
finish test_deploy
