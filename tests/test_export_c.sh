#!/bin/sh
# C source export on the host (the microcontroller runs are in
# tests/test_deploy.sh, make test-deploy): models of every activation and
# task exported as float32 and int8, each built and run by --check with
# the host compiler (-std=c99 -Wall -Wextra -Wpedantic -Werror) against
# descent's predict: float within 1e-6, int8 bit for bit with descent's
# own int8 run.  Then: valid C++, nothing but <stdint.h> and <math.h>, two
# models in one program, the sizes in the comment, int8 accuracy within a
# point of float on digits, and the refusals.
. tests/lib.sh
command -v cc > /dev/null || { bad "no host C compiler 'cc'"; finish test_export_c; exit 1; }

# model NAME DATA TRAIN-OPTIONS...: train, export float and int8, check both
model() {
    name=$1; data=$2; shift 2
    expect 0 $D train "$data" -o "$T/$name.st" --epochs 15 "$@"
    expect 0 $D export "$T/$name.st" --format c -o "$T/$name.h" --check "$data"
    diff_ok "$T/out"
    expect 0 $D export "$T/$name.st" -o "$T/${name}8.h" --quantize int8 \
        --calibrate "$data" --tolerance 1 --check "$data"
    grep_in "$T/out" "outputs bit-identical to the int8 model's"
}

# -- multiclass (softmax), every hidden activation; binary; regression
model iris_a data/iris.csv --layers 8:tanh,6:relu
model iris_b data/iris.csv --layers 8:leaky_relu,6:prelu
model iris_c data/iris.csv --layers 6:sigmoid,5:identity
model iris_0 data/iris.csv --layers none
awk -F, 'NR == 1 || $NF != "virginica"' data/iris.csv > "$T/two.csv"
model two "$T/two.csv" --layers 6:prelu,4:tanh
model house data/house.csv --target price --layers 8:relu,4:leaky_relu
model house_raw data/house.csv --target price --layers 6:tanh --no-standardize --lr 0.0001
grep_in "$T/house.h" "x\[2\]  type = apartment  (1 when"
grep_in "$T/house.h" "the predicted 'price' in the target's own units"

# -- bounded regression: a sigmoid and a tanh output under MSE, with
# target scaling (only the C API or a hand-written file makes these)
/usr/bin/python3 - "$T" <<'EOF'
import json, random, struct, sys
random.seed(5)
def write(path, act):
    layers = [{"units": 4, "act": "tanh"}, {"units": 2, "act": act}]
    meta = {"format": "descent", "descent.version": "1",
            "descent.arch": json.dumps({"n_in": 3, "layers": layers, "loss": "mse"}),
            "descent.scaling": json.dumps({"mean": [1.0, -2.0, 5.0], "std": [0.5, 3.0, 2.0]}),
            "descent.target_scaling": json.dumps({"mean": [10.0, -3.0], "std": [4.0, 0.5]})}
    data, header, n_in = b"", {"__metadata__": meta}, 3
    for l, L in enumerate(layers):
        for name, shape in (("%d.weight" % (2 * l), [L["units"], n_in]), ("%d.bias" % (2 * l), [L["units"]])):
            v = [random.uniform(-1.5, 1.5) for _ in range(shape[0] * (shape[1] if len(shape) > 1 else 1))]
            header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [len(data), len(data) + 4 * len(v)]}
            data += struct.pack("<%df" % len(v), *v)
        n_in = L["units"]
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    open(path, "wb").write(struct.pack("<Q", len(text)) + text + data)
for act in ("sigmoid", "tanh"):
    write("%s/out_%s.st" % (sys.argv[1], act), act)
with open(sys.argv[1] + "/x3.csv", "w") as f:
    f.write("a,b,c,y\n")   # no schema: the last column is read as a target
    for _ in range(200):
        f.write("%.6g,%.6g,%.6g,0.5\n" % (random.gauss(1, 0.7), random.gauss(-2, 4), random.gauss(5, 3)))
EOF
for act in sigmoid tanh; do
    name=out_$act
    expect 0 $D export "$T/$name.st" -o "$T/$name.h" --check "$T/x3.csv"
    diff_ok "$T/out"
    expect 0 $D export "$T/$name.st" -o "$T/${name}8.h" --quantize int8 \
        --calibrate "$T/x3.csv" --check "$T/x3.csv"
    grep_in "$T/out" "outputs bit-identical to the int8 model's"
done

# -- images (IDX): the schema says pixels; the check reads the IDX file
idx_images "$T/img.idx" 40 4 4 4
idx_labels "$T/lab.idx" 40 4
expect 0 $D train "$T/img.idx" --labels "$T/lab.idx" --layers 8:relu --epochs 10 -o "$T/img.st"
expect 0 $D export "$T/img.st" -o "$T/img.h" --check "$T/img.idx" --check-labels "$T/lab.idx"
diff_ok "$T/out"
grep_in "$T/img.h" "the pixels of 4 x 4 images, row by row"

# -- digits: int8 within a point of float, reported by the exporter
expect 0 $D train data/digits.csv -o "$T/digits.st" --epochs 30 --layers 64,32
expect 0 $D export "$T/digits.st" -o "$T/digits8.h" --quantize int8 --calibrate data/digits.csv
drop=$(sed -n 's/.*(a loss of \([0-9.e-]*\) points)$/\1/p' "$T/out")
gain=$(sed -n 's/.*(a gain of \([0-9.e-]*\) points)$/\1/p' "$T/out")
if [ -n "$gain" ] || { [ -n "$drop" ] && awk -v d="$drop" 'BEGIN { exit !(d <= 1) }'; }; then ok
else bad "digits: int8 loses '$drop' points (more than 1)"; cat "$T/out"; fi
# the comment's array bytes: 6,570 float parameters and the input's mean
# and 1/std (64 each), 4 bytes apiece; in all with the descriptors (net
# 32, 3 layers of 28) and the 10 class names (a pointer and "0\0" ...)
expect 0 $D export "$T/digits.st" -o "$T/digits.h"
grep_in "$T/digits.h" "(26792 of arrays"
grep_in "$T/out" "flash 26968 bytes of data"

# -- the file: C++ too, no dependency, no writable global, two in one program
for f in iris_b iris_b8 house8 out_tanh8; do
    if g++ -std=c++11 -Wall -Wextra -Wpedantic -Werror -x c++ -c "$T/$f.h" -o "$T/$f.o" 2> "$T/cxx"; then ok
    else bad "$f.h is not warning-free C++"; head -n 5 "$T/cxx"; fi
done
inc=$(grep -h '^#include' "$T"/*.h | sort -u | tr '\n' ' ')
[ "$inc" = "#include <math.h> #include <stdint.h> " ] && ok || bad "includes: $inc"
if grep -l -E 'malloc|printf|FILE|stdio' "$T"/*.h; then bad "a generated file uses the heap or stdio"; else ok; fi
# at file scope, every object is const (functions have a parenthesis)
if grep -h '^static ' "$T"/*.h | grep -v '^static const' | grep -v '('; then
    bad "a writable global"; else ok; fi
expect 0 $D export "$T/iris_a.st" -o "$T/a.h" --name iris_float
expect 0 $D export "$T/iris_a.st" -o "$T/b.h" --name iris_int8 --quantize int8 --calibrate data/iris.csv --tolerance 1
cat > "$T/two_models.c" <<'EOF'
#include <stdio.h>
#include "a.h"
#include "b.h"
int main(void)
{
    const float x[IRIS_FLOAT_N_INPUTS] = { 6.7f, 3.0f, 5.2f, 2.3f };  /* virginica */
    float p[IRIS_FLOAT_N_OUTPUTS], q[IRIS_INT8_N_OUTPUTS];
    int c = iris_float_predict(x, p), d = iris_int8_predict(x, q);
    printf("%s %s %d %.3f\n", iris_float_class_name(c), iris_int8_class_name(d),
           iris_float_class_name(3) == 0, p[0] + p[1] + p[2]);
    return 0;
}
EOF
if cc -std=c99 -Wall -Wextra -Wpedantic -Werror -I"$T" "$T/two_models.c" -o "$T/two_models" -lm 2> "$T/cc"; then ok
else bad "two models in one program do not build"; head -n 5 "$T/cc"; fi
expect 0 "$T/two_models"
grep_in "$T/out" "^virginica virginica 1 1.000$"

# -- refusals: a clear message, a non-zero exit, nothing written
expect 2 $D export "$T/digits.st" -o "$T/never.h" --quantize int8
grep_in "$T/err" "needs --calibrate DATA"
expect 2 $D export "$T/digits.st" -o "$T/never.onnx" --quantize int8 --calibrate data/digits.csv
grep_in "$T/err" "add --format c"
expect 2 $D export "$T/digits.st" -o "$T/never.h" --calibrate data/digits.csv
grep_in "$T/err" "are for --quantize int8"
expect 2 $D export "$T/digits.st" -o "$T/never.h" --quantize int4 --calibrate data/digits.csv
grep_in "$T/err" "the one quantization is int8"
expect 2 $D export "$T/digits.st" -o "$T/never.h" --name 9lives
grep_in "$T/err" "cannot prefix C names"
expect 2 $D export "$T/digits.st" -o "$T/never.h" --format cpp
grep_in "$T/err" "use onnx or c"
expect 1 $D export "$T/digits.st" -o "$T/never.h" --quantize int8 --calibrate data/iris.csv
grep_in "$T/err" "px0"
expect 1 $D export "$T/digits.st" -o "$T/never.h" --quantize int8 --calibrate data/digits.csv --percentile 50 --tolerance 0.001
grep_in "$T/err" "more than the tolerance 0.1 points; nothing written"
expect 1 env CC=false $D export "$T/digits.st" -o "$T/checked.h" --check data/digits.csv
grep_in "$T/err" "could not compile"
[ ! -e "$T/never.h" ] && [ ! -e "$T/never.onnx" ] && ok || bad "a refused export left a file"
left=$(ls "$T" | grep -c '\.tmp\.')
[ "$left" -eq 0 ] && ok || bad "$left temporary files left behind"
expect 0 $D export --help
grep_in "$T/out" "--quantize int8"

finish test_export_c
