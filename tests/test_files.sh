#!/bin/sh
# Nothing lost, nothing overwritten, nothing trusted (issue 21): inputs
# through pipes read once; outputs never an input or another output;
# links, devices and modes respected; every output checked before the
# first epoch; no temporary file left by a signal; stdout errors reported.
. tests/lib.sh
D=$(cd "$(dirname "$D")" && pwd)/$(basename "$D")   # the tests cd into $T
M="$T/m.st"
$D train data/iris.csv --epochs 3 -q -o "$M" || bad "setup: train"
# same_file A B WHAT: the two files hold the same bytes
same_file() { if cmp -s "$1" "$2"; then ok; else bad "$3: the bytes differ"; fi; }

# ---- 1. every input is read once: a pipe, a FIFO, a process
# substitution give what the file gives (house.csv is over 8 KiB: the
# old sniff-then-reopen lost its start)
$D train data/house.csv --epochs 2 -q -o "$T/file.st"
cat data/house.csv | $D train /dev/stdin --epochs 2 -q -o "$T/pipe.st"
same_file "$T/file.st" "$T/pipe.st" "train through a pipe"
mkfifo "$T/fifo"
cat data/house.csv > "$T/fifo" &
# (timeout: opening the FIFO a second time would wait for ever)
timeout 20 $D train "$T/fifo" --epochs 2 -q -o "$T/fifo.st"
kill $! 2> /dev/null; wait
same_file "$T/file.st" "$T/fifo.st" "train through a FIFO"
bash -c "$D train <(cat data/house.csv) --epochs 2 -q -o '$T/subst.st'"
same_file "$T/file.st" "$T/subst.st" "train through <(...)"
$D predict "$M" data/iris.csv > "$T/p.file"
cat data/iris.csv | $D predict "$M" /dev/stdin > "$T/p.pipe"
same_file "$T/p.file" "$T/p.pipe" "predict through a pipe"
bash -c "$D predict '$M' <(cat data/iris.csv) > '$T/p.subst'"
same_file "$T/p.file" "$T/p.subst" "predict through <(...)"
$D eval "$M" data/iris.csv --json > "$T/e.file"
cat data/iris.csv | $D eval "$M" /dev/stdin --json > "$T/e.pipe"
same_file "$T/e.file" "$T/e.pipe" "eval through a pipe"
awk 'NR == 1 || NR % 3' data/iris.csv > "$T/tr.csv"
awk 'NR == 1 || NR % 3 == 0' data/iris.csv > "$T/va.csv"
$D train "$T/tr.csv" --val-data "$T/va.csv" --epochs 2 -q -o "$T/v.file"
cat "$T/va.csv" | $D train "$T/tr.csv" --val-data /dev/stdin --epochs 2 -q -o "$T/v.pipe"
same_file "$T/v.file" "$T/v.pipe" "--val-data through a pipe"
# gzipped IDX images and labels through a pipe and a FIFO
idx_images "$T/img" 20 4 4 2
idx_labels "$T/lab" 20 2
gzip -c "$T/img" > "$T/img.gz"
gzip -c "$T/lab" > "$T/lab.gz"
$D train "$T/img.gz" --labels "$T/lab.gz" --epochs 2 -q -o "$T/i.file"
gzip -c "$T/img" | $D train /dev/stdin --labels "$T/lab.gz" --epochs 2 -q -o "$T/i.pipe"
same_file "$T/i.file" "$T/i.pipe" "gzip IDX through a pipe"
mkfifo "$T/labfifo"
gzip -c "$T/lab" > "$T/labfifo" &
timeout 20 $D train "$T/img.gz" --labels "$T/labfifo" --epochs 2 -q -o "$T/l.fifo"
kill $! 2> /dev/null; wait
same_file "$T/i.file" "$T/l.fifo" "--labels through a FIFO"
# Two inputs that are one pipe or FIFO are refused before anything is
# read (the old code read the pipe once for DATA and found --val-data
# empty, or opened the FIFO again and waited for ever)
mkfifo "$T/twice"
expect 2 timeout 20 $D train "$T/twice" --val-data "$T/twice" -o "$T/twice.st"
grep_in "$T/err" "DATA '$T/twice' and --val-data '$T/twice' are the same pipe or device"
[ -e "$T/twice.st" ] && bad "a model from one FIFO read twice" || ok
cat data/iris.csv | $D train /dev/stdin --val-data /dev/stdin --epochs 2 -q \
    -o "$T/twice.st" > "$T/out" 2> "$T/err"; rc=$?
[ $rc -eq 2 ] && ok || bad "train /dev/stdin --val-data /dev/stdin: exit $rc"
grep_in "$T/err" "DATA '/dev/stdin' and --val-data '/dev/stdin' are the same pipe"
gzip -c "$T/img" | $D train /dev/stdin --labels /dev/fd/0 --epochs 2 -q \
    -o "$T/twice.st" > "$T/out" 2> "$T/err"; rc=$?
[ $rc -eq 2 ] && ok || bad "train /dev/stdin --labels /dev/fd/0: exit $rc"
grep_in "$T/err" "DATA '/dev/stdin' and --labels '/dev/fd/0' are the same pipe"
cat data/iris.csv | $D eval "$M" /dev/stdin --labels /dev/stdin > "$T/out" 2> "$T/err"; rc=$?
[ $rc -eq 2 ] && ok || bad "eval /dev/stdin --labels /dev/stdin: exit $rc"
grep_in "$T/err" "descent eval: DATA '/dev/stdin' and --labels '/dev/stdin' are the same pipe"
expect 2 timeout 20 $D predict "$T/twice" "$T/twice"
grep_in "$T/err" "descent predict: MODEL '$T/twice' and DATA '$T/twice' are the same pipe"
# one regular file as two inputs stays allowed
expect 0 $D train "$T/va.csv" --val-data "$T/va.csv" --epochs 2 -q -o "$T/twice.st"

# ---- 2. an output is never an input or another output, however
# spelled: as given, ./, absolute, a symbolic link, a hard link
cp data/iris.csv "$T/d.csv"
cp "$M" "$T/keep.st"
ln -s d.csv "$T/d.link"
ln "$T/d.csv" "$T/d.hard"
ln -s keep.st "$T/keep.link"
ln "$T/keep.st" "$T/keep.hard"
sum_d=$(cksum < "$T/d.csv"); sum_m=$(cksum < "$T/keep.st")
cd "$T" || exit 1
# refused WANT-IN-ERR CMD...: exit 2, both options named, nothing changed
refused() {
    pat=$1; shift
    "$@" > out 2> err; rc=$?
    [ $rc -eq 2 ] && grep -q -- "$pat" err && ok ||
        { bad "exit $rc, '$pat' wanted: $*"; head -n 2 err; }
    [ "$(cksum < d.csv)" = "$sum_d" ] && [ "$(cksum < keep.st)" = "$sum_m" ] &&
        [ ! -e h.csv ] && ok || bad "a file was changed or written: $*"
    cat "$OLDPWD/data/iris.csv" > d.csv; cat "$M" > keep.st; rm -f h.csv  # for the next
}
for d in d.csv ./d.csv "$T/d.csv" d.link d.hard; do
    refused "-o '$d' is the DATA" $D train d.csv -o "$d" --epochs 1
    refused "--history '$d' is the DATA" $D train d.csv --history "$d" --epochs 1
    refused "-o '$d' is the DATA" $D predict keep.st d.csv -o "$d"
    refused "--plot '$d' is the DATA" $D train d.csv --plot "$d" --epochs 1
done
for m in keep.st ./keep.st "$T/keep.st" keep.link keep.hard; do
    refused "-o '$m' is the MODEL" $D predict keep.st d.csv -o "$m"
    refused "-o '$m' is the model itself" $D export keep.st -o "$m"
    refused "is the --warm-start" $D train d.csv --warm-start keep.st -o "$m" --epochs 1
done
refused "-o './h.csv' and --history 'h.csv' are the same" $D train d.csv --history h.csv -o ./h.csv --epochs 1
refused "-o '$T/n.st' and --checkpoint 'n.st'" $D train d.csv --checkpoint n.st -o "$T/n.st" --epochs 1
refused "--history 'n.st.ckpt' and the checkpoint (-o's name with .ckpt) 'n.st.ckpt'" $D train d.csv --history n.st.ckpt -o n.st --epochs 1
refused "-o 'tb' and --tensorboard 'tb'" $D train d.csv --tensorboard tb -o tb --epochs 1
$D train d.csv --epochs 2 -q -o m2.st --history hist.csv || bad "setup: history"
sum_h=$(cksum < hist.csv)
for h in hist.csv ./hist.csv "$T/hist.csv"; do
    $D plot hist.csv -o "$h" > out 2> err; rc=$?
    [ $rc -eq 2 ] && grep -q "is the HISTORY" err && [ "$(cksum < hist.csv)" = "$sum_h" ] &&
        ok || bad "plot -o $h: exit $rc"
done
cd - > /dev/null || exit 1

# ---- 3. links and devices: /dev/stdout (a link to /proc/self/fd/1)
# stays a link and the bytes reach stdout; in a private mount namespace
# with a tmpfs /dev, as the tool runs as root in containers
if [ "$(id -u)" = 0 ] && unshare -m true 2> /dev/null; then
    for cmd in "predict $M data/iris.csv -o /dev/stdout" \
               "train data/iris.csv --epochs 3 -q -o /dev/stdout"; do
        unshare -m sh -c "mount -t tmpfs tmpfs /dev && ln -s /proc/self/fd/1 /dev/stdout &&
            $D $cmd > '$T/stdout.got' && [ -L /dev/stdout ] && echo link > '$T/still'"
        [ -s "$T/still" ] && ok || bad "/dev/stdout was replaced: $cmd"
        rm -f "$T/still"
        case $cmd in
        predict*) same_file "$T/p.file" "$T/stdout.got" "predict -o /dev/stdout" ;;
        *) same_file "$M" "$T/stdout.got" "train -o /dev/stdout" ;;
        esac
    done
fi
# A link to a regular file: the file is replaced, the link stays.
cp "$M" "$T/real.st"
ln -s real.st "$T/alias.st"
$D train data/iris.csv --epochs 5 -q -o "$T/alias.st"
[ -L "$T/alias.st" ] && ok || bad "the link was replaced by a file"
cmp -s "$M" "$T/real.st" && bad "the link's target was not rewritten" || ok
# A FIFO as -o gets the bytes.
timeout 20 cat "$T/fifo" > "$T/fifo.got" &
timeout 20 $D predict "$M" data/iris.csv -o "$T/fifo"
wait
same_file "$T/p.file" "$T/fifo.got" "predict -o FIFO"
[ -p "$T/fifo" ] && ok || bad "the FIFO was replaced"

# ---- 5. a replaced file keeps its mode and owner; a write-protected
# one is refused, even as root, before training
cp "$M" "$T/priv.st"; chmod 600 "$T/priv.st"
$D train data/iris.csv --epochs 1 -q -o "$T/priv.st"
[ "$(stat -c %a "$T/priv.st")" = 600 ] && ok || bad "mode 0600 became $(stat -c %a "$T/priv.st")"
if [ "$(id -u)" = 0 ]; then
    chown 65534:65534 "$T/priv.st"
    $D train data/iris.csv --epochs 1 -q -o "$T/priv.st"
    [ "$(stat -c %u:%g "$T/priv.st")" = 65534:65534 ] && ok || bad "owner lost: $(stat -c %u:%g "$T/priv.st")"
fi
cp "$M" "$T/ro.st"; chmod 444 "$T/ro.st"; sum=$(cksum < "$T/ro.st")
expect 1 $D train data/iris.csv --epochs 1 -o "$T/ro.st"
grep_in "$T/err" "write-protected (mode 0444)"
grep_in "$T/err" "chmod u+w"
grep -q "train loss" "$T/out" && bad "trained before refusing a write-protected -o" || ok
[ "$(cksum < "$T/ro.st")" = "$sum" ] && ok || bad "the 0444 model was replaced"
expect 1 $D predict "$M" data/iris.csv -o "$T/ro.st"
grep_in "$T/err" "write-protected"
# As root: a file whose mode allows writing on a read-only file system
# is refused before anything is written, saying why; and where the
# replaced file's owner cannot be given to the new one (a user namespace
# that does not map it), the write fails and the old file stays whole.
if [ "$(id -u)" = 0 ] && unshare -m true 2> /dev/null; then
    mkdir -p "$T/rofs2"
    unshare -m sh -c "mount -t tmpfs tmpfs '$T/rofs2' && cp '$M' '$T/rofs2/m.st' &&
        mount -o remount,ro '$T/rofs2' &&
        $D predict '$M' data/iris.csv -o '$T/rofs2/m.st' > '$T/out' 2> '$T/err'; echo \$? > '$T/rc'"
    [ "$(cat "$T/rc")" = 1 ] && ok || bad "predict -o on a read-only file system: exit $(cat "$T/rc")"
    grep_in "$T/err" "'$T/rofs2/m.st': Read-only file system; make it writable or give another name"
fi
if [ "$(id -u)" = 0 ] && unshare -r true 2> /dev/null; then
    cp "$M" "$T/theirs.st"; chmod 666 "$T/theirs.st"; chown 65534:65534 "$T/theirs.st"
    sum=$(cksum < "$T/theirs.st")
    unshare -r sh -c "$D predict '$M' data/iris.csv -o '$T/theirs.st' 2> '$T/err'; echo \$? > '$T/rc'"
    [ "$(cat "$T/rc")" = 1 ] && ok || bad "unmapped owner: exit $(cat "$T/rc")"
    grep_in "$T/err" "cannot write the predictions to '$T/theirs.st': Invalid argument"
    [ "$(cksum < "$T/theirs.st")" = "$sum" ] && [ "$(stat -c %u "$T/theirs.st")" = 65534 ] &&
        ok || bad "the file of an unmapped owner was changed"
    ls "$T" | grep -q '\.tmp\.' && bad "a temporary file was left beside theirs.st" || ok
fi

# ---- 6. every output is checked before epoch 1: a run of (here) 10^6
# epochs must fail at once, having printed nothing of training
# early FILE-PATTERN ARGS...: train refuses at once
early() {
    pat=$1; shift
    timeout 60 $D train data/digits.csv --epochs 1000000 --patience 0 "$@" > "$T/out" 2> "$T/err"; rc=$?
    [ $rc -eq 1 ] || [ $rc -eq 2 ] && grep -q -- "$pat" "$T/err" && ok ||
        { bad "exit $rc, '$pat' wanted: train $*"; head -n 2 "$T/err"; }
    grep -q "train loss" "$T/out" && bad "training started: $*" || ok
}
mkdir "$T/dir"
early "directory '$T/none'" -o "$T/none/m.st"
early "is a directory" -o "$T/dir"
early "$T/none/h.csv" --history "$T/none/h.csv" -o "$T/x.st"
early "$T/none/p.svg" --plot "$T/none/p.svg" -o "$T/x.st"
early "$T/none/c.ckpt" --checkpoint "$T/none/c.ckpt" -o "$T/x.st"
long=$(printf '%0256d' 0)
early "too long" -o "$T/$long"
if [ "$(id -u)" = 0 ] && unshare -m true 2> /dev/null; then
    mkdir "$T/rofs"
    unshare -m sh -c "mount -t tmpfs -o ro tmpfs '$T/rofs' &&
        timeout 60 $D train data/digits.csv --epochs 1000000 --patience 0 -o '$T/rofs/m.st' > '$T/out' 2> '$T/err'"
    rc=$?
    [ $rc -eq 1 ] && grep -q "not writable" "$T/err" && ! grep -q "train loss" "$T/out" && ok ||
        bad "read-only file system: exit $rc: $(head -n 1 "$T/err")"
fi
[ ! -e "$T/x.st" ] && ok || bad "a model was written by a refused run"
# landscape checks its SVG before running a path: nothing printed
for o in "$T/none/l.svg" "$T/dir" "$T/$long" "$T/ro.st"; do
    expect 1 $D landscape --steps 10 -o "$o"
    grep_in "$T/err" "descent landscape: cannot write the plot to '$o'"
    [ -s "$T/out" ] && bad "landscape ran its paths before refusing -o $o" || ok
done
expect 1 $D landscape --csv --steps 10 -o "$T/none/l.svg"
[ -s "$T/out" ] && bad "landscape --csv printed paths before refusing -o" || ok
# A legal 250-byte name works: the temporary name is cut to fit.
name=$(printf '%0250d' 0)
$D train data/iris.csv --epochs 1 -q -o "$T/dir/$name" && [ -s "$T/dir/$name" ] &&
    ok || bad "a 250-byte name failed"
[ "$(ls "$T/dir")" = "$name" ] && ok || bad "left in the directory: $(ls "$T/dir")"
# Names that are not UTF-8 (a Latin-1 header) fail before epoch 1.
printf 'caf\351,y\n1,a\n2,b\n3,a\n4,b\n' > "$T/latin1.csv"
timeout 60 $D train "$T/latin1.csv" --val 0 --epochs 1000000 --patience 0 -o "$T/l1.st" > "$T/out" 2> "$T/err"; rc=$?
[ $rc -eq 2 ] && grep -q "not valid UTF-8" "$T/err" && ! grep -q "train loss" "$T/out" && ok ||
    bad "Latin-1 names: exit $rc: $(head -n 1 "$T/err")"
# A save that fails after training anyway (the directory is removed
# during the run) puts the model under $TMPDIR and says so.
mkdir "$T/gone" "$T/tmp"
TMPDIR="$T/tmp" $D train data/digits.csv --epochs 1000000 --patience 0 --history "$T/gh.csv" \
    --checkpoint "$T/g.ckpt" -o "$T/gone/m.st" > /dev/null 2> "$T/err" &
pid=$!
i=0; while [ $i -lt 300 ] && [ "$(cat "$T/gh.csv" 2> /dev/null | wc -l)" -lt 3 ]; do sleep 0.1; i=$((i + 1)); done
rm -rf "$T/gone"
kill -TERM $pid; wait $pid; rc=$?
[ $rc -eq 1 ] && grep -q "saved to $T/tmp/descent-rescued-" "$T/err" && ok ||
    bad "no rescue: exit $rc: $(tail -n 1 "$T/err")"
ls "$T/tmp"/descent-rescued-*.safetensors > /dev/null 2>&1 && ok || bad "no rescued model"

# ---- 7. a second Ctrl-C during a large checkpoint write leaves no
# temporary file: a 70 MB checkpoint every step; the first SIGINT once
# a write is under way, the second once the handler has answered (two
# pending at once would count as one) and a write is under way again
mkdir "$T/big"
$D train data/digits.csv --layers 2048,2048 --checkpoint "$T/big/c.ckpt" \
    --checkpoint-every 1steps --epochs 1 -q -o "$T/big/m.st" 2> "$T/big.err" &
pid=$!
tmp_seen() { ls "$T/big" | grep -q '\.tmp\.'; }
i=0; while [ $i -lt 1000 ] && ! tmp_seen; do sleep 0.01; i=$((i + 1)); done
kill -INT $pid
i=0; while [ $i -lt 1000 ] && ! grep -q "stopping after" "$T/big.err"; do sleep 0.01; i=$((i + 1)); done
i=0; while [ $i -lt 1000 ] && ! tmp_seen; do sleep 0.01; i=$((i + 1)); done
kill -INT $pid
wait $pid; rc=$?
[ $rc -eq 130 ] || [ $rc -eq 3 ] && ok || bad "two SIGINTs: exit $rc"
tmp_seen && bad "temporary file left: $(ls "$T/big")" || ok
rm -rf "$T/big"

# ---- 9 and 15. write errors on stdout fail the command with a message
# full CMD...: stdout on /dev/full exits non-zero, saying so
full() {
    "$@" > /dev/full 2> "$T/err"; rc=$?
    [ $rc -ne 0 ] && grep -q "^descent.*No space left on device" "$T/err" &&
        ok || bad "exit $rc on /dev/full: $*"
}
full $D train data/iris.csv --epochs 1 -o "$T/f.st"
full $D eval "$M" data/iris.csv
full $D eval "$M" data/iris.csv --json
full $D predict "$M" data/iris.csv
full $D summary "$M"
full $D plot "$T/hist.csv" -o /dev/stdout
full $D landscape -o /dev/stdout
full $D export "$M" -o /dev/stdout
full $D --help
full $D train --help
# A closed pipe does not kill training: the model is saved, and the lost
# output is reported (or all of it fitted in the pipe first).
{ $D train data/digits.csv --epochs 30 -o "$T/hp.st" 2> "$T/err"; echo $? > "$T/rc"; } | head -n 1 > /dev/null
rc=$(cat "$T/rc")
[ -s "$T/hp.st" ] && { [ "$rc" -eq 0 ] || { [ "$rc" -eq 1 ] && grep -q "Broken pipe" "$T/err"; }; } &&
    ok || bad "train | head: exit $rc, $(tail -n 1 "$T/err")"
# SIGHUP stops after the step and saves, like SIGTERM.
$D train data/digits.csv --epochs 1000000 --patience 0 --history "$T/hup.csv" -o "$T/hup.st" > /dev/null 2> "$T/err" &
pid=$!
i=0; while [ $i -lt 300 ] && [ "$(cat "$T/hup.csv" 2> /dev/null | wc -l)" -lt 2 ]; do sleep 0.1; i=$((i + 1)); done
kill -HUP $pid; wait $pid; rc=$?
[ $rc -eq 3 ] && [ -s "$T/hup.st" ] && [ -s "$T/hup.st.ckpt" ] && ok ||
    bad "SIGHUP: exit $rc, $(ls "$T" | grep hup)"

finish test_files
