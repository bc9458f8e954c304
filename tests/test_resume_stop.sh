#!/bin/sh
# A run that has ended, resumed from its last checkpoint (as after a
# kill -9 between that checkpoint and the model's write), must not train
# on: it writes the same model, history, curves and TensorBoard files as
# the uninterrupted run, byte for byte.  Every stop reason, with and
# without --restore-best, for every first-order optimizer and every
# full-batch solver; and a numeric stop keeps finite weights from before
# the failure in every file it saves.
. tests/lib.sh

# run NAME ARGS...: trains with a checkpoint every epoch and every log,
# keeps a copy of what it wrote, deletes the model, resumes, compares.
# The stop reason printed must contain $want.
run() {
    name=$1; shift
    dir="$T/$name"
    mkdir -p "$dir"
    $D train "$@" --checkpoint "$dir/ck" --checkpoint-every 1 \
        --history "$dir/h.csv" --plot "$dir/p.svg" --tensorboard "$dir/tb" \
        -o "$dir/m.st" > "$dir/out1" 2> "$dir/err1"
    rc1=$?
    if ! grep -q "$want" "$dir/out1" "$dir/err1"; then
        bad "$name: the run did not stop by '$want': $(tail -n 2 "$dir/out1" "$dir/err1")"
        return
    fi
    mkdir -p "$dir/ref"
    # (no curves when the run stopped within its first epoch)
    for f in m.st h.csv p.svg tb; do [ -e "$dir/$f" ] && cp -r "$dir/$f" "$dir/ref/"; done
    rm "$dir/m.st"
    $D train --resume "$dir/ck" > "$dir/out2" 2> "$dir/err2"
    rc2=$?
    [ $rc1 -eq $rc2 ] && ok || bad "$name: exit $rc1, resumed $rc2: $(cat "$dir/err2")"
    grep -q "without training" "$dir/out2" && ok ||
        bad "$name: no word of the finished run: $(head -n 3 "$dir/out2")"
    for f in m.st h.csv p.svg; do
        [ -e "$dir/ref/$f" ] || [ $f = p.svg ] || bad "$name: no $f written"
        [ -e "$dir/ref/$f" ] || [ ! -e "$dir/$f" ] || bad "$name: $f appeared after the resume"
        [ -e "$dir/ref/$f" ] || continue
        cmp -s "$dir/ref/$f" "$dir/$f" && ok || bad "$name: $f differs after the resume"
    done
    diff -r "$dir/ref/tb" "$dir/tb" > /dev/null && ok ||
        bad "$name: the TensorBoard files changed: $(ls -R "$dir/tb" | head -n 8)"
}

d=data/iris.csv
for opt in sgd momentum nesterov adagrad rmsprop adam adamw; do
    want="early stopping"
    run "early-$opt" $d --opt $opt --lr 0.05 --epochs 300 --patience 2 --seed 4 --layers 16
    run "early-last-$opt" $d --opt $opt --lr 0.05 --epochs 300 --patience 2 --seed 4 --layers 16 --no-restore-best
done
want="converged"
run converged-adam $d --opt adam --epochs 300 --tol 0.05 --tol-epochs 2 --val 0 --layers 8
want="epochs"
run budget-sgd $d --opt sgd --epochs 7 --layers 8
run budget-best-sgd $d --opt sgd --epochs 7 --layers 8 --patience 50

# The full-batch solvers: their own rules, and early stopping.
h=data/house.csv
want="epoch limit"
for o in lbfgs cg lm newton; do
    run "budget-$o" $h --opt $o --layers 6:tanh --epochs 12 --val 0
done
want="gradient norm below gtol"
run gtol-lbfgs $h --opt lbfgs --layers none --epochs 500 --val 0 --gtol 1e-3
want="relative loss change below"
run ftol-lm $h --opt lm --layers 4:tanh --epochs 500 --val 0 --ftol 1e-4
run ftol-cg $h --opt cg --layers 4:tanh --epochs 500 --val 0 --ftol 1e-5
want="evaluation limit"
run evals-newton $h --opt newton --layers 3:tanh --epochs 500 --val 0 --max-evals 20
want="early stopping"
run early-lbfgs $h --opt lbfgs --layers 16:tanh --epochs 500 --patience 3
run early-last-lbfgs $h --opt lbfgs --layers 16:tanh --epochs 500 --patience 3 --no-restore-best
want="converged (loss change below tol)"
run tol-lm $h --opt lm --layers 4:tanh --epochs 500 --val 0 --tol 1e-3 --tol-epochs 2 --ftol 0

# Ctrl-C under a solver writes the checkpoint it announces, and the
# resumed run ends where the uninterrupted one does.
for o in lbfgs lm; do
    # (gtol and ftol off: the run goes on until the interrupt)
    a="data/digits.csv --opt $o --layers 12:tanh --epochs 60 --val 0 --task regression --target -1 --gtol 0 --ftol 0"
    # (about a second each: long enough for the signal to land mid-run)
    [ $o = lbfgs ] && a="data/digits.csv --opt lbfgs --layers 128,128 --epochs 1000 --val 0 --gtol 0 --ftol 0"
    $D train $a -q -o "$T/si-ref.st" || bad "$o: reference run"
    rm -f "$T/si.st" "$T/si.st.ckpt" "$T/out"   # (the last run's out has iter lines)
    $D train $a -o "$T/si.st" > "$T/out" 2> "$T/err" &
    pid=$!
    w=0
    # (up to a minute: under the sanitizers the first iteration is slow,
    # and a signal before it would find no handler yet)
    while ! grep -q '^iter' "$T/out" 2>/dev/null && [ $w -lt 3000 ]; do sleep 0.02; w=$((w + 1)); done
    kill -INT $pid
    wait $pid; rc=$?
    [ $rc -eq 3 ] && [ -f "$T/si.st.ckpt" ] && ok || bad "$o: SIGINT: exit $rc, checkpoint: $(ls "$T")"
    $D train --resume "$T/si.st.ckpt" > /dev/null 2> "$T/err" && cmp -s "$T/si-ref.st" "$T/si.st" && ok ||
        bad "$o: interrupted and resumed, the model differs: $(cat "$T/err")"
done

# Numeric stops: an SGD rate warmed up until the updates overflow.  With
# early stopping the best epoch is kept; without, the weights from before
# the step, or the last finite copy when the update itself overflowed.
want="NaN or infinite"
run nan-best data/house.csv --opt sgd --lr 4 --warmup 10 --epochs 30 --layers 16
run nan-last data/house.csv --opt sgd --lr 2 --warmup 10 --epochs 30 --layers 16 --val 0
run nan-adam data/house.csv --opt adam --lr 1e6 --epochs 5
for n in nan-best nan-last nan-adam; do
    grep -q "were kept" "$T/$n/err1" && ok || bad "$n: the message does not say which weights were kept"
    # descent's loader refuses non-finite weights: eval and a resume of the
    # checkpoint both read what was saved.
    $D eval "$T/$n/m.st" data/house.csv > /dev/null 2> "$T/err" && ok ||
        bad "$n: the saved model is not finite: $(cat "$T/err")"
    # (the health warnings were the first run's news, not the resume's)
    [ "$(grep -v 'warning: epoch' "$T/$n/err1")" = "$(grep -v 'warning: epoch' "$T/$n/err2")" ] &&
        ok || bad "$n: the resume's message differs"
done
grep -q "best epoch's weights (epoch" "$T/nan-best/err1" && ok ||
    bad "nan-best: the best epoch was not kept: $(cat "$T/nan-best/err1")"
grep -q "starting weights\|end of epoch" "$T/nan-adam/err1" && ok ||
    bad "nan-adam: an overflowing Adam update kept: $(cat "$T/nan-adam/err1")"

finish test_resume_stop
