#!/bin/sh
# The full-batch solvers (L-BFGS, CG, Levenberg-Marquardt, Newton) beside
# Adam on the bundled digits and house-price data, then descent's L-BFGS
# and LM beside SciPy's on the same problem from the same start.  Writes
# Markdown tables to stdout (docs/solvers.md quotes them).
#
#   make && sh bench/solvers.sh > /tmp/solvers.md
#
# Every run: 20% validation (seed 1), standardized inputs (and target),
# one tanh hidden layer of 16 units, weights from seed 42 (bench/solvers.c
# has the details).  Table 1 stops early on validation loss (patience 10,
# best weights restored) within 1000 iterations (epochs); table 2 has no
# validation stop: each optimizer runs to its own criteria within 1000
# iterations.
# Needs: a built library (make; B=DIR for another build directory); for
# table 2 /usr/bin/python3 with Debian's python3-numpy and python3-scipy
# (apt-get install python3-scipy), else that table is left out and the
# script says so.
set -eu
B=${B:-build}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -Iinclude bench/solvers.c \
    "$B/libdescent.a" -lz -lm -lpthread -o "$T/solvers"

# Turns result lines (name=value ..., values with spaces in quotes) into
# table rows; $1 lists the fields, "acc" as a percentage.
table() {
    awk -v cols="$1" -v prefix="$2" '
    {
        delete v
        line = $0
        while (match(line, /[a-z_]+=("[^"]*"|[^ ]*)/)) {
            kv = substr(line, RSTART, RLENGTH)
            k = substr(kv, 1, index(kv, "=") - 1)
            x = substr(kv, index(kv, "=") + 1)
            gsub(/"/, "", x)
            v[k] = x
            line = substr(line, RSTART + RLENGTH)
        }
        n = split(cols, c, " ")
        row = "| " prefix
        if ("refused" in v) {
            sub(/^solver [a-z]+: /, "", v["refused"])
            sub(/;.*/, "", v["refused"])
            row = row v["method"] " | " v["params"] " | refused: " v["refused"]
            for (i = 4; i <= n; i++) row = row " |"
            print row " |"
            next
        }
        for (i = 1; i <= n; i++) {
            x = v[c[i]]
            if (c[i] == "iters+best") x = v["iters"] " (" v["best"] ")"
            if (c[i] == "method" && prefix == "" && x !~ /^scipy/)
                x = "descent " x
            if (c[i] == "val_acc")
                x = x == "nan" ? "-" : sprintf("%.1f%%", 100 * x)
            row = row (i > 1 ? " | " : "") x
        }
        print row " |"
    }'
}

run() {  # run DATA METHOD EPOCHS PATIENCE [DUMP_DIR]
    "$T/solvers" "$1" 16 "$2" "$3" "$4" ${5:+"$5"}
}

COLS="method params iters+best evals seconds train_loss val_loss val_acc reason"
echo "| task | method | parameters | iterations (best) | evaluations | seconds | train loss | val loss | val acc | stop |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for m in lbfgs cg lm newton adam; do
    run data/digits.csv $m 1000 10
done | table "$COLS" "digits 64-16-10 | "
for m in lbfgs cg lm newton adam; do
    run data/house.csv $m 1000 10
done | table "$COLS" "house 7-16-1 | "

echo
if ! /usr/bin/python3 -c 'import numpy, scipy' 2>/dev/null; then
    echo "(SciPy comparison left out: /usr/bin/python3 lacks numpy or scipy;"
    echo "apt-get install python3-scipy)"
    exit 0
fi
echo "| house 7-16-1, same start, no early stop | iterations | evaluations | seconds | train loss | stop |"
echo "|---|---|---|---|---|---|"
{
    run data/house.csv lbfgs 1000 0 "$T"
    run data/house.csv lm 1000 0 "$T"
    /usr/bin/python3 bench/solvers_scipy.py "$T" 16
} | table "method iters evals seconds train_loss reason" ""
