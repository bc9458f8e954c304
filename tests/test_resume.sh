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

runs=${RESUME_RUNS:-6}
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
    /usr/bin/python3 - "$T/run/ck" "$T/run/old.ck" <<'EOF'
import struct, sys, zlib
b = bytearray(open(sys.argv[1], "rb").read())
nf = struct.unpack_from("<I", b, 24)[0]
at = 28 + 8 * (nf - 1)                      # note_len, the last field
n = struct.unpack_from("<q", b, at)[0]
note = "\x1f".join(["iris.csv", "--epochs", "3", "-q", "-o", "old.st"]).encode()
b = b[:len(b) - n] + note
struct.pack_into("<q", b, at, len(note))
struct.pack_into("<Q", b, 16, len(b) - 24)
struct.pack_into("<I", b, 12, zlib.crc32(bytes(b[24:])) & 0xffffffff)
open(sys.argv[2], "wb").write(b)
EOF
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
