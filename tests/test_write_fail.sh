#!/bin/sh
# A write that fails half way (the disk fills: here a file-size limit,
# `ulimit -f`, with SIGXFSZ ignored so write() returns EFBIG) must give a
# clear error and leave no partial file and no temporary file, for every
# kind of output; and an existing file must survive a failed overwrite.
. tests/lib.sh
$D train data/iris.csv --epochs 3 -q -o "$T/ok.st" || bad "setup: train"

# limited CMD...: run CMD with a 1-block file-size limit
limited() { (ulimit -f 1; trap '' XFSZ; exec "$@") > "$T/out" 2> "$T/err"; }
# no_leftovers DIR WHAT: nothing but the expected files in DIR
no_leftovers() {
    if ls "$1" | grep -q '\.tmp\.'; then bad "$2: temporary file left: $(ls "$1")"; else ok; fi
}

mkdir "$T/o"
cp "$T/ok.st" "$T/o/model.st"
before=$(cksum < "$T/o/model.st")
limited $D train data/digits.csv --epochs 1 -q -o "$T/o/model.st"; rc=$?
[ $rc -eq 1 ] && ok || bad "model write: exit $rc"
grep_in "$T/err" "model.st"
[ "$(cksum < "$T/o/model.st")" = "$before" ] && ok || bad "the old model changed"
no_leftovers "$T/o" model

limited $D train data/digits.csv --epochs 2 -q --checkpoint "$T/o/run.ckpt" -o "$T/o/m2.st"; rc=$?
[ $rc -eq 1 ] && ok || bad "checkpoint write: exit $rc"
grep_in "$T/err" "run.ckpt"
[ ! -e "$T/o/run.ckpt" ] && [ ! -e "$T/o/m2.st" ] && ok || bad "a partial checkpoint or model exists"
no_leftovers "$T/o" checkpoint

limited $D predict "$T/ok.st" data/iris.csv -o "$T/o/pred.csv"; rc=$?
[ $rc -eq 1 ] && ok || bad "predictions write: exit $rc"
grep_in "$T/err" "pred.csv"
[ ! -e "$T/o/pred.csv" ] && ok || bad "partial predictions file"
no_leftovers "$T/o" predict

limited $D export "$T/ok.st" -o "$T/o/m.onnx"; rc=$?
[ $rc -eq 1 ] && ok || bad "ONNX write: exit $rc"
[ ! -e "$T/o/m.onnx" ] && ok || bad "partial ONNX file"
no_leftovers "$T/o" export

# A missing directory is refused; a device is written into, never
# replaced by a file.
expect 1 $D predict "$T/ok.st" data/iris.csv -o "$T/no/such/dir/p.csv"
grep_in "$T/err" "no/such/dir"
expect 0 $D predict "$T/ok.st" data/iris.csv -o /dev/null
[ -c /dev/null ] && ok || bad "/dev/null is no longer a device"

finish test_write_fail
