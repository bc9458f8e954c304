#!/bin/sh
# Kill -9 at random moments, resume, and compare: the final model of an
# interrupted-and-resumed run must be bit-identical to one never
# interrupted.  Also SIGINT (finish the step, checkpoint, exit 3) and a
# damaged checkpoint refused with a message.
. tests/lib.sh

# Mini-batches of 4, dropout, a cosine schedule and early stopping: every
# piece of state a resume must restore is in play.
args="data/digits.csv --epochs 25 --batch 4 --layers 256,256 --dropout 0.1 \
      --schedule cosine --patience 8 --threads 2 -q --checkpoint-every 37steps"
t0=$(date +%s%N)
$D train $args -o "$T/ref.st" --checkpoint "$T/ref.ckpt" || bad "reference run failed"
# Kill moments are drawn within the reference run's own duration, so the
# test interrupts real work however fast the machine is.
ref_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $ref_ms -lt 50 ] && ref_ms=50

runs=${RESUME_RUNS:-3}
kills=0
i=0
while [ $i -lt $runs ]; do
    i=$((i + 1))
    rm -f "$T/k.st" "$T/k.ckpt"
    $D train $args -o "$T/k.st" --checkpoint "$T/k.ckpt" > /dev/null 2>&1 &
    pid=$!
    # A random moment within the run (the reference takes a few tenths
    # of a second); later attempts resume and may be killed again.
    tries=0
    while :; do
        sleep "$(awk -v s="$i$tries" -v ms=$ref_ms 'BEGIN { srand(s); printf "%.3f", (0.1 + 0.8 * rand()) * ms / 1000 }')"
        if kill -9 $pid 2>/dev/null; then kills=$((kills + 1)); fi
        wait $pid 2>/dev/null
        [ -f "$T/k.st" ] && break
        tries=$((tries + 1))
        if [ ! -f "$T/k.ckpt" ]; then      # killed before the first checkpoint
            $D train $args -o "$T/k.st" --checkpoint "$T/k.ckpt" > /dev/null 2>&1 &
        else
            $D train --resume "$T/k.ckpt" > /dev/null 2>&1 &
        fi
        pid=$!
        [ $tries -gt 50 ] && { bad "run $i never finished"; break; }
    done
    if cmp -s "$T/ref.st" "$T/k.st"; then ok; else bad "run $i: resumed model differs from the uninterrupted one"; fi
done
[ $kills -ge $((runs / 2)) ] && ok || bad "only $kills kills landed in $runs runs: the test did not interrupt anything"
echo "resume: $runs runs, $kills kill -9 interruptions (reference run $ref_ms ms)"

# -- A re-queued batch job: the same command line again and again, killed
# at random moments, until it finishes; the model must be the
# uninterrupted run's.  Once with --resume auto on every attempt (the
# first starts the run), once with the original arguments plus --resume
# FILE after the first attempt.
qargs=$(echo $args | sed 's/--epochs 25/--epochs 10/')
t0=$(date +%s%N)
$D train $qargs -o "$T/qref.st" --checkpoint "$T/qref.ckpt" || bad "re-queue reference run failed"
q_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
requeue() {
    mode=$1
    kills=0; cycle=0
    while [ $kills -lt 8 ] && [ $cycle -lt 60 ]; do
        cycle=$((cycle + 1))
        rm -f "$T/q.st" "$T/q.ckpt"
        tries=0
        while [ ! -f "$T/q.st" ] && [ $tries -lt 60 ]; do
            if [ "$mode" = auto ]; then extra="--resume auto"
            elif [ -f "$T/q.ckpt" ]; then extra="--resume $T/q.ckpt"
            else extra=""; fi
            $D train $qargs -o "$T/q.st" --checkpoint "$T/q.ckpt" $extra > /dev/null 2>&1 &
            pid=$!
            sleep "$(awk -v s="$mode$cycle.$tries" -v ms=$q_ms 'BEGIN { srand(s); printf "%.3f", (0.05 + 0.6 * rand()) * ms / 1000 }')"
            if kill -9 $pid 2>/dev/null; then kills=$((kills + 1)); fi
            wait $pid 2>/dev/null
            tries=$((tries + 1))
        done
        cmp -s "$T/qref.st" "$T/q.st" && ok || bad "re-queued ($mode), cycle $cycle: the model differs from the uninterrupted run's"
    done
    [ $kills -ge 8 ] && ok || bad "re-queued ($mode): only $kills kill -9s landed"
    echo "re-queue with --resume $mode: $kills kill -9s over $cycle runs"
}
requeue auto
requeue file
# The same command once more after it finished: the finished run again.
$D train $qargs -o "$T/q.st" --checkpoint "$T/q.ckpt" --resume auto > "$T/out" 2>&1 &&
    cmp -s "$T/qref.st" "$T/q.st" && ok || bad "re-running a finished job: $(cat "$T/out")"
# --resume auto says which of the two happened.
rm -f "$T/q.st" "$T/q.ckpt"
$D train data/iris.csv --epochs 2 -o "$T/q.st" --checkpoint "$T/q.ckpt" --resume auto > "$T/out" 2>&1
grep -q "no checkpoint at $T/q.ckpt yet: starting the run" "$T/out" && ok || bad "resume auto, fresh: $(head -n 2 "$T/out")"
$D train data/iris.csv --epochs 3 -o "$T/q.st" --checkpoint "$T/q.ckpt" --resume auto > "$T/out" 2>&1
grep -q "resume: $T/q.ckpt: 2 epochs and" "$T/out" && ok || bad "resume auto, existing: $(head -n 2 "$T/out")"
# An argument that disagrees is refused, naming it and both values.
$D train data/iris.csv --epochs 3 --lr 0.5 -o "$T/q.st" --checkpoint "$T/q.ckpt" --resume auto > /dev/null 2> "$T/err"; rc=$?
[ $rc -eq 2 ] && grep -q -- "--lr was 0.001 when this run started and is 0.5 now" "$T/err" && ok ||
    bad "a disagreeing --lr: exit $rc, $(cat "$T/err")"
$D train data/wine.csv --epochs 3 -o "$T/q.st" --checkpoint "$T/q.ckpt" --resume "$T/q.ckpt" > /dev/null 2> "$T/err"; rc=$?
[ $rc -eq 2 ] && grep -q "DATA was .*iris.csv when this run started and is .*wine.csv now" "$T/err" && ok ||
    bad "another DATA: exit $rc, $(cat "$T/err")"
$D train --resume auto data/iris.csv > /dev/null 2> "$T/err"; rc=$?
[ $rc -eq 2 ] && grep -q "needs the run's DATA and --checkpoint" "$T/err" && ok || bad "resume auto without --checkpoint: exit $rc"

# -- A hostile checkpoint: its stored outputs point outside its directory
# (the note rewritten, CRC fixed up).  Refused without --accept-outputs,
# the victim untouched; with it, the paths are printed before training.
mkdir -p "$T/h" "$T/victim"
echo "precious" > "$T/victim/file"
$D train data/iris.csv --epochs 2 -q --checkpoint "$T/h/ck" -o "$T/h/m.st" || bad "hostile: first run"
/usr/bin/python3 tests/ckpt_note.py "$T/h/ck" "$T/h/evil.ck" "-o=$T/victim/file"
$D train --resume "$T/h/evil.ck" --epochs 3 > "$T/out" 2> "$T/err"; rc=$?
[ $rc -eq 2 ] && grep -q "outside its directory" "$T/err" && [ "$(cat "$T/victim/file")" = precious ] && ok ||
    bad "hostile checkpoint: exit $rc, $(cat "$T/err"), victim: $(head -c 20 "$T/victim/file")"
$D train --resume "$T/h/evil.ck" --epochs 3 --accept-outputs > "$T/out" 2> "$T/err"; rc=$?
[ $rc -eq 0 ] && grep -q "writing -o $T/victim/file, outside" "$T/err" && ok ||
    bad "hostile checkpoint accepted: exit $rc, $(cat "$T/out" "$T/err")"

# SIGINT: stop after the step, write checkpoint and model, exit 3.
rm -f "$T/s.st" "$T/s.ckpt"
$D train $(echo $args | sed 's/ -q//') -o "$T/s.st" > "$T/out" 2> "$T/err" &
pid=$!
# Wait for the first epoch to finish, so the signal lands mid-training.
w=0
while ! grep -q '^epoch' "$T/out" 2>/dev/null && [ $w -lt 300 ]; do sleep 0.05; w=$((w + 1)); done
kill -INT $pid
wait $pid; rc=$?
[ $rc -eq 3 ] && ok || bad "SIGINT exit code $rc, want 3"
[ -f "$T/s.st" ] && [ -f "$T/s.st.ckpt" ] && ok || bad "SIGINT left no model or checkpoint"
grep -q "resume $T/s.st.ckpt" "$T/err" && ok || bad "no resume hint: $(cat "$T/err")"

# A damaged checkpoint is refused, naming the problem.
cp "$T/ref.ckpt" "$T/bad.ckpt"
printf 'X' | dd of="$T/bad.ckpt" bs=1 seek=100 conv=notrunc 2>/dev/null
$D train --resume "$T/bad.ckpt" > /dev/null 2> "$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q "CRC" "$T/err" && ok || bad "damaged checkpoint: exit $rc, $(cat "$T/err")"
head -c 50 "$T/ref.ckpt" > "$T/short.ckpt"
$D train --resume "$T/short.ckpt" > /dev/null 2> "$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q "truncated" "$T/err" && ok || bad "truncated checkpoint: exit $rc, $(cat "$T/err")"

# -- resumed from another directory.  The checkpoint keeps its paths
# absolute, so the relative ones typed in $T/run still find the data, and
# the model (saved to the default name), history and checkpoint land
# where the first run put them; the result is that of one 6-epoch run.
case $D in /*) DA=$D ;; *) DA=$PWD/$D ;; esac
mkdir -p "$T/run" "$T/away/deeper"
cp data/iris.csv "$T/run/iris.csv"
(cd "$T/run" && "$DA" train iris.csv --epochs 6 -q -o ref6.st) || bad "6-epoch reference run failed"
(cd "$T/run" && "$DA" train iris.csv --epochs 3 -q --checkpoint ck --history=h.csv) ||
    bad "3-epoch run failed"
rm -f "$T/run/model.safetensors"
(cd "$T/away/deeper" && "$DA" train --resume ../../run/ck --epochs 6) > "$T/out" 2> "$T/err"; rc=$?
[ $rc -eq 0 ] && ok || bad "resume from another directory: exit $rc: $(cat "$T/err")"
[ -f "$T/run/model.safetensors" ] && ok || bad "the resumed model is not in $T/run: $(ls "$T/run")"
cmp -s "$T/run/ref6.st" "$T/run/model.safetensors" && ok ||
    bad "resumed from elsewhere, the model differs from a 6-epoch run"
[ "$(wc -l < "$T/run/h.csv")" -eq 7 ] && ok || bad "history has $(wc -l < "$T/run/h.csv") lines, want 7"
[ -z "$(ls -A "$T/away/deeper")" ] && ok || bad "files left where the resume ran: $(ls -A "$T/away/deeper")"

# A checkpoint written before paths were stored absolute holds the words
# as typed (its note rewritten here, length and CRC fixed): it resumes
# from the directory it was started in, as it always did.
if [ -x /usr/bin/python3 ]; then
    /usr/bin/python3 tests/ckpt_note.py "$T/run/ck" "$T/run/old.ck" iris.csv --epochs 3 -q -o old.st
    # Elsewhere, its relative -o would land outside the checkpoint's
    # directory: refused before anything is read or written.
    (cd "$T/away" && "$DA" train --resume ../run/old.ck --epochs 6) > /dev/null 2> "$T/err"; rc=$?
    [ $rc -eq 2 ] && grep -q "outside its directory" "$T/err" && [ ! -e "$T/away/old.st" ] && ok ||
        bad "an old checkpoint resumed elsewhere: exit $rc, $(cat "$T/err")"
    (cd "$T/run" && "$DA" train --resume old.ck --epochs 6) > /dev/null 2> "$T/err"; rc=$?
    [ $rc -eq 0 ] && cmp -s "$T/run/ref6.st" "$T/run/old.st" && ok ||
        bad "an old checkpoint resumed where it started: exit $rc, $(cat "$T/err")"
else
    bad "/usr/bin/python3 missing (CI installs python3)"
fi

finish test_resume
