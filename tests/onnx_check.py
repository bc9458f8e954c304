#!/usr/bin/python3
"""onnx_check.py - checks an ONNX file written by `descent export` against
the model it came from, and runs it with a small numpy interpreter (no
onnxruntime), for tests/test_onnx.sh.

    /usr/bin/python3 tests/onnx_check.py OUT.onnx MODEL.safetensors OPS DATA PRED

OPS    the op types the graph must hold, in order, comma-separated
DATA   a CSV file with the model's feature columns (encoded here with the
       descent.schema the ONNX file carries), or, when PRED is "-", raw
       encoded inputs (see load_model.py)
PRED   what `descent predict MODEL DATA` printed; "-": compare with the
       forward pass of load_model.py instead (a model without a schema)

Needs onnx and numpy (Debian: python3-onnx).  Prints a FAIL line for
every failed check and, last, "onnx_check: P passed, F failed".
"""
import csv
import io
import json
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import load_model  # noqa: E402  (the reference loader beside this file)

passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL %s: %s" % (sys.argv[1], what))


# ---- a numpy interpreter for the operators descent writes ------------

ATTRS = {"Gemm": {"alpha", "beta", "transA", "transB"},
         "LeakyRelu": {"alpha"}, "Softmax": {"axis"}}


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def run(model, x):
    """Evaluates the graph on x, node by node, in float32 as runtimes do.
    Unknown operators and attributes are errors: nothing is skipped."""
    env = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    env[model.graph.input[0].name] = x
    for node in model.graph.node:
        a = attrs(node)
        extra = set(a) - ATTRS.get(node.op_type, set())
        if extra:
            raise ValueError("%s has unknown attributes %s" % (node.name, extra))
        i = [env[n] for n in node.input]
        op = node.op_type
        if op == "Gemm":
            A = i[0].T if a.get("transA", 0) else i[0]
            B = i[1].T if a.get("transB", 0) else i[1]
            y = np.float32(a.get("alpha", 1.0)) * (A @ B)
            if len(i) > 2:
                y = y + np.float32(a.get("beta", 1.0)) * i[2]
        elif op == "Sub":
            y = i[0] - i[1]
        elif op == "Div":
            y = i[0] / i[1]
        elif op == "Mul":
            y = i[0] * i[1]
        elif op == "Add":
            y = i[0] + i[1]
        elif op == "Relu":
            y = np.maximum(i[0], np.float32(0))
        elif op == "LeakyRelu":
            y = np.where(i[0] < 0, np.float32(a.get("alpha", 0.01)) * i[0], i[0])
        elif op == "PRelu":
            y = np.where(i[0] < 0, i[1] * i[0], i[0])
        elif op == "Sigmoid":
            with np.errstate(over="ignore"):
                y = 1 / (1 + np.exp(-i[0]))
        elif op == "Tanh":
            y = np.tanh(i[0])
        elif op == "Softmax":
            y = softmax(i[0], a.get("axis", -1))
        elif op == "Identity":
            y = i[0]
        elif op == "IsNaN":
            env[node.output[0]] = np.isnan(i[0])
            continue
        elif op == "Where":
            y = np.where(i[0], i[1], i[2])
        else:
            raise ValueError("unknown operator " + op)
        env[node.output[0]] = np.asarray(y, dtype=np.float32)
    return env[model.graph.output[0].name]


# ---- the inputs and the reference outputs ----------------------------

NA = {"", "na", "n/a", "nan", "null", "?"}   # descent's default tokens


def delimiter(text):
    """The delimiter descent detects: of , ; tab |, the one that splits
    the first 51 records alike into the most fields (2 or more)."""
    best, sep = 1, ","
    for d in ",;\t|":
        rows = [r for r in csv.reader(io.StringIO(text), delimiter=d) if r][:51]
        counts = {len(r) for r in rows}
        if len(counts) == 1 and counts.pop() > best:
            best, sep = len(rows[0]), d
    return sep


def encode(path, schema):
    """A CSV's rows as the network's inputs, as docs/export.md tells a
    consumer to make them: numeric columns as they are (a decimal comma
    in a ';' file read as a point), a text column one-hot over its
    categories (all 0 for one it does not know), then the column's
    was-missing input (0) if it has one; a missing value is NaN in every
    input of its column, which the graph fills in.  Columns are found by
    name."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        text = f.read()
    sep = delimiter(text)
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=sep) if r]
    head = [h.strip() for h in rows[0]]
    X = []
    for r in rows[1:]:
        x = []
        for c in schema["columns"]:
            v = r[head.index(c["name"])].strip()
            cats = c.get("categories")
            width = (len(cats) if cats else 1) + (1 if c.get("indicator") else 0)
            if v.lower() in NA:
                x += [float("nan")] * width
                continue
            if cats:
                x += [1.0 if v == k else 0.0 for k in cats]
            else:
                x.append(float(v.replace(",", ".") if sep == ";" else v))
            if c.get("indicator"):
                x.append(0.0)
        X.append(x)
    return np.array(X, dtype=np.float32)


def fill_vector(schema):
    """What the graph puts in for a missing value, input by input."""
    v = []
    for c in schema["columns"]:
        if "categories" in c:
            v += [0.0] * len(c["categories"])
        else:
            v.append(c.get("fill", float("nan")))
        if c.get("indicator"):
            v.append(1.0)
    return np.array(v, np.float32)


def dims(value):
    return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    path, st, ops, data, pred = sys.argv[1:]
    blob = open(path, "rb").read()
    m = onnx.load_from_string(blob)
    meta, tensors = load_model.load(st)
    arch = json.loads(meta["descent.arch"])
    schema = json.loads(meta["descent.schema"]) if "descent.schema" in meta else None
    n_in, n_out = arch["n_in"], arch["layers"][-1]["units"]
    task = schema["task"] if schema else {"ce": "multiclass", "bce": "binary",
                                          "mse": "regression"}[arch["loss"]]

    # -- a valid model, as the ONNX checker and strict shape inference see it
    try:
        onnx.checker.check_model(m, full_check=True)
        check(True, "")
    except Exception as e:  # noqa: BLE001  (any checker error is a failure)
        check(False, "onnx.checker: %s" % e)
    try:
        inferred = onnx.shape_inference.infer_shapes(m, check_type=True,
                                                     strict_mode=True)
        shapes = [dims(v) for v in inferred.graph.value_info]
        check(len(shapes) == len(m.graph.node) - 1 and
              all(len(s) == 2 and s[0] == "N" for s in shapes),
              "inferred intermediate shapes %s, want [N, k] for each" % shapes)
    except Exception as e:  # noqa: BLE001
        check(False, "shape inference: %s" % e)
    # The writer's encoding is the canonical one protobuf itself produces.
    check(m.SerializeToString() == blob, "bytes differ from protobuf's "
          "own serialization of the same model")

    # -- the header
    check(m.ir_version == 7, "ir_version %d, want 7" % m.ir_version)
    opsets = [(o.domain, o.version) for o in m.opset_import]
    check(opsets == [("", 13)], "opset_import %s, want [('', 13)]" % opsets)
    check(m.producer_name == "descent" and m.producer_version != "",
          "producer %r %r" % (m.producer_name, m.producer_version))
    g = m.graph
    check(len(g.input) == 1 and g.input[0].name == "input" and
          g.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT and
          dims(g.input[0]) == ["N", n_in],
          "inputs %s" % [(v.name, dims(v)) for v in g.input])
    check(len(g.output) == 1 and g.output[0].name == "output" and
          g.output[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT and
          dims(g.output[0]) == ["N", n_out],
          "outputs %s" % [(v.name, dims(v)) for v in g.output])

    # -- the nodes: the expected ops, layer tensors in the right places
    got = [n.op_type for n in g.node]
    check(got == ops.split(","), "ops %s, want %s" % (",".join(got), ops))
    gemms = [n for n in g.node if n.op_type == "Gemm"]
    check(len(gemms) == len(arch["layers"]), "%d Gemm nodes for %d layers"
          % (len(gemms), len(arch["layers"])))
    for l, n in enumerate(gemms):
        check(list(n.input[1:]) == ["%d.weight" % (2 * l), "%d.bias" % (2 * l)]
              and attrs(n) == {"transB": 1},
              "Gemm %d: inputs %s, attributes %s" % (l, list(n.input), attrs(n)))
    leaky = [L for L in arch["layers"] if L["act"] == "leaky_relu"]
    nodes = [n for n in g.node if n.op_type == "LeakyRelu"]
    for L, n in zip(leaky, nodes):
        check(attrs(n).get("alpha") == np.float32(L.get("alpha", 0.01)),
              "LeakyRelu alpha %s, model %s" % (attrs(n), L.get("alpha")))
    prelu = [2 * l + 1 for l, L in enumerate(arch["layers"]) if L["act"] == "prelu"]
    nodes = [n for n in g.node if n.op_type == "PRelu"]
    check([n.input[1] for n in nodes] == ["%d.weight" % k for k in prelu],
          "PRelu slopes %s" % [n.input[1] for n in nodes])
    for n in g.node:
        if n.op_type == "Softmax":
            check(attrs(n) == {"axis": 1}, "Softmax attributes %s" % attrs(n))

    # -- the initializers are the model's tensors, bit for bit
    init = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    want = dict((k, (s, np.array(v, np.float32))) for k, (s, v) in tensors.items())
    for key, doc in (("descent.scaling", "input"),
                     ("descent.target_scaling", "target")):
        if key in meta:
            s = json.loads(meta[key])
            want[doc + "_mean"] = ([len(s["mean"])], np.array(s["mean"], np.float32))
            want[doc + "_std"] = ([len(s["std"])], np.array(s["std"], np.float32))
    if schema and any("fill" in c or c.get("indicator") for c in schema["columns"]):
        want["input_fill"] = ([n_in], fill_vector(schema))
    check(sorted(init) == sorted(want), "initializers %s, want %s"
          % (sorted(init), sorted(want)))
    for k, (shape, v) in want.items():
        if k in init:
            check(list(init[k].shape) == shape and
                  np.array_equal(init[k].ravel(), v, equal_nan=True),
                  "initializer %s differs from the model's tensor" % k)

    # -- what the model means: doc_string and metadata_props
    props = {p.key: p.value for p in m.metadata_props}
    check(props.get("descent.task") == task, "descent.task %r, want %r"
          % (props.get("descent.task"), task))
    phrase = {"multiclass": "multiclass classifier", "binary": "binary classifier",
              "regression": "regression model"}[task]
    check(phrase in m.doc_string, "doc_string lacks %r: %r" % (phrase, m.doc_string))
    if schema:
        check(json.loads(props.get("descent.schema", "null")) == schema,
              "descent.schema %r differs from the model file's"
              % props.get("descent.schema"))
        if "img_rows" in schema:   # images: described, not listed pixel by pixel
            names = ["%d x %d images" % (schema["img_rows"], schema["img_cols"])]
        else:
            names = [c["name"] for c in schema["columns"]]
        names += schema.get("classes", [])
        missing = [s for s in names if s not in m.doc_string]
        check(not missing, "doc_string lacks %s" % missing)
        if "classes" in schema:
            check(json.loads(props.get("descent.classes", "null")) == schema["classes"],
                  "descent.classes %r" % props.get("descent.classes"))

    # -- the outputs equal descent's
    if pred == "-":
        X = np.array(load_model.read_rows(data), dtype=np.float32)
        ref = np.array([load_model.forward(meta, tensors, x) for x in X])
        labels = None
    else:
        X = encode(data, schema)
        with open(pred, newline="") as f:
            rows = [r for r in csv.reader(f) if r][1:]
        if task == "regression":
            ref = np.array([[float(v) for v in r] for r in rows])
            labels = None
        elif task == "binary":     # class, p_<classes[0]>, p_<classes[1]>
            ref = np.array([[float(r[2])] for r in rows])
            check(all(abs(float(r[1]) + float(r[2]) - 1) < 2e-6 for r in rows),
                  "predict's two binary probabilities do not sum to 1")
            labels = [r[0] for r in rows]
        else:                      # class, p_<class> for every class
            ref = np.array([[float(v) for v in r[1:]] for r in rows])
            labels = [r[0] for r in rows]
    try:
        y = run(m, X)
        one = run(m, X[:1])
    except Exception as e:  # noqa: BLE001  (a graph that cannot run fails)
        check(False, "running the graph: %s" % e)
        return
    check(y.shape == ref.shape, "output shape %s, descent's %s" % (y.shape, ref.shape))
    if y.shape == ref.shape:
        # 1e-5, relative for values above 1 (regression in target units)
        err = np.abs(y - ref) / np.maximum(1.0, np.abs(ref))
        worst = np.unravel_index(np.argmax(err), err.shape)
        check(err.max() <= 1e-5, "ONNX output %r vs descent %r at row %d (rel. "
              "error %.3g)" % (y[worst], ref[worst], worst[0], err.max()))
        print("onnx_check: %s: %d rows, max error %.3g" % (os.path.basename(path),
              len(X), err.max()))
    if labels is not None and y.shape == ref.shape:
        if task == "binary":
            mine = [schema["classes"][int(p >= 0.5)] for p in y[:, 0]]
        else:
            mine = [schema["classes"][k] for k in y.argmax(axis=1)]
        check(mine == labels, "the ONNX output picks another class on %d rows"
              % sum(a != b for a, b in zip(mine, labels)))
    # The batch dimension is symbolic: one row alone gives the same answer.
    check(one.shape == (1, n_out) and np.allclose(one, y[:1], rtol=1e-6, atol=1e-7),
          "a batch of one row gives %s, the full batch %s" % (one, y[:1]))

if __name__ == "__main__":
    main()
    print("onnx_check: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
