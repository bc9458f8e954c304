#!/bin/sh
# descent data make-*: the Playground's sets written as CSV; the same
# options give the same bytes, another seed other bytes, every set reads
# back as a two-input classification table, and bad settings are refused
# (exit 2, the setting named) with nothing written.
. tests/lib.sh
for s in circles xor gaussians spiral; do
    expect 0 "$D" data make-$s -n 50 --seed 4 -o "$T/$s.csv"
    grep_in "$T/out" "^wrote $T/$s.csv: 50 rows of $s, 2 classes, noise [0-9.]*, seed 4$"
    expect 0 "$D" data make-$s -n 50 --seed 4 -o "$T/$s-2.csv"
    cmp -s "$T/$s.csv" "$T/$s-2.csv" && ok || bad "$s: seed 4 twice gives other bytes"
    expect 0 "$D" data make-$s -n 50 --seed 5 -o "$T/$s-3.csv"
    cmp -s "$T/$s.csv" "$T/$s-3.csv" && bad "$s: seeds 4 and 5 give the same bytes" || ok
    [ "$(head -n 1 "$T/$s.csv")" = "x1,x2,label" ] && ok || bad "$s header: $(head -n 1 "$T/$s.csv")"
    [ "$(wc -l < "$T/$s.csv")" -eq 51 ] && ok || bad "$s: $(wc -l < "$T/$s.csv") lines"
    # the labels: 0 and 1 only, 4 decimals at most
    awk -F, 'function four(v) { return v ~ /^-?[0-9]+(\.[0-9][0-9]?[0-9]?[0-9]?)?$/ }
        NR > 1 && ($3 !~ /^[01]$/ || !four($1) || !four($2)) { bad = 1 } END { exit bad }' \
        "$T/$s.csv" && ok || bad "$s: a label or coordinate out of form"
    expect 0 "$D" train "$T/$s.csv" --epochs 1 --dry-run
    grep_in "$T/out" "2 inputs -> .* -> 1 sigmoid"
done
# the defaults: 400 rows, the set's name for the file
mkdir "$T/here"
Dabs=$(cd "$(dirname "$D")" && pwd)/$(basename "$D")
( cd "$T/here" && "$Dabs" data make-spiral --classes 3 > out ) && ok || bad "default output"
[ "$(wc -l < "$T/here/spiral.csv")" -eq 401 ] && ok || bad "spiral.csv: $(wc -l < "$T/here/spiral.csv") lines"
[ "$(cut -d, -f3 "$T/here/spiral.csv" | sed 1d | sort -u | tr '\n' ' ')" = "0 1 2 " ] && ok || bad "three arms"
grep_in "$T/here/out" "400 rows of spiral, 3 classes, noise 0.03, seed 1"
# refusals: nothing written
mkdir "$T/w"
refused 2 "XOR has two" "$D" data make-xor --classes 3 -o "$T/w/x.csv"
refused 2 "--classes '11': expected a whole number from 2 to 10" "$D" data make-circles --classes 11 -o "$T/w/x.csv"
refused 2 "--noise '-1': expected a number from 0 to 10" "$D" data make-circles --noise -1 -o "$T/w/x.csv"
refused 2 "-n '0'" "$D" data make-circles -n 0 -o "$T/w/x.csv"
refused 2 "3 rows; use 4 (a row for each class)" "$D" data make-gaussians -n 3 --classes 4 -o "$T/w/x.csv"
refused 2 "unknown data set 'make-moons'" "$D" data make-moons -o "$T/w/x.csv"
refused 2 "which data set?" "$D" data -o "$T/w/x.csv"
refused 2 "unknown option '--radius'" "$D" data make-circles --radius 2 -o "$T/w/x.csv"
refused 1 "directory" "$D" data make-circles -o "$T/w/no/such/x.csv"
expect 0 "$D" data --help
grep_in "$T/out" "make-spiral"
finish test_data_make
