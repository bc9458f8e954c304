#!/bin/sh
# ONNX export end to end: train small models of every activation and
# task with the `descent` command, export them, and check each file with
# tests/onnx_check.py: onnx.checker (full check), strict shape inference,
# the header, nodes and initializers against the model, and the graph
# run by a numpy interpreter against `descent predict` to 1e-5.  Needs
# /usr/bin/python3 with onnx and numpy (Debian: python3-onnx); without
# them this test fails rather than skips, so CI cannot pass it unrun.
. tests/lib.sh
H=$(dirname "$0")
PY=${ONNX_PYTHON:-/usr/bin/python3}

if ! "$PY" -c 'import onnx, numpy' > "$T/err" 2>&1; then
    bad "$PY cannot import onnx and numpy ($(tail -n 1 "$T/err")); install them with 'apt-get install python3-onnx'"
    echo "test_onnx: $pass passed, $fail failed"
    exit 1
fi


# model NAME OPS DATA TRAIN-OPTIONS...: train, export, predict, check
model() {
    name=$1; ops=$2; data=$3; shift 3
    expect 0 $D train "$data" -o "$T/$name.st" --epochs 15 "$@"
    expect 0 $D export "$T/$name.st" -o "$T/$name.onnx"
    grep_in "$T/out" "wrote $T/$name.onnx"
    expect 0 $D predict "$T/$name.st" "$data"
    cp "$T/out" "$T/$name.pred"
    check_py "$T/$name.onnx" "$T/$name.st" "$ops" "$data" "$T/$name.pred"
}

# -- multiclass (softmax), every hidden activation
model iris_a IsNaN,Where,Sub,Div,Gemm,Tanh,Gemm,Relu,Gemm,Softmax data/iris.csv --layers 8:tanh,6:relu
model iris_b IsNaN,Where,Sub,Div,Gemm,LeakyRelu,Gemm,PRelu,Gemm,Softmax data/iris.csv --layers 8:leaky_relu,6:prelu
model iris_c IsNaN,Where,Sub,Div,Gemm,Sigmoid,Gemm,Gemm,Softmax data/iris.csv --layers 6:sigmoid,5:identity
model iris_0 IsNaN,Where,Sub,Div,Gemm,Softmax data/iris.csv --layers none

# -- binary (one sigmoid unit: P(second class))
awk -F, 'NR == 1 || $NF != "virginica"' data/iris.csv > "$T/two.csv"
model two IsNaN,Where,Sub,Div,Gemm,PRelu,Gemm,Tanh,Gemm,Sigmoid "$T/two.csv" --layers 6:prelu,4:tanh

# -- regression with a one-hot text feature and target scaling
model house IsNaN,Where,Sub,Div,Gemm,Relu,Gemm,LeakyRelu,Gemm,Mul,Add data/house.csv --target price --layers 8:relu,4:leaky_relu
# ... and without any scaling: no Sub/Div, no Mul/Add, the last Gemm is the output
model house_raw IsNaN,Where,Gemm,Tanh,Gemm data/house.csv --target price --layers 6:tanh --no-standardize --lr 0.0001

# -- images (IDX): the schema describes 4 x 4 pixels scaled to [0, 1];
# the same images as a CSV of scaled values feed the numpy interpreter
"$PY" - "$T/img.idx" "$T/lab.idx" "$T/img.csv" <<'EOF'
import random, struct, sys
random.seed(3)
n, r, c = 60, 4, 4
px = [[random.randrange(256) for _ in range(r * c)] for _ in range(n)]
lab = [(sum(p[:8]) > sum(p[8:])) + (p[0] > 128) for p in px]   # 3 classes
open(sys.argv[1], "wb").write(struct.pack(">IIII", 0x803, n, r, c) + bytes(sum(px, [])))
open(sys.argv[2], "wb").write(struct.pack(">II", 0x801, n) + bytes(lab))
f32 = lambda v: struct.unpack("<f", struct.pack("<f", v))[0]
with open(sys.argv[3], "w") as f:
    f.write(",".join("px%d" % j for j in range(r * c)) + "\n")
    for p in px:   # as descent scales them, float32(v) / 255 in float32
        f.write(",".join("%.9g" % f32(f32(v) / f32(255.0)) for v in p) + "\n")
EOF
expect 0 $D train "$T/img.idx" --labels "$T/lab.idx" --layers 8:relu --epochs 10 -o "$T/img.st"
expect 0 $D export "$T/img.st" -o "$T/img.onnx"
expect 0 $D predict "$T/img.st" "$T/img.idx"
cp "$T/out" "$T/img.pred"
check_py "$T/img.onnx" "$T/img.st" Sub,Div,Gemm,Relu,Gemm,Softmax "$T/img.csv" "$T/img.pred"

# -- a model without a schema, two outputs, leaky alpha 0.2 and per-unit
# PReLU slopes, written as the C API would (json + struct, as
# docs/model-format.md shows); the reference is tests/load_model.py.
"$PY" - "$T/hand.st" "$T/hand_x.csv" <<'EOF'
import json, random, struct, sys
random.seed(7)
layers = [{"units": 5, "act": "leaky_relu", "alpha": 0.2},
          {"units": 4, "act": "prelu"}, {"units": 2, "act": "identity"}]
meta = {"format": "descent", "descent.version": "1",
        "descent.arch": json.dumps({"n_in": 3, "layers": layers, "loss": "mse"}),
        "descent.scaling": json.dumps({"mean": [1.5, -2.0, 10.0], "std": [0.5, 3.0, 4.0]}),
        "descent.target_scaling": json.dumps({"mean": [100.0, -3.0], "std": [20.0, 0.25]}),
        "note": "made by test_onnx.sh"}
tensors, n_in = [], 3
for l, L in enumerate(layers):
    tensors.append(("%d.weight" % (2 * l), [L["units"], n_in],
                    [random.uniform(-1, 1) for _ in range(L["units"] * n_in)]))
    tensors.append(("%d.bias" % (2 * l), [L["units"]],
                    [random.uniform(-0.5, 0.5) for _ in range(L["units"])]))
    if L["act"] == "prelu":
        tensors.append(("%d.weight" % (2 * l + 1), [L["units"]],
                        [0.1 * (j + 1) for j in range(L["units"])]))
    n_in = L["units"]
header, data = {"__metadata__": meta}, b""
for name, shape, values in tensors:
    header[name] = {"dtype": "F32", "shape": shape,
                    "data_offsets": [len(data), len(data) + 4 * len(values)]}
    data += struct.pack("<%df" % len(values), *values)
text = json.dumps(header).encode()
text += b" " * (-len(text) % 8)
open(sys.argv[1], "wb").write(struct.pack("<Q", len(text)) + text + data)
with open(sys.argv[2], "w") as f:
    f.write("a,b,c\n")
    for _ in range(50):
        f.write("%.6g,%.6g,%.6g\n" % (random.gauss(1.5, 1), random.gauss(-2, 6), random.gauss(10, 8)))
EOF
expect 0 $D export "$T/hand.st" -o "$T/hand.onnx"
check_py "$T/hand.onnx" "$T/hand.st" Sub,Div,Gemm,LeakyRelu,Gemm,PRelu,Gemm,Mul,Add "$T/hand_x.csv" -
"$PY" -c 'import onnx, sys; p = {e.key: e.value for e in onnx.load(sys.argv[1]).metadata_props}; print(p)' "$T/hand.onnx" > "$T/props" 2>&1
grep_in "$T/props" "'note': 'made by test_onnx.sh'"
grep_in "$T/props" "'descent.task': 'regression'"
if grep -q "descent.schema" "$T/props"; then bad "a model without a schema got descent.schema"; else ok; fi

# -- the command: default name, overwrite, help, usage and data errors
cp "$T/iris_a.st" "$T/dflt.safetensors"
expect 0 $D export "$T/dflt.safetensors"
[ -s "$T/dflt.onnx" ] && ok || bad "export without -o did not write dflt.onnx"
cmp -s "$T/dflt.onnx" "$T/iris_a.onnx" && ok || bad "two exports of one model differ"
expect 0 $D export "$T/iris_b.st" -o "$T/dflt.onnx"    # replaces the file
cmp -s "$T/dflt.onnx" "$T/iris_b.onnx" && ok || bad "export did not replace dflt.onnx"
left=$(ls "$T" | grep -c '\.tmp\.')
[ "$left" -eq 0 ] && ok || bad "$left temporary files left behind"
expect 0 $D export --help
grep_in "$T/out" "usage: descent export"
grep_in "$T/out" "examples:"
expect 0 $D --help
grep_in "$T/out" "export MODEL"
expect 2 $D export
grep_in "$T/err" "needs a MODEL"
expect 2 $D export "$T/iris_a.st" --bogus
grep_in "$T/err" "unknown option '--bogus'"
expect 2 $D export "$T/iris_a.st" -o "$T/iris_a.st"
grep_in "$T/err" "is the model itself"
expect 1 $D export "$T/missing.st" -o "$T/never.onnx"
grep_in "$T/err" "missing.st"
[ ! -e "$T/never.onnx" ] && ok || bad "an ONNX file was written for a missing model"
expect 1 $D export "$T/iris_a.st" -o "$T/no/such/dir/m.onnx"
grep_in "$T/err" "no/such/dir/m.onnx"
head -c 200 "$T/iris_a.st" > "$T/trunc.st"
expect 1 $D export "$T/trunc.st" -o "$T/never.onnx"
[ ! -e "$T/never.onnx" ] && ok || bad "an ONNX file was written for a damaged model"

finish test_onnx
