#!/bin/sh
# `descent report`: every figure equals sklearn.metrics' on the same
# predictions (tests/report_check.py, to 1e-9) for a multiclass model
# (iris), a binary one whose scores are heavily tied (a logistic
# regression on two small integer features: 15 distinct scores for 400
# rows), and a regression (house prices); the text, the HTML page and
# its figures; and the refusals: --bins for a regression model, bins out
# of range, data that does not fit the model, an HTML path that cannot
# be written or is an input — each with a message and nothing written.
. tests/lib.sh
PY=/usr/bin/python3
if ! $PY -c 'import sklearn, numpy' 2>/dev/null; then
    bad "python3-sklearn and python3-numpy are needed (apt-get install python3-sklearn)"
    finish test_report; exit $?
fi

# against PY_CHECK NAME MODEL DATA TARGET: report --json and predict on
# the same rows; report_check.py recomputes them with sklearn
against() {
    $D predict "$2" "$3" -o "$T/$1.pred.csv" 2> "$T/err" || bad "$1: predict failed: $(cat "$T/err")"
    $D report "$2" "$3" --json > "$T/$1.json" 2> "$T/err" || bad "$1: report --json failed: $(cat "$T/err")"
    if $PY tests/report_check.py "$T/$1.json" "$T/$1.pred.csv" "$3" "$4" > "$T/$1.check" 2>&1; then ok
    else bad "$1: report differs from sklearn:"; grep -v '^ok' "$T/$1.check" | head -n 8; fi
    n=$(grep -c '^ok' "$T/$1.check")
    [ "$n" -ge "$5" ] && ok || bad "$1: $n figures compared, want $5 or more"
    echo "  $1: $n figures equal sklearn's, $(tail -n 1 "$T/$1.check")"
}

# multiclass
$D train data/iris.csv --epochs 40 -q -o "$T/iris.st" || bad "train iris"
against iris "$T/iris.st" data/iris.csv target 20

# binary with ties
awk 'BEGIN { s = 7; print "a,b,label"
  for (i = 0; i < 400; i++) {
    s = (s * 1103515245 + 12345) % 2147483648; a = s % 5
    s = (s * 1103515245 + 12345) % 2147483648; b = s % 3
    s = (s * 1103515245 + 12345) % 2147483648; u = s / 2147483648
    print a "," b "," (u < 0.15 + 0.15 * a + 0.05 * b ? "yes" : "no") } }' > "$T/ties.csv"
$D train "$T/ties.csv" --layers none --epochs 30 -q -o "$T/ties.st" || bad "train ties"
distinct=$(tail -n +2 "$T/ties.csv" | sort -u | wc -l)
scores=$($D predict "$T/ties.st" "$T/ties.csv" | tail -n +2 | cut -d, -f3 | sort -u | wc -l)
[ "$scores" -le "$distinct" ] && [ "$scores" -ge 5 ] && ok || bad "ties: $scores distinct scores for $distinct distinct rows"
against ties "$T/ties.st" "$T/ties.csv" label 30

# regression
$D train data/house.csv --epochs 30 -q -o "$T/house.st" || bad "train house"
against house "$T/house.st" data/house.csv price 5

# the text: aligned tables a person reads
expect 0 $D report "$T/iris.st" data/iris.csv
for p in "150 rows, multiclass, 3 classes" "confusion matrix (rows: true class" \
         "macro avg" "weighted avg" "one-vs-rest ROC AUC" "calibration: ECE" \
         "^versicolor "; do grep_in "$T/out" "$p"; done
expect 0 $D report "$T/ties.st" "$T/ties.csv"
grep_in "$T/out" "ROC AUC 0\.[0-9]*   average precision 0\."
grep_in "$T/out" "of P(class 1)"
expect 0 $D report "$T/house.st" data/house.csv
for p in "regression" "^MSE " "^RMSE " "^MAE " "^R2 "; do grep_in "$T/out" "$p"; done
# the numbers of the text are the JSON's
acc=$($PY -c 'import json,sys; print("%.4f" % json.load(open(sys.argv[1]))["accuracy"])' "$T/iris.json")
expect 0 $D report "$T/iris.st" data/iris.csv
grep_in "$T/out" "^accuracy $acc "

# the HTML page: the text and the figures inline, well-formed
svgs() {
    $PY - "$1" <<'EOF'
import re, sys, xml.dom.minidom
h = open(sys.argv[1]).read()
figs = re.findall(r"<svg.*?</svg>", h, re.S)
for f in figs:
    xml.dom.minidom.parseString(f)
ids = re.findall(r'<(?:path|g) id="(roc|pr|calibration|confusion|residuals|predicted)"', h)
print(len(figs), " ".join(sorted(set(ids))), "<pre>" in h and "confusion matrix" in h)
EOF
}
expect 0 $D report "$T/ties.st" "$T/ties.csv" --html "$T/ties.html"
grep_in "$T/out" "html: $T/ties.html"
[ "$(svgs "$T/ties.html")" = "4 calibration confusion pr roc True" ] && ok || bad "binary html: $(svgs "$T/ties.html")"
expect 0 $D report "$T/iris.st" data/iris.csv --html "$T/iris.html" --bins 5
[ "$(svgs "$T/iris.html")" = "2 calibration confusion True" ] && ok || bad "multiclass html: $(svgs "$T/iris.html")"
grep_in "$T/iris.html" "over 5 equal-width bins"
expect 0 $D report "$T/house.st" data/house.csv --html "$T/house.html"
[ "$(svgs "$T/house.html")" = "2 predicted residuals False" ] && ok || bad "regression html: $(svgs "$T/house.html")"
grep_in "$T/house.html" "RMSE"

# refusals: a message naming what and what to do, nothing written
mkdir "$T/w"
refused 2 "--bins sets the calibration bins of a classification report, but $T/house.st is a regression model" \
    $D report "$T/house.st" data/house.csv --bins 10 --html "$T/w/h.html"
refused 2 "--bins '0': expected a whole number from 1 to 1000" $D report "$T/iris.st" data/iris.csv --bins 0
refused 2 "--bins 'ten'" $D report "$T/iris.st" data/iris.csv --bins ten
refused 1 "sepal_length" $D report "$T/iris.st" data/house.csv --html "$T/w/x.html"
refused 1 "column 'rooms' is missing" $D report "$T/house.st" "$T/ties.csv" --html "$T/w/x.html"
cut -d, -f1-4 data/iris.csv > "$T/notarget.csv"
refused 1 "target" $D report "$T/iris.st" "$T/notarget.csv" --html "$T/w/x.html"
refused 1 "$T/w/missing/r.html" $D report "$T/iris.st" data/iris.csv --html "$T/w/missing/r.html"
refused 2 "is the DATA itself" $D report "$T/iris.st" "$T/w/../ties.csv" --html "$T/ties.csv"
refused 2 "needs MODEL and DATA" $D report "$T/iris.st"
chmod a-w "$T/w"
if [ "$(id -u)" != 0 ]; then
    refused 1 "$T/w/r.html" $D report "$T/iris.st" data/iris.csv --html "$T/w/r.html"
fi
chmod u+w "$T/w"
expect 0 $D report --help
grep_in "$T/out" "usage: descent report MODEL DATA"

finish test_report
