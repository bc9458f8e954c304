#!/bin/sh
# Bad input through the `descent` command: every kind of broken or hostile
# file named in issue 7 — empty files, a header alone, ragged rows, quoted
# fields, CRLF, byte-order marks, non-numeric cells, NaN and infinity,
# labels and categories never seen in training, features that do not
# match the model, IDX headers claiming 2^31 items, model files whose
# shapes disagree with their metadata, truncated gzip.  Each must exit 1
# with a message that names the file, the place (line, column, byte or
# field) and the problem, and must write nothing: every output goes to
# $T/out, which has to stay empty.
#
# DESCENT may hold a command with arguments (tests/valgrind.sh runs this
# file with DESCENT="valgrind ... build/descent").
. tests/lib.sh
mkdir "$T/in" "$T/out" "$T/ref"
I=$T/in

# rejects PATTERN... -- CMD...: runs `descent CMD...`; it must exit 1 with
# every pattern in its message (stderr), no control byte in it but line
# ends, and nothing in $T/out.
rejects() {
    pats=""
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do pats="$pats$1
"; shift; done
    shift
    $D "$@" > "$T/stdout" 2> "$T/err"; got=$?
    what=" descent $*"
    if [ "$got" -eq 1 ]; then ok; else
        bad "exit $got (want 1):$what"; head -n 3 "$T/err"; fi
    set -f; old_ifs=$IFS; IFS='
'
    for p in $pats; do
        if grep -q -F -- "$p" "$T/err"; then ok; else
            bad "'$p' not in the message of$what:"; head -n 3 "$T/err"; fi
    done
    IFS=$old_ifs; set +f
    if [ "$(tr -d '\n' < "$T/err" | tr -d '[:print:]' | wc -c)" -eq 0 ]; then ok
    else bad "a control byte in the message of$what"; fi
    if [ -z "$(ls -A "$T/out")" ]; then ok; else
        bad "files written despite the error ($what): $(ls -A "$T/out")"
        rm -f "$T/out"/* "$T/out"/.[!.]* 2>/dev/null
    fi
}

# Reference models to use bad data with.
$D train data/iris.csv -o "$T/ref/iris.st" --epochs 3 > /dev/null 2>&1 &&
    [ -f "$T/ref/iris.st" ] && ok || bad "cannot train the iris model"
$D train data/house.csv --target price -o "$T/ref/house.st" --epochs 3 \
    > /dev/null 2>&1 && [ -f "$T/ref/house.st" ] && ok || bad "cannot train the house model"
M=$T/ref/iris.st
H=$T/ref/house.st
O=$T/out/model.st
P=$T/out/pred.csv
IRIS_HEAD=sepal_length,sepal_width,petal_length,petal_width,target

# ---- CSV structure
: > "$I/empty.csv"
rejects "empty.csv" "is empty" -- train "$I/empty.csv" -o "$O"
rejects "empty.csv" "is empty" -- eval "$M" "$I/empty.csv"
printf '\n\r\n  \n' > "$I/blank.csv"
rejects "blank.csv" "is empty" -- train "$I/blank.csv" -o "$O"
printf 'a,b,y\n' > "$I/head.csv"
rejects "head.csv" "only a header row (line 1)" -- train "$I/head.csv" -o "$O"
printf '%s\n' "$IRIS_HEAD" > "$I/head_iris.csv"
rejects "head_iris.csv" "only a header row" -- predict "$M" "$I/head_iris.csv" -o "$P"
printf 'a,b,y\n1,2,0\n3,4\n5,6,1\n' > "$I/ragged.csv"
rejects "ragged.csv:3:" "2 fields but the header has 3" "column 3 'y'" -- train "$I/ragged.csv" -o "$O"
printf 'a,b,y\n1,2,0\n3,4,1,9\n' > "$I/long.csv"
rejects "long.csv:3:" "4 fields" "field 4 is '9'" -- train "$I/long.csv" -o "$O"
printf '%s\n5.1,3.5,1.4,0.2\n' "$IRIS_HEAD" > "$I/ragged_eval.csv"
rejects "ragged_eval.csv:2:" "4 fields but the header has 5" -- eval "$M" "$I/ragged_eval.csv"

# ---- quoted fields
printf 'a,y\n1,0\n"x,1\n2,1\n' > "$I/open.csv"
rejects "open.csv:3:" "quoted field never ends" -- train "$I/open.csv" -o "$O"
printf 'a,y\n"x"z,0\n1,1\n' > "$I/after.csv"
rejects "after.csv:2:" "text after the closing quote" -- train "$I/after.csv" -o "$O"
printf '%s\n"5,1",3.5,1.4,0.2,setosa\n' "$IRIS_HEAD" > "$I/quoted.csv"
rejects "quoted.csv:2:" "column 1 'sepal_length'" "'5,1' is not a number" -- eval "$M" "$I/quoted.csv"
# a quoted line break: the error's line is the physical line
printf 'name,b,y\n"two\nlines",1,0\nz,,1\n' > "$I/qlines.csv"
rejects "qlines.csv:4:" "column 2 'b'" "empty cell" -- train "$I/qlines.csv" -o "$O" --missing error

# ---- CRLF and byte-order marks
printf 'a,b,y\r\n1,2,0\r\n3,x,1\r\n4,5,0\r\n' > "$I/crlf.csv"
rejects "crlf.csv:3:" "column 2 'b'" "cell 'x' is not a number" -- train "$I/crlf.csv" -o "$O"
printf '\357\273\277a,b,a\r\n1,2,3\r\n' > "$I/bom.csv"
rejects "bom.csv:1:" "columns 1 and 3 are both named 'a'" -- train "$I/bom.csv" -o "$O"
printf '\377\376a\000,\000b\000\n\000' > "$I/utf16.csv"
rejects "utf16.csv" "UTF-16" -- train "$I/utf16.csv" -o "$O"
# ... while a BOM and CRLF on good data are fine
printf '\357\273\277%s\r\n5.1,3.5,1.4,0.2,setosa\r\n6.3,3.3,6.0,2.5,virginica\r\n' "$IRIS_HEAD" > "$I/bom_ok.csv"
$D eval "$M" "$I/bom_ok.csv" --json > "$T/stdout" 2> "$T/err" &&
    grep -q '"n":2' "$T/stdout" && ok || { bad "a BOM and CRLF file does not evaluate"; cat "$T/err"; }

# ---- cells
printf 'a,area,y\n1,2,0\n2,3,1\n3,abc,0\n4,5,1\n' > "$I/cells.csv"
rejects "cells.csv:4:" "column 2 'area'" "cell 'abc' is not a number" -- train "$I/cells.csv" -o "$O"
printf '%s\n5.1,3.5,1.4,0.2,setosa\n4.9,three,1.4,0.2,setosa\n' "$IRIS_HEAD" > "$I/word.csv"
rejects "word.csv:3:" "column 2 'sepal_width'" "'three' is not a number" -- predict "$M" "$I/word.csv" -o "$P"
printf 'a,b,y\n1,2,0\n3,NaN,1\n' > "$I/nan.csv"
rejects "nan.csv:3:" "column 2 'b'" "'NaN'" "not a finite number" -- train "$I/nan.csv" -o "$O" --missing error
printf '%s\n5.1,-inf,1.4,0.2,setosa\n' "$IRIS_HEAD" > "$I/inf.csv"
rejects "inf.csv:2:" "column 2 'sepal_width'" "'-inf'" "not a finite number" -- eval "$M" "$I/inf.csv"
printf '%s\n5.1,3.5,Infinity,0.2,setosa\n' "$IRIS_HEAD" > "$I/inf2.csv"
rejects "inf2.csv:2:" "column 3 'petal_length'" "'Infinity'" -- predict "$M" "$I/inf2.csv" -o "$P"
printf 'a,b,y\n1,2,0\n3,1e39,1\n' > "$I/huge_cell.csv"
rejects "huge_cell.csv:3:" "'1e39'" "too large for a 32-bit float" -- train "$I/huge_cell.csv" -o "$O"
printf 'a,b,y\n1,2,0\n3\000,4,1\n' > "$I/nul.csv"
rejects "nul.csv:3:" "NUL byte" "not a text file" -- train "$I/nul.csv" -o "$O"

# ---- text columns too wide to one-hot encode, refused before the inputs
# are allocated: under a 300 MB address space, and in a moment (before:
# 5000 rows with a unique ID asked for 100 MB, larger files for GBs).
# limited CMD...: `descent CMD` with the address space capped (not under
# valgrind or ASan: DN_NO_RLIMIT).
limited() {
    if [ -n "$DN_NO_RLIMIT" ]; then $D "$@"
    else (ulimit -v 300000; exec $D "$@"); fi
}
awk 'BEGIN { print "id,x,y"; for (i = 0; i < 5000; i++) printf "u%06d,%d,%d\n", i, i % 7, i % 2 }' > "$I/ids.csv"
# Such a column is left out, with a note, before anything is allocated.
for cmd in "train $I/ids.csv -o $T/ids.st --epochs 1" "train $I/ids.csv --dry-run"; do
    limited $cmd > "$T/stdout" 2> "$T/err"; rc=$?
    [ $rc -eq 0 ] && ok || bad "ID column: exit $rc (want 0): descent $cmd: $(cat "$T/err")"
    grep_in "$T/stdout" "column 'id' dropped: text with 5000 distinct values in 5000 rows, like an ID"
    grep_in "$T/stdout" "5000 rows, 1 inputs"
done
# 40,000 rows with 15,000 categories (each about 3 times, not an ID):
# 2.4 GB of inputs, above the 2 GiB limit
awk 'BEGIN { print "cat,y"; for (i = 0; i < 40000; i++) printf "c%d,%d\n", i % 15000, i % 2 }' > "$I/wide.csv"
limited train "$I/wide.csv" --dry-run > "$T/stdout" 2> "$T/err"; rc=$?
[ $rc -eq 1 ] && ok || bad "wide one-hot: exit $rc (want 1)"
grep_in "$T/err" "wide.csv: 15000 inputs after one-hot encoding is too many for 40000 rows (2.4 GB; the limits are 1000000 inputs and 2 GiB); text column 'cat' alone has 15000 categories"

# ---- labels and categories never seen in training
printf '%s\n5.1,3.5,1.4,0.2,setosa\n6.0,3.0,5.0,2.0,tulip\n' "$IRIS_HEAD" > "$I/unseen.csv"
rejects "unseen.csv:3:" "column 5 'target'" "class 'tulip' is not one of the classes" "setosa" -- eval "$M" "$I/unseen.csv"
printf 'rooms,area,type,station_km,price\n3,120,castle,2.5,350000\n' > "$I/castle.csv"
# an unseen category is all zeros, with a warning, not an error
for cmd in eval predict; do
    $D $cmd "$H" "$I/castle.csv" > "$T/stdout" 2> "$T/err"; rc=$?
    [ $rc -eq 0 ] && ok || bad "unseen category: descent $cmd: exit $rc: $(cat "$T/err")"
    grep_in "$T/err" "warning: $I/castle.csv: 1 cell of a category not seen in training, encoded as all zeros"
    grep_in "$T/err" "(the first: line 2, column 'type' = 'castle')"
done

# ---- features that do not match the model
printf 'sepal_length,sepal_width,petal_length,target\n5.1,3.5,1.4,setosa\n' > "$I/three.csv"
rejects "three.csv" "column 'petal_width' is missing" -- eval "$M" "$I/three.csv"
rejects "three.csv" "column 'petal_width' is missing" -- predict "$M" "$I/three.csv" -o "$P"
rejects "wine.csv" "column 'sepal_length' is missing" -- eval "$M" data/wine.csv
# IDX images of 3 x 3 pixels for a model of 4 inputs
idx_images "$I/img9.idx" 4 3 3
idx_labels "$I/lab4.idx" 4
rejects "img9.idx" "9 pixels" "4 inputs" -- eval "$M" "$I/img9.idx" --labels "$I/lab4.idx"
rejects "img9.idx" "9 pixels" "4 inputs" -- predict "$M" "$I/img9.idx" -o "$P"

# ---- IDX headers that lie
printf '\000\000\010\003\200\000\000\000\000\000\000\034\000\000\000\034' > "$I/huge.idx"
head -c 100 /dev/zero >> "$I/huge.idx"
rejects "huge.idx" "dimension 1 is 2147483648 (bytes 4 to 7)" "header is corrupt" -- train "$I/huge.idx" --labels "$I/lab4.idx" -o "$O"
gzip -c "$I/huge.idx" > "$I/huge.idx.gz"
rejects "huge.idx.gz" "dimension 1 is 2147483648" -- train "$I/huge.idx.gz" --labels "$I/lab4.idx" -o "$O"
printf '\000\000\010\003\177\377\377\377\000\000\000\034\000\000\000\034' > "$I/many.idx"
rejects "many.idx" "header promises 2147483647 items" "beyond the limits" -- train "$I/many.idx" --labels "$I/lab4.idx" -o "$O"
printf '\000\000\010\001\200\000\000\000' > "$I/huge_labels.idx"
idx_images "$I/img4.idx" 4 2 2
rejects "huge_labels.idx" "dimension 1 is 2147483648" -- train "$I/img4.idx" --labels "$I/huge_labels.idx" -o "$O"
idx_labels "$I/lab3.idx" 3
rejects "lab3.idx has 3 labels" "img4.idx has 4 images" -- train "$I/img4.idx" --labels "$I/lab3.idx" -o "$O"
head -c 20 "$I/img4.idx" > "$I/short.idx"
rejects "short.idx" "truncated" "20 bytes" "promises 32" -- train "$I/short.idx" --labels "$I/lab4.idx" -o "$O"

# ---- truncated and damaged gzip
idx_images "$I/big.idx" 200 20 20
gzip -c "$I/big.idx" > "$I/whole.gz"
head -c $(($(wc -c < "$I/whole.gz") / 2)) "$I/whole.gz" > "$I/cut.gz"
idx_labels "$I/lab200.idx" 200
rejects "cut.gz" "truncated" "expected 80000 bytes after the header" -- train "$I/cut.gz" --labels "$I/lab200.idx" -o "$O"
head -c 30 "$I/whole.gz" > "$I/head_cut.gz"
rejects "head_cut.gz" "truncated" -- train "$I/head_cut.gz" --labels "$I/lab200.idx" -o "$O"
gzip -c "$I/lab200.idx" | head -c 40 > "$I/lab_cut.gz"
rejects "lab_cut.gz" "truncated" -- train "$I/big.idx" --labels "$I/lab_cut.gz" -o "$O"
gzip -c data/iris.csv > "$I/iris.csv.gz"
rejects "iris.csv.gz" "gzip-compressed" "gunzip" -- train "$I/iris.csv.gz" -o "$O"

# ---- model files that lie
F=fuzz/corpus/model
rejects "bad_shape" "tensor '0.weight' has shape [4, 1] but the architecture needs [1, 4]" -- eval "$F/bad_shape" data/iris.csv
rejects "bad_arch_n_in" "tensor '0.weight' has shape [1, 4] but the architecture needs [1, 5]" -- summary "$F/bad_arch_n_in"
rejects "bad_shape_overflow" "more than the limit" -- predict "$F/bad_shape_overflow" data/iris.csv -o "$P"
rejects "bad_offsets" "data_offsets" "outside" -- eval "$F/bad_offsets" data/iris.csv
rejects "bad_dtype" "dtype F16" -- eval "$F/bad_dtype" data/iris.csv
rejects "bad_truncated_data" "data" -- eval "$F/bad_truncated_data" data/iris.csv
rejects "bad_truncated_header" "header length" -- eval "$F/bad_truncated_header" data/iris.csv
rejects "bad_header_length" "header length" -- summary "$F/bad_header_length"
rejects "bad_nan_weight" "non-finite value" "element 0" -- eval "$F/bad_nan_weight" data/iris.csv
rejects "bad_not_descent" "not a descent model" -- eval "$F/bad_not_descent" data/iris.csv
rejects "bad_newer" "newer descent" -- eval "$F/bad_newer" data/iris.csv
rejects "bad_regression_schema_on_ce" "regression schema needs the mse loss" -- eval fuzz/regressions/model/bad_regression_schema_on_ce data/iris.csv
rejects "bad_regression_schema_on_ce" "regression schema needs the mse loss" -- predict fuzz/regressions/model/bad_regression_schema_on_ce data/iris.csv -o "$P"
# a house-price model whose schema was edited to say binary (before: it
# loaded and predicted prices under a class header)
rejects "bad_binary_schema_on_mse" "a binary task needs a sigmoid output unit" "identity with the mse loss" -- predict fuzz/regressions/model/bad_binary_schema_on_mse data/house.csv -o "$P"
rejects "iris.csv" "header length" -- eval data/iris.csv data/iris.csv
rejects "bad_shape" "tensor '0.weight'" -- train data/iris.csv --warm-start "$F/bad_shape" -o "$O"

# ---- outputs that cannot be written: nothing is left behind; and a
# device or pipe is written into, never replaced by a file (as root,
# `-o /dev/null` would otherwise replace /dev/null itself)
rejects "cannot write the model" "$T/out/none/m.st" -- train data/iris.csv -o "$T/out/none/m.st" --epochs 1
rejects "$T/out/none/p.csv" -- predict "$M" data/iris.csv -o "$T/out/none/p.csv"
mkdir "$T/sink"
if mkfifo "$T/sink/fifo" 2> /dev/null; then
    cat "$T/sink/fifo" > "$T/fifo.got" &
    $D predict "$M" data/iris.csv -o "$T/sink/fifo" 2> "$T/err" && ok ||
        bad "predict -o FIFO: $(cat "$T/err")"
    wait
    grep -q '^class,' "$T/fifo.got" && ok || bad "nothing came through the FIFO"
    [ -p "$T/sink/fifo" ] && [ "$(ls -A "$T/sink")" = fifo ] && ok ||
        bad "the pipe was replaced or files were left: $(ls -la "$T/sink")"
fi

# ---- hostile but valid: a model whose class names are null predicts
# on IDX images (no crash)...
awk -F, 'NR == 1 || $NF != "virginica"' data/iris.csv > "$I/two.csv"
$D predict "$F/odd_null_classes" "$I/img4.idx" > "$T/stdout" 2> "$T/err" &&
    head -n 1 "$T/stdout" | grep -q '^class,p_0,p_1$' &&
    [ "$(wc -l < "$T/stdout")" -eq 5 ] && ok || {
    bad "predict on IDX with null class names"; head -n 3 "$T/err"; }
# ... and on a CSV, whose labels then are the classes' numbers
$D predict "$F/odd_null_classes" "$I/two.csv" > "$T/stdout" 2> "$T/err" &&
    head -n 1 "$T/stdout" | grep -q '^class,p_0,p_1$' &&
    [ "$(wc -l < "$T/stdout")" -eq 101 ] && ok || {
    bad "predict on CSV with null class names"; head -n 3 "$T/err"; }
awk -F, 'BEGIN { OFS = "," } NR > 1 { $5 = $5 == "setosa" ? 0 : 1 } 1' "$I/two.csv" > "$I/two01.csv"
$D eval "$F/odd_null_classes" "$I/two01.csv" --json > "$T/stdout" 2> "$T/err" &&
    grep -q '"n":100,' "$T/stdout" && ok || {
    bad "eval on CSV with null class names and labels 0/1"; head -n 3 "$T/err"; }
rejects "two.csv:2:" "column 5 'target'" "class 'setosa' is not one of the classes (0, 1;" \
    "without a name are written as their number" -- eval "$F/odd_null_classes" "$I/two.csv"
# A model whose columns have no names cannot match a CSV header: the
# message names the model file, what is wrong and what to do.
rejects "odd_null_column:" "its column 2 has no name" "two.csv is a CSV" "retrain the model" \
    -- predict "$F/odd_null_column" "$I/two.csv" -o "$P"
rejects "odd_null_column:" "its column 2 has no name" -- eval "$F/odd_null_column" data/iris.csv
# summary shows null names, and never prints a file's control bytes raw
$D summary "$F/odd_null_classes" > "$T/stdout" 2> "$T/err" &&
    grep -q 'Classes (2): (none) (none)' "$T/stdout" && ok || bad "summary with null class names"
esc=$(printf '\033')
$D summary "$F/odd_escape" > "$T/stdout" 2> "$T/err"
if [ $? -eq 0 ] && grep -q -F 'note: ?]0;pwned??[2J' "$T/stdout" &&
   ! grep -q "$esc" "$T/stdout"; then ok; else
    bad "summary prints a file's control bytes raw"; head -n 3 "$T/err"; fi

[ -z "$(ls -A "$T/out")" ] && ok || bad "files in $T/out: $(ls -A "$T/out")"
finish test_badinput
