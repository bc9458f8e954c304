#!/bin/sh
# Watching training from the command line: `descent plot` and `descent
# landscape` write SVGs that are well-formed XML (parsed by Python's
# xml.dom.minidom, independent of the C that wrote them) with the
# expected series and point counts; landscape --csv paths agree with the
# SVG; `descent summary` shows PReLU slopes and the parameter counts;
# errors exit 1 or 2 and name the problem.
. tests/lib.sh
PY=/usr/bin/python3
# svg_series FILE ELEMENT-ID...: prints "id:points" for each, after
# checking that the file parses as XML ("-1" when the id is missing).
svg_series() {
    f=$1; shift
    $PY - "$f" "$@" <<'EOF'
import sys, re, xml.dom.minidom
doc = xml.dom.minidom.parse(sys.argv[1])
assert doc.documentElement.tagName == "svg"
els = {}
for tag in ("path", "polyline"):
    for e in doc.getElementsByTagName(tag):
        if e.getAttribute("id"):
            els[e.getAttribute("id")] = e
for i in sys.argv[2:]:
    e = els.get(i)
    if e is None:
        print("%s:-1" % i)
    elif e.tagName == "path":
        print("%s:%d" % (i, len(re.findall("[ML]", e.getAttribute("d")))))
    else:
        print("%s:%d" % (i, len(e.getAttribute("points").split())))
EOF
}

if [ ! -x "$PY" ]; then
    echo "FAIL: $PY missing (CI installs python3)"; echo "test_monitor: 0 passed, 1 failed"; exit 1
fi

# -- plot: a history written by hand (7 epochs, no validation in epoch 2)
cat > "$T/hist.csv" <<'EOF'
epoch,step,train_loss,val_loss,train_accuracy,val_accuracy,learning_rate,grad_norm,seconds
1,10,1.2,1.3,0.4,0.35,0.01,2.5,0.1
2,20,0.9,,0.55,,0.01,2.1,0.1
3,30,0.7,0.8,0.65,0.6,0.01,1.8,0.1
4,40,0.55,0.7,0.72,0.68,0.005,1.5,0.1
5,50,0.45,0.65,0.78,0.7,0.005,1.2,0.1
6,60,0.4,0.66,0.8,0.71,0.0025,1.1,0.1
7,70,0.38,0.68,0.81,0.7,0.0025,1.0,0.1
EOF
expect 0 $D plot "$T/hist.csv"
grep_in "$T/out" "hist.svg (7 epochs)"
[ -s "$T/hist.svg" ] && ok || bad "plot did not write hist.svg next to hist.csv"
got=$(svg_series "$T/hist.svg" train_loss val_loss train_accuracy val_accuracy learning_rate | tr '\n' ' ')
[ "$got" = "train_loss:7 val_loss:6 train_accuracy:7 val_accuracy:6 learning_rate:7 " ] \
    && ok || bad "plot series: $got"
grep_in "$T/hist.svg" ">best: epoch 5<"
expect 0 $D plot "$T/hist.csv" -o "$T/log.svg" --log --title "digits & co"
svg_series "$T/log.svg" train_loss > /dev/null 2>&1 && ok || bad "log.svg is not well-formed XML"
grep_in "$T/log.svg" "digits &amp; co"
grep_in "$T/log.svg" "Learning rate (log scale)"

# A regression history has MAE in its metric panel.
sed -e 's/train_accuracy,val_accuracy/train_mae,val_mae/' "$T/hist.csv" > "$T/reg.csv"
expect 0 $D plot "$T/reg.csv" -o "$T/reg.svg"
got=$(svg_series "$T/reg.svg" train_mae val_mae train_accuracy | tr '\n' ' ')
[ "$got" = "train_mae:7 val_mae:6 train_accuracy:-1 " ] && ok || bad "mae series: $got"

# Errors: usage 2, data 1, each naming the problem; nothing written.
expect 2 $D plot
grep_in "$T/err" "needs a HISTORY.csv"
expect 2 $D plot "$T/hist.csv" --bogus
expect 1 $D plot "$T/missing.csv" -o "$T/never.svg"
grep_in "$T/err" "missing.csv"
printf 'epoch,step,train_loss,val_loss,train_a,val_a,learning_rate,grad_norm,seconds\n1,1,x,,,,0.1,1,1\n' > "$T/bad.csv"
expect 1 $D plot "$T/bad.csv" -o "$T/never.svg"
grep_in "$T/err" "bad.csv:2: column 'train_loss'"
[ ! -e "$T/never.svg" ] && ok || bad "an SVG was written despite the error"
# A hostile history: its escape sequences and bells reach the terminal
# quoted (\x1B, \x07), never raw, and no SVG is written.
printf 'epoch,step,train_loss,val_loss,train_\033[31mx,val_\033[31mx,learning_rate,grad_norm,seconds\n1,1,1,,,,0.1,1,1\n' > "$T/esc.csv"
expect 1 $D plot "$T/esc.csv" -o "$T/never.svg"
grep_in "$T/err" 'train_\\x1B\[31mx'
printf 'epoch,step,train_loss,val_loss,train_a,val_a,learning_rate,grad_norm,seconds\n1,1,\033]0;title\007,,,,0.1,1,1\n' > "$T/bel.csv"
expect 1 $D plot "$T/bel.csv" -o "$T/never.svg"
grep_in "$T/err" "'\\\\x1B]0;title\\\\x07' is not a number"
! LC_ALL=C grep -q "$(printf '[\033\007]')" "$T/err" && ok || bad "raw control bytes in: $(cat -v "$T/err")"
[ ! -e "$T/never.svg" ] && ok || bad "an SVG was written from a hostile history"
expect 1 $D plot "$T/hist.csv" -o "$T/no/such/dir/x.svg"
grep_in "$T/err" "no/such/dir/x.svg"
expect 0 $D plot --help
grep_in "$T/out" "usage: descent plot"

# -- landscape: every function, paths in the SVG and in --csv agree
for fn in parabola bowl rosenbrock beale saddle; do
    expect 0 $D landscape --fn $fn --opt sgd,adam --steps 30 -o "$T/$fn.svg"
    got=$(svg_series "$T/$fn.svg" path1 path2 path3 | tr '\n' ' ')
    [ "$got" = "path1:31 path2:31 path3:-1 " ] && ok || bad "$fn paths: $got"
    grep_in "$T/$fn.svg" ">30 steps, f = "
    expect 0 $D landscape --fn $fn --opt sgd,adam --steps 30 --csv -o "$T/$fn-2.svg"
    rows=$(tail -n +2 "$T/out" | wc -l)
    [ "$rows" -eq 62 ] && ok || bad "$fn --csv printed $rows rows, want 62"
done
# The --csv path starts at --start and follows w <- w - 0.1 * 2 (w - 3):
# w1 = 0.6, w2 = 1.08 (the notes' example).
expect 0 $D landscape --fn parabola --opt sgd --lr 0.1 --start 0 --steps 2 --csv -o "$T/p.svg"
got=$(tail -n +2 "$T/out" | cut -d, -f1-3 | tr '\n' ' ')
[ "$got" = "sgd,0,0 sgd,1,0.600000024 sgd,2,1.08000004 " ] && ok || bad "parabola steps: $got"
grep_in "$T/p.svg" ">w2</text>"
expect 0 $D landscape --fn rosenbrock --opt sgd,momentum,rmsprop,adam --start -1.5,2 --steps 200 --lr sgd=0.0005,momentum=0.0005,rmsprop=0.01,adam=0.05 -o "$T/r.svg"
grep_in "$T/out" "adam (lr 0.05)"
got=$(svg_series "$T/r.svg" path1 path2 path3 path4 | tr '\n' ' ')
[ "$got" = "path1:201 path2:201 path3:201 path4:201 " ] && ok || bad "rosenbrock paths: $got"
# rsvg-convert, if present, renders it (what docs/ pictures are made with).
if command -v rsvg-convert > /dev/null; then
    rsvg-convert "$T/r.svg" -o "$T/r.png" 2> "$T/err" && [ -s "$T/r.png" ] && ok || bad "rsvg-convert failed"
fi

expect 2 $D landscape --fn himmelblau
grep_in "$T/err" "unknown function 'himmelblau'"
expect 2 $D landscape --fn rosenbrock --start 1
grep_in "$T/err" "two numbers"
expect 2 $D landscape --opt sgd --lr adam=0.1
grep_in "$T/err" "not in --opt"
expect 2 $D landscape --opt sgd,warp
expect 0 $D landscape --help
grep_in "$T/out" "usage: descent landscape"

# -- summary: PReLU slopes, counts, memory
awk 'BEGIN { print "a,b,y"; srand(3); for (i = 0; i < 40; i++) print rand() "," rand() "," rand() }' > "$T/r.csv"
expect 0 $D train "$T/r.csv" --layers 8:prelu --epochs 0 --val 0 -o "$T/p.st"
expect 0 $D summary "$T/p.st"
grep_in "$T/out" "^dense_1  *prelu  *(None, 8)  *16  *8  *8  *32   0.weight 0.bias 1.weight$"
grep_in "$T/out" "^dense_2  *identity  *(None, 1)  *8  *1  *0  *9 "
grep_in "$T/out" "Total params: 41 (164 bytes, float32)"
grep_in "$T/out" "Trainable params: 41"
grep_in "$T/out" "plus 6 fixed scaling statistics"
grep_in "$T/out" "^Memory: 164 bytes of parameters"

# -- descent train: --history, --plot, --tensorboard, plain progress, --dry-run
expect 0 $D train data/iris.csv --epochs 6 --patience 0 --history "$T/h.csv" --plot "$T/c.svg" --tensorboard "$T/tb" -o "$T/i.st"
[ "$(grep -c '^epoch' "$T/out")" -eq 6 ] && ok || bad "$(grep -c '^epoch' "$T/out") epoch lines, want 6"
# Piped, the progress has no control characters but the newlines.
n=$(LC_ALL=C tr -cd '\000-\011\013-\037\177' < "$T/out" | wc -c)
[ "$n" -eq 0 ] && ok || bad "$n control characters in piped output"
[ "$(wc -l < "$T/h.csv")" -eq 7 ] && ok || bad "history has $(wc -l < "$T/h.csv") lines, want 7"
grep_in "$T/h.csv" "^epoch,step,train_loss,val_loss,train_accuracy,val_accuracy,learning_rate,grad_norm,seconds,mu,evals$"
# Adam has no mu and no evaluation count: both cells empty in every row.
awk -F, 'NR > 1 && ($10 != "" || $11 != "") { n++ } END { exit n > 0 }' "$T/h.csv" \
    && ok || bad "a mini-batch history has mu or evals: $(sed -n 2p "$T/h.csv")"
got=$(svg_series "$T/c.svg" train_loss val_loss train_accuracy val_accuracy learning_rate | tr '\n' ' ')
[ "$got" = "train_loss:6 val_loss:6 train_accuracy:6 val_accuracy:6 learning_rate:6 " ] && ok || bad "train --plot series: $got"
[ "$(ls "$T/tb/train" | grep -c '^events.out.tfevents\.')" -eq 1 ] && \
[ "$(ls "$T/tb/validation" | grep -c '^events.out.tfevents\.')" -eq 1 ] && ok || bad "tensorboard files: $(ls -R "$T/tb")"
grep_in "$T/out" "tensorboard --logdir $T/tb"
expect 0 $D train data/house.csv --target price --epochs 3 --history "$T/hr.csv" -o "$T/h.st"
awk -F, 'NR == 1 && $5 == "train_mae" { h = 1 } NR > 1 && $5 != "" && $6 != "" { n++ } END { exit !(h && n == 3) }' "$T/hr.csv" \
    && ok || bad "regression history lacks MAE: $(head -2 "$T/hr.csv")"
# Levenberg-Marquardt: mu (as the progress line shows it) and a growing
# evaluation count in every row; L-BFGS: evals without mu.
expect 0 $D train data/house.csv --target price --opt lm --layers 4:tanh --epochs 5 --history "$T/lm.csv" -o "$T/lm.st"
awk -F, 'NR == 1 && $10 == "mu" && $11 == "evals" { h = 1 }
         NR > 1 && $10 > 0 && $11 > e { n++; e = $11 } END { exit !(h && n == 5) }' "$T/lm.csv" \
    && ok || bad "LM history lacks mu or evals: $(head -3 "$T/lm.csv")"
mu=$(grep '^iter' "$T/out" | tail -n 1 | sed 's/.*  mu \([^ ]*\).*/\1/')
last=$(tail -n 1 "$T/lm.csv" | cut -d, -f10)
awk -v a="$mu" -v b="$last" 'BEGIN { exit !(a == b + 0 || (a - b) ^ 2 < (b / 100) ^ 2) }' \
    && ok || bad "the last mu: progress says '$mu', history '$last'"
expect 0 $D plot "$T/lm.csv" -o "$T/lm.svg"
expect 0 $D train data/house.csv --target price --opt lbfgs --layers 4:tanh --epochs 3 --history "$T/lb.csv" -o "$T/lb.st"
awk -F, 'NR > 1 && $10 == "" && $11 > 0 { n++ } END { exit !(n == 3) }' "$T/lb.csv" \
    && ok || bad "L-BFGS history: $(head -3 "$T/lb.csv")"
expect 0 $D train data/iris.csv --dry-run -o "$T/never.st"
grep_in "$T/out" "Total params: 9,091"
[ ! -e "$T/never.st" ] && ok || bad "--dry-run wrote a model"
expect 1 $D train data/iris.csv --history "$T/no/dir/h.csv" -o "$T/never.st"
grep_in "$T/err" "no/dir/h.csv"
finish test_monitor
