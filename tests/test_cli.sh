#!/bin/sh
# End to end through the `descent` command: train -> summary -> eval ->
# predict on the bundled data, exit codes, error messages, and the model
# file read back by an independent loader (Python with json and struct).
. tests/lib.sh

# -- classification: train with a validation split, then use the model
# (a 16-unit network: valgrind runs this file, and the policy trains 7
# models; the default network is checked by --dry-run in test_monitor)
expect 0 $D train data/iris.csv --layers 16 -o "$T/iris.st"
grep_in "$T/out" "multiclass"
# 150 rows: the small-table policy (cli/train_auto.c) says what it chose
grep_in "$T/out" "policy: 150 rows, too few to hold a fifth out: 3-fold cross-validation chose L2 lambda"
grep_in "$T/out" "(mean validation loss on the first 2 folds: [0-9.e-]* for lambda 0.001, [0-9.e-]* for lambda 0.01, [0-9.e-]* for lambda 0.1; lambda [0-9.e-]* alone on the other fold"
# the race's winner is the lambda of the lowest mean loss on folds 1-2,
# and it alone ran on the third fold
won=$(sed -n 's/.*first 2 folds: \([0-9.e-]*\) for lambda 0.001, \([0-9.e-]*\) for lambda 0.01, \([0-9.e-]*\) for lambda 0.1;.*/\1 0.001 \2 0.01 \3 0.1/p' "$T/out" |
    awk '{ w = $2; b = $1; if ($3 < b) { b = $3; w = $4 } if ($5 < b) w = $6; print w }')
chose=$(sed -n 's/.*chose L2 lambda \([0-9.e-]*\) and.*alone on the other fold.*/\1/p' "$T/out")
alone=$(sed -n 's/.*; lambda \([0-9.e-]*\) alone on the other fold.*/\1/p' "$T/out")
[ -n "$won" ] && [ "$won" = "$chose" ] && [ "$chose" = "$alone" ] && ok ||
    bad "the race's lowest loss is lambda '$won', the policy chose '$chose' and ran '$alone' on the third fold"
grep_in "$T/out" "split: all 150 rows train, no validation (the policy above)"
ep=$(sed -n 's/.*lambda [0-9.e-]* and \([0-9]*\) epochs.*/\1/p' "$T/out")
# its refit on 150 rows spaces the health checks' model pass out: the
# least k with k x 150 >= 16 x the 150-row sample (16), but at most a
# tenth of the epochs, and at least the least k with k x 150 >= 4 x 150
every=$(awk -v e="$ep" 'BEGIN { k = int(e / 10); if (k > 16) k = 16; if (k < 4) k = 4; print k }')
case $every in
    16) bound="at most a sixteenth more work" ;;
    4) bound="at most a quarter more work" ;;
    *) bound="ten checks in the $ep epochs" ;;
esac
grep_in "$T/out" "health: dead, saturated and exploding checks every $every epochs (each is a gradient over a 150-row sample, and an epoch trains on 150 rows: $bound), the loss checks every epoch"
last=$(grep '^epoch' "$T/out" | tail -n 1 | sed 's|^epoch *\([0-9]*\)/.*|\1|')
[ -n "$ep" ] && [ "$ep" = "$last" ] && ok || bad "the policy chose '$ep' epochs, the run ended at '$last'"
# the same command chooses the same (the folds and the models are seeded;
# a small network, which the policy serves alike: valgrind runs this too)
expect 0 $D train data/iris.csv --layers 8 -o "$T/iris2.st"
cp "$T/out" "$T/out1"
expect 0 $D train data/iris.csv --layers 8 -o "$T/iris3.st"
grep -q '^policy: 150 rows' "$T/out" && [ "$(grep '^policy' "$T/out")" = "$(grep '^policy' "$T/out1")" ] &&
    cmp -s "$T/iris2.st" "$T/iris3.st" &&
    ok || bad "the policy is not reproducible: $(grep '^policy' "$T/out" "$T/out1")"
# ... and the same on one thread: the folds' sums run in job order
expect 0 $D train data/iris.csv --layers 8 --threads 1 -o "$T/iris1t.st"
[ "$(grep '^policy' "$T/out")" = "$(grep '^policy' "$T/out1")" ] && cmp -s "$T/iris2.st" "$T/iris1t.st" &&
    ok || bad "the policy differs on one thread: $(grep '^policy' "$T/out" "$T/out1")"
# an option it owns turns it off: --val holds out as asked
expect 0 $D train data/iris.csv --val 0.2 --epochs 5 -o "$T/iris4.st"
grep_in "$T/out" "120 training rows, 30 validation rows"
grep -q '^policy' "$T/out" && bad "--val given, and the policy ran" || ok
grep -q '^health:' "$T/out" && bad "--val given, and the health checks spaced out" || ok
# a table above 1000 rows keeps the held-out fifth
expect 0 $D train data/digits.csv --dry-run -o "$T/never.st"
grep -q '^policy' "$T/out" && bad "the policy ran on 1797 rows" || ok

expect 0 $D summary "$T/iris.st"
grep_in "$T/out" "Total params: 131"
grep_in "$T/out" "setosa versicolor virginica"

expect 0 $D eval "$T/iris.st" data/iris.csv --json
acc=$(sed -n 's/.*"accuracy":\([0-9.e-]*\).*/\1/p' "$T/out")
n=$(sed -n 's/.*"n":\([0-9]*\).*/\1/p' "$T/out")
[ "$n" = 150 ] && ok || bad "eval --json n = '$n'"
num_ge "$acc" 0.9 "iris accuracy from eval --json"

expect 0 $D predict "$T/iris.st" data/iris.csv -o "$T/pred.csv"
[ "$(wc -l < "$T/pred.csv")" -eq 151 ] && ok || bad "predict wrote $(wc -l < "$T/pred.csv") lines"
grep_in "$T/pred.csv" "^class,p_setosa,p_versicolor,p_virginica$"
# Predicted classes agree with the labels as often as eval says.
right=$(paste -d, "$T/pred.csv" data/iris.csv | awk -F, 'NR > 1 && $1 == $NF { c++ } END { print c + 0 }')
want=$(awk -v a="$acc" 'BEGIN { printf "%d", a * 150 + 0.5 }')
[ "$right" -eq "$want" ] && ok || bad "predict agrees on $right rows, eval says $want"

# -- the 784-16-16-10 network of the notes has 13,002 parameters
awk 'BEGIN { printf "x0"; for (i = 1; i < 784; i++) printf ",x%d", i; print ",y";
             srand(1); for (r = 0; r < 30; r++) { for (i = 0; i < 784; i++) printf "%d,", int(rand() * 256); print r % 10 } }' > "$T/wide.csv"
expect 0 $D train "$T/wide.csv" --layers 16,16 --epochs 0 --val 0 -o "$T/wide.st"
expect 0 $D summary "$T/wide.st"
grep_in "$T/out" "Total params: 13,002"

# -- regression, with a text feature one-hot encoded
expect 0 $D train data/house.csv --target price -o "$T/house.st" --epochs 40
grep_in "$T/out" "regression"
expect 0 $D eval "$T/house.st" data/house.csv --json
r2=$(sed -n 's/.*"r2":\([0-9.e-]*\).*/\1/p' "$T/out")
num_ge "$r2" 0.95 "house R²"
expect 0 $D predict "$T/house.st" data/house.csv
grep_in "$T/out" "^price$"

# -- binary: a two-class target becomes one sigmoid unit
awk -F, 'NR == 1 || $NF != "virginica"' data/iris.csv > "$T/two.csv"
expect 0 $D train "$T/two.csv" -o "$T/two.st" --epochs 20
grep_in "$T/out" "binary"
expect 0 $D eval "$T/two.st" "$T/two.csv" --json
acc=$(sed -n 's/.*"accuracy":\([0-9.e-]*\).*/\1/p' "$T/out")
num_ge "$acc" 0.99 "two-class iris accuracy"

# -- IDX data takes --task as a CSV does: regression on the label values
# (each image's pixels show its label, so the fit is all but exact),
# multiclass for two labels, and binary refused for five
idx_images "$T/img.idx" 40 2 2 5
idx_labels "$T/lab5.idx" 40 5
idx_labels "$T/lab2.idx" 40 2
expect 0 $D train "$T/img.idx" --labels "$T/lab5.idx" --task regression --layers 8 \
    --epochs 200 --val 0 --lr 0.01 -o "$T/idxr.st"
grep_in "$T/out" "labels 0..4: regression on the label values"
expect 0 $D summary "$T/idxr.st"
grep_in "$T/out" "Task: regression (target 'label')"
expect 0 $D eval "$T/idxr.st" "$T/img.idx" --labels "$T/lab5.idx" --json
r2=$(sed -n 's/.*"r2":\([0-9.e-]*\).*/\1/p' "$T/out")
num_ge "$r2" 0.99 "R² of a regression on IDX labels"
expect 0 $D predict "$T/idxr.st" "$T/img.idx"
got=$(sed -n 6p "$T/out")   # the fifth image, label 4
awk -v y="$got" 'BEGIN { exit !(y > 3.9 && y < 4.1) }' && ok || bad "IDX regression predicts '$got' for label 4"
expect 0 $D train "$T/img.idx" --labels "$T/lab2.idx" --task multiclass --epochs 1 -o "$T/idxm.st"
grep_in "$T/out" "-> 2 softmax"
expect 1 $D train "$T/img.idx" --labels "$T/lab5.idx" --task binary -o "$T/never.st"
grep_in "$T/err" "--task binary: $T/lab5.idx: binary classification needs 2 classes but the target has 5"
[ ! -e "$T/never.st" ] && ok || bad "a model was written despite the refused --task"

# -- warm start continues from saved weights
expect 0 $D train data/iris.csv --warm-start "$T/iris.st" --epochs 5 -o "$T/iris2.st"
grep_in "$T/out" "weights and scaling from"

# -- the model file read by an independent loader gives the same outputs
if [ -x /usr/bin/python3 ] && [ -f tests/load_model.py ]; then
    cut -d, -f1-4 data/iris.csv > "$T/x.csv"
    /usr/bin/python3 tests/load_model.py "$T/iris.st" "$T/x.csv" > "$T/py.csv" 2> "$T/err"
    $D predict "$T/iris.st" data/iris.csv | tail -n +2 | cut -d, -f2- > "$T/c.csv"
    diff_max=$(paste -d, "$T/py.csv" "$T/c.csv" | awk -F, '{ for (i = 1; i <= 3; i++) { d = $i - $(i + 3); if (d < 0) d = -d; if (d > m) m = d } } END { printf "%g", m + 0 }')
    lines=$(wc -l < "$T/py.csv")
    [ "$lines" -eq 150 ] && ok || bad "python loader printed $lines lines"
    awk -v d="$diff_max" 'BEGIN { exit !(d <= 1e-5) }' && ok || bad "python loader differs by $diff_max"
else
    bad "/usr/bin/python3 or tests/load_model.py missing (CI installs python3)"
fi

# -- full-batch solvers from the command line
expect 0 $D train data/house.csv --opt lbfgs --layers 16:tanh -o "$T/lb.st"
grep_in "$T/out" "^iter"
grep_in "$T/out" "lbfgs (m 10"
expect 0 $D eval "$T/lb.st" data/house.csv --json
r2=$(sed -n 's/.*"r2":\([0-9.e-]*\).*/\1/p' "$T/out")
num_ge "$r2" 0.95 "house R² with L-BFGS"
expect 0 $D train data/house.csv --opt lm --layers 8:tanh --epochs 20 -o "$T/lm.st"
grep_in "$T/out" "  mu "
expect 2 $D train data/iris.csv --opt lm -o "$T/x.st"
grep_in "$T/err" "lbfgs"
expect 2 $D train data/digits.csv --opt newton -o "$T/x.st"
grep_in "$T/err" "impractical"
expect 2 $D train data/house.csv --opt cg --lr 0.1
grep_in "$T/err" "lr is for the mini-batch"

# -- usage errors exit 2 with a message naming the problem
expect 2 $D train
grep_in "$T/err" "no DATA file"
expect 2 $D train data/iris.csv --lr abc
grep_in "$T/err" "lr 'abc'"
expect 2 $D train data/iris.csv --bogus
grep_in "$T/err" "unknown option '--bogus'"
# the words every small command takes alike (cli_args_common): the
# option named as typed, one positional too many, --help
expect 2 $D export "$T/x.st" -o
grep_in "$T/err" "option -o needs a value"
expect 2 $D plot a.csv b.csv
grep_in "$T/err" "unexpected argument 'b.csv'"
expect 2 $D boundary m.st d.csv extra.csv
grep_in "$T/err" "unexpected argument 'extra.csv'"
expect 0 $D summary --help
grep_in "$T/out" "usage: descent summary MODEL"
expect 2 $D train data/iris.csv --loss mse -o "$T/x.st"
grep_in "$T/err" "softmax"
expect 2 $D train data/iris.csv --act softmax
expect 2 $D frobnicate
expect 0 $D train --help
grep_in "$T/out" "examples:"
for c in eval predict summary; do expect 0 $D $c --help; grep_in "$T/out" "usage: descent $c"; done

# -- data errors exit 1, name file, line, column and value, write nothing
printf 'a,b,y\n1,2,0\n3,x,1\n4,5,0\n' > "$T/badcell.csv"
expect 1 $D train "$T/badcell.csv" -o "$T/never.st"
grep_in "$T/err" "badcell.csv:3"
grep_in "$T/err" "'x'"
[ ! -e "$T/never.st" ] && ok || bad "a model was written despite the error"
printf 'a,b,y\n1,2,0\n3,4\n' > "$T/ragged.csv"
expect 1 $D train "$T/ragged.csv"
grep_in "$T/err" "ragged.csv:3"
expect 1 $D train "$T/missing.csv"
grep_in "$T/err" "missing.csv"
head -c 100 "$T/iris.st" > "$T/trunc.st"
expect 1 $D eval "$T/trunc.st" data/iris.csv
grep_in "$T/err" "trunc.st"
expect 1 $D eval "$T/iris.st" data/wine.csv
grep_in "$T/err" "sepal_length"

# Validation images without their labels: the advice names --val-labels,
# not --labels (a usage error, exit 2, as it is for --labels).
idx_images "$T/img4.idx" 4 2 2
idx_labels "$T/lab4.idx" 4
expect 2 $D train "$T/img4.idx" --labels "$T/lab4.idx" --val-data "$T/img4.idx" -o "$T/v.st"
grep_in "$T/err" "img4.idx is an IDX image file; give its labels with --val-labels FILE"
expect 2 $D train data/iris.csv --val-data data/iris.csv --val-labels "$T/lab4.idx" -o "$T/v.st"
grep_in "$T/err" "--val-labels is for IDX image files"

# No memory for the weights (400 million parameters in a 1 GB address
# space) is a runtime error: exit 1 with an out-of-memory message, not
# the usage code 2 and a pointer to --help.  (Not under valgrind or ASan,
# which need the address space: DN_NO_RLIMIT.)
if [ -z "$DN_NO_RLIMIT" ]; then
    (ulimit -v 1000000; exec $D train data/iris.csv --layers 20000,20000 -o "$T/oom.st") > "$T/out" 2> "$T/err"
    rc=$?
    [ $rc -eq 1 ] && ok || bad "out of memory: exit $rc (want 1)"
    grep_in "$T/err" "out of memory for 400180003 parameters (1.6 GB"
    ! grep -q -- "--help" "$T/err" && ok || bad "out of memory points to --help"
    [ ! -e "$T/oom.st" ] && ok || bad "a model was written without memory"
fi

finish test_cli
