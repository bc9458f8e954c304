#!/bin/sh
# The Python package (python/descent) end to end, with /usr/bin/python3
# and Debian's python3-sklearn, -numpy and -pandas: scikit-learn's
# check_estimator on both estimators, the ctypes structs against
# descent.h, bit-identical models with `descent train`, parity with
# scikit-learn's MLP (solver='sgd') from the same weights, GridSearchCV,
# Pipeline, cross_val_score, clone, pickling, errors, the GIL
# (tests/python/test_python.py); then `pip install` of the package and
# its use without scikit-learn.  Without the packages the test fails
# rather than skips, so CI cannot pass it unrun.
. tests/lib.sh
PY=${DESCENT_PYTHON:-/usr/bin/python3}
B=${B:-build}

if ! "$PY" -c 'import sklearn, numpy, pandas' > "$T/err" 2>&1; then
    bad "$PY cannot import sklearn, numpy and pandas ($(tail -n 1 "$T/err")); install python3-sklearn python3-numpy python3-pandas"
    finish test_python; exit 1
fi
# The package's library is this build's.  The instrumented builds of
# make sanitize and make coverage make no libdescent.so (an ASan or gcov
# library cannot be loaded into an uninstrumented python3): this test
# belongs to make test, which always has one.
if [ ! -f "$B/libdescent.so" ]; then
    echo "test_python: no $B/libdescent.so in this build (instrumented); the Python package is tested by make test"
    finish test_python; exit 0
fi
mkdir -p "$T/pkg"
cp -R python/descent "$T/pkg/"
cp "$B/libdescent.so" "$T/pkg/descent/libdescent.so"

T="$T" PYTHONPATH="$T/pkg" DESCENT="$D" "$PY" tests/python/test_python.py > "$T/py.out" 2>&1
cat "$T/py.out" | grep -v '^test_python: '
last=$(tail -n 1 "$T/py.out")
p=$(printf '%s' "$last" | sed -n 's/^test_python: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
f=$(printf '%s' "$last" | sed -n 's/^test_python: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
if [ -z "$p" ]; then bad "test_python.py crashed:"; tail -n 15 "$T/py.out"
else pass=$((pass + p)); fail=$((fail + f)); fi

# pip install ./python, offline, into a directory of its own
cp -R python "$T/src"
cp "$B/libdescent.so" "$T/src/descent/libdescent.so"
if "$PY" -m pip --version > /dev/null 2>&1; then
    expect 0 "$PY" -m pip install --no-index --no-build-isolation --no-deps \
        --target "$T/site" "$T/src"
    cd /
    expect 0 env PYTHONPATH="$T/site" "$PY" -c '
import descent, numpy as np, os
assert descent.__file__.startswith(os.environ["PYTHONPATH"]), descent.__file__
X = np.random.RandomState(0).randn(100, 3); y = (X[:, 0] > 0).astype(int)
assert descent.MLPClassifier((8,), learning_rate_init=0.01, max_iter=100, random_state=0).fit(X, y).score(X, y) > 0.9'
    cd "$OLDPWD"
else
    echo "test_python: no pip for $PY; pip install left untested"
fi

# without scikit-learn: plain classes with the same methods
cat > "$T/nosk.py" <<'PYEOF'
import sys
sys.modules["sklearn"] = None          # import sklearn fails from here on
import numpy as np, pickle, descent
assert not descent.HAVE_SKLEARN
X = np.random.RandomState(0).randn(200, 4); y = np.where(X[:, 0] + X[:, 1] > 0, "a", "b")
c = descent.MLPClassifier((8,), max_iter=100, learning_rate_init=0.01, random_state=0).fit(X, y)
assert c.score(X, y) > 0.9, c.score(X, y)
assert set(c.predict(X)) == {"a", "b"} and c.predict_proba(X).shape == (200, 2)
assert c.get_params()["hidden_layer_sizes"] == (8,)
assert c.set_params(max_iter=5) is c and c.max_iter == 5
r = descent.MLPRegressor((8,), max_iter=200, learning_rate_init=0.01, random_state=0).fit(X, X[:, 0] * 2)
assert r.score(X, X[:, 0] * 2) > 0.9
assert np.array_equal(pickle.loads(pickle.dumps(r)).predict(X), r.predict(X))
try:
    r.predict(X[:, :2]); raise SystemExit("2 features accepted")
except ValueError as e:
    assert "features" in str(e)
try:
    descent.MLPRegressor().predict(X); raise SystemExit("unfitted predict")
except AttributeError:
    pass
print("ok")
PYEOF
expect 0 env PYTHONPATH="$T/pkg" "$PY" "$T/nosk.py"
grep_in "$T/out" '^ok$'
finish test_python
