"""test_python.py — the Python package against scikit-learn and the CLI.
Run by tests/test_python.sh (part of make test) with PYTHONPATH=python,
DESCENT (the CLI) and T (a scratch directory) set.  Prints FAIL lines
and the closing "test_python: P passed, F failed"."""
import io
import os
import pickle
import subprocess
import sys
import threading
import time
import warnings

import numpy as np
import pandas as pd

import descent
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_iris, make_regression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neural_network import MLPClassifier as SkClassifier
from sklearn.neural_network import MLPRegressor as SkRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import (check_estimator,
                                             check_sample_weights_invariance)

warnings.simplefilter("ignore")
D = os.environ.get("DESCENT", "build/descent")
T = os.environ["T"]
passed = failed = 0


def ok(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL: " + what)


def raises(exc, fn, what, match=None):
    try:
        fn()
    except exc as e:
        ok(match is None or match in str(e),
           "%s: message %r lacks %r" % (what, str(e), match))
        return e
    except Exception as e:  # noqa: BLE001 - a wrong type is the failure
        ok(False, "%s: %s instead of %s" % (what, type(e).__name__,
                                            exc.__name__))
        return None
    ok(False, "%s: nothing raised" % what)
    return None


def cli(*args):
    r = subprocess.run([D] + list(args), capture_output=True, text=True)
    ok(r.returncode == 0, "descent %s: exit %d: %s"
       % (" ".join(args), r.returncode, r.stderr[-300:]))
    return r.stdout


# ---- scikit-learn's own test suite -----------------------------------------
# check_estimator runs every check; the one it skips is tagged in
# _MLP._more_tags with the reason: check_sample_weights_invariance, whose
# kind="zeros" half wants rows of weight 0 to equal removed rows to rtol
# 1e-7 (in descent they count in the standardization and fill mini-batch
# slots, and float32 sums in another order differ in the last bits).
# Its kind="ones" half runs below by itself.  scikit-learn 1.2's own
# MLPClassifier and MLPRegressor have no sample_weight, so the check does
# not run for them either.  Nothing else may be skipped.
def run_checks(est):
    ran, skipped, bad = 0, [], []
    for e, check in check_estimator(est, generate_only=True):
        name = getattr(check, "func", check).__name__
        try:
            check(e)
            ran += 1
        except Exception as ex:  # noqa: BLE001
            if type(ex).__name__ == "SkipTest":   # "Skipping NAME for ..."
                skipped.append(str(ex).split()[1])
            else:
                bad.append("%s: %s: %s" % (name, type(ex).__name__,
                                           str(ex)[:200]))
    return ran, skipped, bad


for est in (descent.MLPClassifier(), descent.MLPRegressor()):
    t0 = time.time()
    ran, skipped, bad = run_checks(est)
    for b in bad:
        ok(False, "check_estimator %s: %s" % (type(est).__name__, b))
    ok(ran >= 40, "check_estimator %s ran only %d checks"
       % (type(est).__name__, ran))
    ok(skipped == ["check_sample_weights_invariance"] * 2,
       "check_estimator %s skipped %s" % (type(est).__name__, skipped))
    try:
        check_sample_weights_invariance(type(est).__name__, est, kind="ones")
        ok(True, "")
    except AssertionError as ex:
        ok(False, "check_sample_weights_invariance(kind='ones'): %s" % ex)
    print("check_estimator %s: %d checks passed, %d skipped "
          "(check_sample_weights_invariance, kinds ones and zeros; ones "
          "then passes alone), "
          "%d failed, %.1f s" % (type(est).__name__, ran, len(skipped),
                                 len(bad), time.time() - t0))
# the plain call passes too
try:
    check_estimator(descent.MLPClassifier())
    check_estimator(descent.MLPRegressor())
    ok(True, "")
except Exception as ex:  # noqa: BLE001
    ok(False, "check_estimator: %s" % ex)

# ---- the ctypes structs are descent.h's ------------------------------------
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import layout  # noqa: E402

with open(os.path.join(T, "layout.c"), "w") as f:
    f.write(layout.c_program())
cc = subprocess.run([os.environ.get("CC", "cc"), "-Iinclude",
                     os.path.join(T, "layout.c"), "-o",
                     os.path.join(T, "layout")], capture_output=True, text=True)
ok(cc.returncode == 0, "layout.c does not compile: " + cc.stderr[-300:])
if cc.returncode == 0:
    c_lines = subprocess.run([os.path.join(T, "layout")], capture_output=True,
                             text=True).stdout.split("\n")[:-1]
    py_lines = layout.lines_from_ctypes()
    for a, b in zip(c_lines, py_lines):
        ok(a == b, "struct layout: C has %r, ctypes %r" % (a, b))
    ok(len(c_lines) == len(py_lines) > 100, "struct layout: %d C lines, %d "
       "ctypes" % (len(c_lines), len(py_lines)))

# ---- bit-identical with the CLI --------------------------------------------
iris = pd.read_csv("data/iris.csv", float_precision="round_trip")
Xi, yi = iris.iloc[:, :4], iris["target"]
house = pd.read_csv("data/house.csv", float_precision="round_trip")
house = house.drop(columns=["type"])   # the CLI one-hot encodes text; numbers only here
house.to_csv(os.path.join(T, "house.csv"), index=False)
Xh, yh = house.drop(columns=["price"]), house["price"]


def cli_pred(model, data):
    return pd.read_csv(io.StringIO(cli("predict", model, data)))


# classification: split stratified, early stopping on validation accuracy,
# Adam on mini-batches, standardized inputs
m1 = os.path.join(T, "cli_iris.safetensors")
cli("train", "data/iris.csv", "--layers", "16,8", "--opt", "adam", "--lr",
    "0.01", "--batch", "32", "--epochs", "40", "--val", "0.2", "--monitor",
    "val_acc", "--patience", "6", "--min-delta", "0.0001", "--seed", "5",
    "--l2", "0.003125", "-o", m1, "-q")
py1 = descent.MLPClassifier((16, 8), solver="adam", learning_rate_init=0.01,
                            batch_size=32, max_iter=40, early_stopping=True,
                            validation_fraction=0.2, n_iter_no_change=5,
                            tol=1e-4, alpha=0.1, init="default",
                            random_state=5).fit(Xi, yi)
c1 = descent.load(m1)
ok(np.array_equal(c1._model.params(), py1._model.params()),
   "iris: the CLI's weights differ from Python's")
ok(np.array_equal(c1.predict_proba(Xi.values), py1.predict_proba(Xi)),
   "iris: the CLI's model predicts other probabilities than Python's")
ok(list(c1.classes_) == list(py1.classes_) == ["setosa", "versicolor",
                                                "virginica"],
   "iris: classes %s / %s" % (c1.classes_, py1.classes_))
p = cli_pred(m1, "data/iris.csv")
ok(list(p["class"]) == list(py1.predict(Xi)), "iris: descent predict's "
   "classes differ from Python's")
ok(np.abs(p.iloc[:, 1:].values - py1.predict_proba(Xi)).max() < 1e-5,
   "iris: descent predict's probabilities differ from Python's")
ok(py1.stop_reason_.startswith("early stopping") and py1.n_iter_ < 40 and
   len(py1.validation_scores_) == py1.n_iter_,
   "iris: early stopping: %s after %d" % (py1.stop_reason_, py1.n_iter_))

# regression: target standardized, momentum SGD, no validation split
m2 = os.path.join(T, "cli_house.safetensors")
cli("train", os.path.join(T, "house.csv"), "--layers", "12:tanh", "--opt",
    "nesterov", "--momentum", "0.8", "--lr", "0.02", "--batch", "25",
    "--epochs", "15", "--val", "0", "--seed", "9", "--init",
    "glorot_uniform", "-o", m2, "-q")
py2 = descent.MLPRegressor((12,), activation="tanh", solver="sgd",
                           momentum=0.8, learning_rate_init=0.02,
                           batch_size=25, max_iter=15, alpha=0, tol=0,
                           n_iter_no_change=100, random_state=9).fit(Xh, yh)
c2 = descent.load(m2)
ok(np.array_equal(c2.predict(Xh.values), py2.predict(Xh)),
   "house: the CLI's model predicts other values than Python's")
ok(isinstance(c2, descent.MLPRegressor) and
   list(c2.feature_names_in_) == list(Xh.columns),
   "house: the CLI's model loads as %r with %s" % (
       c2, getattr(c2, "feature_names_in_", None)))
# and the reverse: Python's file, read by the CLI
m3 = os.path.join(T, "py_house.safetensors")
py2.save(m3)
p = cli_pred(m3, os.path.join(T, "house.csv"))
ok(np.abs(p.iloc[:, 0].values - py2.predict(Xh)).max() <= 1e-4 *
   np.abs(yh).max(), "house: descent predict on Python's model differs")
ok("(None, 3)" in cli("summary", m3), "descent summary of Python's model")
r = descent.load(m3)
ok(type(r) is descent.MLPRegressor and r.get_params() == py2.get_params() and
   np.array_equal(r.predict(Xh), py2.predict(Xh)) and
   r.loss_curve_ == py2.loss_curve_, "save/load loses the estimator")

# row and class weights: `--sample-weight w --class-weight balanced` and
# fit(sample_weight=w) with class_weight='balanced', on a split
wi = iris.copy()
wi.insert(4, "w", np.round(np.random.RandomState(4).uniform(0.2, 3, len(wi)), 2))
wcsv = os.path.join(T, "iris_w.csv")
wi.to_csv(wcsv, index=False)
wi = pd.read_csv(wcsv, float_precision="round_trip")
m4 = os.path.join(T, "cli_iris_w.safetensors")
cli("train", wcsv, "--layers", "8", "--opt", "adam", "--lr", "0.02", "--batch",
    "16", "--epochs", "25", "--val", "0.25", "--patience", "1000",
    "--monitor", "val_acc", "--sample-weight", "w", "--class-weight",
    "balanced", "--seed", "3", "-o", m4, "-q")
py4 = descent.MLPClassifier((8,), learning_rate_init=0.02, batch_size=16,
                            max_iter=25, early_stopping=True,
                            validation_fraction=0.25, n_iter_no_change=999,
                            tol=0, alpha=0, class_weight="balanced",
                            init="default", random_state=3)
py4.fit(wi[list(Xi.columns)], wi["target"], sample_weight=wi["w"])
ok(np.array_equal(descent.load(m4)._model.params(), py4._model.params()),
   "weights: the CLI's weighted model differs from Python's")
unw = clone(py4).set_params(class_weight=None).fit(Xi, yi)
ok(not np.array_equal(unw._model.params(), py4._model.params()),
   "weights: the weighted model is the unweighted one")
cw = descent.MLPClassifier((8,), max_iter=30, random_state=0,
                           class_weight={"setosa": 0.0, "versicolor": 1.0})
raises(ValueError, lambda: clone(cw).set_params(
    class_weight={"rose": 1.0}).fit(Xi, yi), "class_weight of no class",
    "rose")
ci = descent.MLPClassifier((8,), max_iter=20, class_weight={0: 2.0, 2: 0.5},
                           random_state=0).fit(Xi.values, iris["target"].factorize()[0])
ci.save(os.path.join(T, "cw.safetensors"))
ok(descent.load(os.path.join(T, "cw.safetensors")).class_weight ==
   {0: 2.0, 2: 0.5}, "save/load loses class_weight's int keys")
ok(cw.get_params()["class_weight"] == {"setosa": 0.0, "versicolor": 1.0} and
   "class_weight" not in descent.MLPRegressor().get_params(),
   "class_weight is a classifier's parameter")

# ---- scikit-learn's MLP, solver='sgd', from the same weights ----------------
def same_weights(sk_cls, ds_cls, X, y, steps, **kw):
    """Both estimators from one set of weights, then `steps` full-batch
    steps: the largest difference of their outputs."""
    n = len(X)
    sk = sk_cls(solver="sgd", batch_size=n, shuffle=False, max_iter=1,
                tol=0, n_iter_no_change=10 ** 6, random_state=0, **kw)
    ds = ds_cls(solver="sgd", batch_size=n, shuffle=False, max_iter=0,
                tol=0, n_iter_no_change=10 ** 6, random_state=0,
                standardize=False, **kw)
    sk.fit(X, y)
    ds.fit(X, y)
    rng = np.random.RandomState(3)
    for Wd, bd, Ws, bs in zip(ds.coefs_, ds.intercepts_, sk.coefs_,
                              sk.intercepts_):
        Wd[...] = rng.uniform(-0.5, 0.5, Wd.shape)
        bd[...] = rng.uniform(-0.1, 0.1, bd.shape)
        Ws[...] = Wd
        bs[...] = bd
    for e in (sk, ds):
        e.set_params(warm_start=True, max_iter=steps)
        e.fit(X, y)
    out = (lambda e: e.predict_proba(X)) if hasattr(sk, "predict_proba") \
        else (lambda e: e.predict(X))
    # scikit-learn's squared loss also averages over the outputs (its
    # gradient does not): descent's MSE is n_outputs times its number
    k = 1 if hasattr(sk, "predict_proba") else ds.n_outputs_
    return np.abs(out(sk) - out(ds)).max(), \
        np.abs(np.array(sk.loss_curve_[1:]) * k - ds.loss_curve_).max()


Xr, yr = make_regression(n_samples=80, n_features=5, noise=5, random_state=1)
yr = yr / yr.std()
Xb, yb = load_breast_cancer(return_X_y=True)
Xb = StandardScaler().fit_transform(Xb)[:200]
yb = yb[:200]
Xm = StandardScaler().fit_transform(Xi.values)
cases = [
    ("regression, tanh, Nesterov, alpha", SkRegressor, descent.MLPRegressor,
     Xr, yr, dict(hidden_layer_sizes=(8,), activation="tanh",
                  learning_rate_init=0.05, momentum=0.9, alpha=0.01)),
    ("regression, 2 outputs, relu, plain SGD", SkRegressor,
     descent.MLPRegressor, Xr, np.c_[yr, -yr ** 2 / 4],
     dict(hidden_layer_sizes=(6, 4), learning_rate_init=0.05, momentum=0)),
    ("binary, logistic, momentum", SkClassifier, descent.MLPClassifier,
     Xb, yb, dict(hidden_layer_sizes=(10,), activation="logistic",
                  learning_rate_init=0.1, momentum=0.5,
                  nesterovs_momentum=False, alpha=0.001)),
    ("3 classes, relu, Nesterov, alpha", SkClassifier, descent.MLPClassifier,
     Xm, yi.values, dict(hidden_layer_sizes=(7,), learning_rate_init=0.1,
                         momentum=0.9, alpha=0.05)),
]
for name, skc, dsc, X, y, kw in cases:
    d_out, d_loss = same_weights(skc, dsc, X, y, 5, **kw)
    ok(d_out < 1e-5, "scikit-learn parity, %s: outputs differ by %.2e"
       % (name, d_out))
    ok(d_loss < 1e-5, "scikit-learn parity, %s: losses differ by %.2e"
       % (name, d_loss))
    print("scikit-learn sgd parity, %s: 5 full-batch steps, outputs within "
          "%.1e, losses within %.1e" % (name, d_out, d_loss))

# ---- scikit-learn's tools ---------------------------------------------------
clf = descent.MLPClassifier((16,), max_iter=60, random_state=0)
g = GridSearchCV(clf, {"hidden_layer_sizes": [(4,), (16,)],
                       "learning_rate_init": [0.001, 0.01]}, cv=3).fit(Xi, yi)
ok(g.best_score_ > 0.9 and len(g.cv_results_["params"]) == 4 and
   isinstance(g.best_estimator_, descent.MLPClassifier),
   "GridSearchCV: best %.3f" % g.best_score_)
pipe = make_pipeline(StandardScaler(),
                     descent.MLPClassifier(max_iter=100, random_state=0))
ok(pipe.fit(Xb, yb).score(Xb, yb) > 0.95, "Pipeline(StandardScaler, MLP)")
s = cross_val_score(descent.MLPRegressor((32,), max_iter=200,
                                         learning_rate_init=0.01,
                                         random_state=0), Xr, yr, cv=4)
ok(len(s) == 4 and s.mean() > 0.8, "cross_val_score: %s" % s)
c = clone(py1)
ok(c.get_params() == py1.get_params() and not hasattr(c, "classes_"),
   "clone")
ok(np.array_equal(c.fit(Xi, yi).predict_proba(Xi), py1.predict_proba(Xi)),
   "clone fitted again gives the same model")

# ---- pickles through the model file's bytes ---------------------------------
state = py1.__getstate__()
raw = state["_model_bytes"]
hdr = int.from_bytes(raw[:8], "little")
ok(raw[8:9] == b"{" and b'"0.weight"' in raw[8:8 + hdr] and
   not any(isinstance(v, descent._model.Model) for v in state.values()),
   "pickle state is not a safetensors file")
q = pickle.loads(pickle.dumps(py1))
ok(np.array_equal(q.predict_proba(Xi), py1.predict_proba(Xi)) and
   q._model.h.value != py1._model.h.value, "pickle round trip")

# ---- errors carry the library's message -------------------------------------
e = raises(descent.Error, lambda: descent.MLPClassifier(solver="lm").fit(Xi, yi),
           "lm on a classifier", "use lbfgs")
ok(isinstance(e, ValueError), "descent.Error is a ValueError")
raises(descent.Error, lambda: descent.MLPRegressor(
    checkpoint=os.path.join(T, "no", "such", "dir", "c.ckpt"),
    max_iter=2).fit(Xr, yr), "checkpoint in a missing directory", "c.ckpt")
raises(descent.Error, lambda: descent.load(os.path.join(T, "house.csv")),
       "loading a CSV as a model", "house.csv")
raises(descent.Error, lambda: descent.MLPRegressor().fit(
    Xh, yh, sample_weight=-np.ones(len(yh))), "negative sample_weight",
    "weight -1")
raises(ValueError, lambda: descent.MLPClassifier(
    learning_rate="invscaling").fit(Xi, yi), "invscaling", "schedule")
raises(ValueError, lambda: py1.predict(Xi.values[:, :3]), "3 features",
       "features")

# ---- attributes and descent's own parameters --------------------------------
ok([w.shape for w in py1.coefs_] == [(4, 16), (16, 8), (8, 3)] and
   [b.shape for b in py1.intercepts_] == [(16,), (8,), (3,)],
   "coefs_/intercepts_ shapes")
ok(list(py1.feature_names_in_) == list(Xi.columns) and
   py1.n_features_in_ == 4, "feature_names_in_ from a DataFrame")
w = py1.coefs_[2]
before = py1.predict_proba(Xi)
w[:, 0] += 1.0
ok(not np.array_equal(before, py1.predict_proba(Xi)),
   "coefs_ is not a view of the model")
w[:, 0] -= 1.0
z = py1.decision_function(Xi)
soft = np.exp(z - z.max(1, keepdims=True))
soft /= soft.sum(1, keepdims=True)
ok(np.abs(soft - py1.predict_proba(Xi)).max() < 1e-6,
   "decision_function is not the softmax's logits")
bc = descent.MLPClassifier((8,), max_iter=30, random_state=0).fit(Xb, yb)
ok(np.array_equal(bc.decision_function(Xb) > 0, bc.predict(Xb) == 1),
   "binary decision_function sign vs predict")
pf = descent.MLPClassifier((8,), random_state=0)
for i in range(3):
    pf.partial_fit(Xm, yi, classes=np.unique(yi))
ok(pf.n_iter_ == 3 and len(pf.loss_curve_) == 3 and
   pf.loss_curve_[2] < pf.loss_curve_[0], "partial_fit: %s" % pf.loss_curve_)
ok(not hasattr(descent.MLPClassifier(solver="lbfgs"), "partial_fit"),
   "partial_fit with lbfgs")
lb = descent.MLPRegressor((10,), solver="lbfgs", max_iter=100,
                          random_state=0).fit(Xr, yr)
ok(lb.score(Xr, yr) > 0.95 and lb.n_iter_ <= 100, "lbfgs: R2 %.3f"
   % lb.score(Xr, yr))
nt = descent.MLPRegressor((4,), solver="newton", max_iter=20,
                          random_state=0).fit(Xr, yr)
ok(nt.score(Xr, yr) > 0.9, "newton: R2 %.3f" % nt.score(Xr, yr))
dr = descent.MLPClassifier((32,), dropout=0.3, schedule={"kind": "cosine"},
                           clip=1.0, max_iter=100, learning_rate_init=0.01,
                           random_state=0).fit(Xm, yi)
ok(dr.score(Xm, yi) > 0.85, "dropout + cosine + clip")
tb = os.path.join(T, "tb")
ck = os.path.join(T, "run.ckpt")
descent.MLPClassifier((8,), max_iter=3, tensorboard=tb, checkpoint=ck,
                      random_state=0).fit(Xm, yi)
ok(os.path.isdir(os.path.join(tb, "train")) and os.listdir(
    os.path.join(tb, "train")), "tensorboard wrote no events")
ok(os.path.getsize(ck) > 0, "checkpoint not written")
ws = descent.MLPClassifier((8,), max_iter=5, warm_start=True, random_state=0)
ws.fit(Xm, yi)
ws.fit(Xm, yi)
ok(ws.n_iter_ == 10 and len(ws.loss_curve_) == 10, "warm_start continues")
t1 = descent.MLPClassifier((64,), max_iter=20, threads=1, random_state=0)
t2 = clone(t1).set_params(threads=2)
ok(np.array_equal(t1.fit(Xb, yb).predict_proba(Xb),
                  t2.fit(Xb, yb).predict_proba(Xb)),
   "threads=1 and threads=2 give other models")
raises(descent.Error, lambda: descent.MLPClassifier(init="zeros").fit(Xi, yi),
       "init='zeros'", "zeros")
raises(ValueError, lambda: descent.MLPClassifier(threads=-1).fit(Xi, yi),
       "threads=-1", "threads")

# ---- the GIL is released during fit and predict -----------------------------
rng = np.random.RandomState(0)
Xg = rng.randn(20000, 50).astype(np.float32)
yg = (Xg[:, 0] + Xg[:, 1] > 0).astype(int)


def largest_gap(work):
    """Runs work() in a thread; the main thread ticks meanwhile: the
    longest time between two ticks, and work's duration."""
    th = threading.Thread(target=work)
    t0 = time.perf_counter()
    th.start()
    last, gap = time.perf_counter(), 0.0
    while th.is_alive():
        now = time.perf_counter()
        gap = max(gap, now - last)
        last = now
    return gap, time.perf_counter() - t0


big = descent.MLPClassifier((384, 384), max_iter=1, batch_size=64,
                            threads=1, random_state=0)
gap, dur = largest_gap(lambda: big.fit(Xg, yg))
ok(dur > 0.1 and gap < dur / 4, "fit holds the GIL: the main thread "
   "waited %.3f s of %.3f s" % (gap, dur))
print("GIL: during a %.2f s fit (one epoch, one call) the main thread's "
      "longest wait was %.4f s" % (dur, gap))
Xp = np.tile(Xg, (5, 1))
gap, dur = largest_gap(lambda: big.predict_proba(Xp))
ok(gap < max(dur / 4, 0.05), "predict holds the GIL: %.3f s of %.3f s"
   % (gap, dur))
# two estimators in two threads at once give what each gives alone
a = descent.MLPClassifier((32,), max_iter=5, random_state=1)
b = descent.MLPClassifier((32,), max_iter=5, random_state=2)
res = {}
ths = [threading.Thread(target=lambda e=e, k=k: res.__setitem__(
    k, e.fit(Xg[:4000], yg[:4000]).predict_proba(Xg[:100]))) for k, e in
    (("a", a), ("b", b))]
for th in ths:
    th.start()
for th in ths:
    th.join()
ok(np.array_equal(res["a"], clone(a).fit(Xg[:4000], yg[:4000])
                  .predict_proba(Xg[:100])) and
   np.array_equal(res["b"], clone(b).fit(Xg[:4000], yg[:4000])
                  .predict_proba(Xg[:100])),
   "two trainings in two threads differ from each alone")

print("test_python: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
