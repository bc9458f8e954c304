#!/bin/sh
# `descent cv`: K-fold cross-validation on iris and digits prints every
# fold and the mean ± std, the same for the same seed and different for
# another; the folds are stratified (each iris fold holds 10 of each
# class: the test sizes say 30); the mean and std are those of the
# per-fold figures; --repeats gives R x K folds, --keep saves them,
# --refit saves a model trained on all rows; refusals say what to do and
# make nothing.
. tests/lib.sh

expect 0 $D cv data/iris.csv --folds 5 --epochs 30 --seed 3
cp "$T/out" "$T/iris1"
grep_in "$T/iris1" "150 rows, multiclass (3 classes); 5 folds, stratified by class, seed 3"
rows=$(grep -c '^ *[1-5]  *120  *30  *0\.[0-9]*  *[0-9.]*$' "$T/iris1")
[ "$rows" -eq 5 ] && ok || bad "iris: $rows fold lines of 120 train / 30 test rows, want 5"
grep_in "$T/iris1" "^accuracy 0\.[0-9]* ± 0\.[0-9]*   loss .* (mean ± std over 5 folds)"
# mean and std (ddof 0) of the fold lines
want=$(awk '$1 ~ /^[1-5]$/ && NF == 5 { a[++n] = $4 } END { for (i = 1; i <= n; i++) s += a[i]; m = s / n
    for (i = 1; i <= n; i++) q += (a[i] - m) ^ 2; printf "%.3f %.3f", m, sqrt(q / n) }' "$T/iris1")
got=$(sed -n 's/^accuracy \([0-9.]*\) ± \([0-9.]*\) .*/\1 \2/p' "$T/iris1" | awk '{ printf "%.3f %.3f", $1, $2 }')
if awk -v g="$got" -v w="$want" 'BEGIN { split(g, a, " "); split(w, b, " ")
    exit !((a[1] - b[1]) ^ 2 < 1e-5 && (a[2] - b[2]) ^ 2 < 1e-5) }'; then ok
else bad "iris: mean ± std '$got', the fold lines give '$want'"; fi
# reproducible by seed, different with another
expect 0 $D cv data/iris.csv --folds 5 --epochs 30 --seed 3
cmp -s "$T/out" "$T/iris1" && ok || bad "iris: the same seed gave other output"
expect 0 $D cv data/iris.csv --folds 5 --epochs 30 --seed 4
cmp -s "$T/out" "$T/iris1" && bad "iris: seeds 3 and 4 gave the same output" || ok

# digits: 10 classes, folds of 359 or 360 rows
expect 0 $D cv data/digits.csv --folds 5 --epochs 8 --layers 32 --seed 2
cp "$T/out" "$T/dig1"
grep_in "$T/dig1" "1797 rows, multiclass (10 classes); 5 folds"
sizes=$(awk '$1 ~ /^[1-5]$/ && NF == 5 { print $3 }' "$T/dig1" | sort -u | tr '\n' ' ')
[ "$sizes" = "359 360 " ] && ok || bad "digits: test sizes '$sizes', want 359 and 360"
acc=$(sed -n 's/^accuracy \([0-9.]*\) ± .*/\1/p' "$T/dig1")
num_ge "$acc" 0.85 "digits cv mean accuracy"
expect 0 $D cv data/digits.csv --folds 5 --epochs 8 --layers 32 --seed 2
cmp -s "$T/out" "$T/dig1" && ok || bad "digits: the same seed gave other output"

# repeats, --keep, --refit; regression folds
expect 0 $D cv data/iris.csv --folds 3 --repeats 2 --epochs 20 --keep "$T/keep" --refit -o "$T/refit.st"
lines=$(grep -c '^ *[12]  *[1-3]  *100  *50 ' "$T/out")
[ "$lines" -eq 6 ] && ok || bad "repeats: $lines fold lines, want 6"
grep_in "$T/out" "(mean ± std over 6 folds, all repeats)"
r1=$(awk '$1 == 1 && NF == 6 { print $5 }' "$T/out" | tr '\n' ' ')
r2=$(awk '$1 == 2 && NF == 6 { print $5 }' "$T/out" | tr '\n' ' ')
[ "$r1" != "$r2" ] && ok || bad "repeats 1 and 2 gave the same folds' figures ($r1)"
[ "$(ls "$T/keep" | wc -l)" -eq 6 ] && ok || bad "--keep: $(ls "$T/keep")"
expect 0 $D summary "$T/keep/repeat-2-fold-3.safetensors"
expect 0 $D eval "$T/refit.st" data/iris.csv --json
expect 0 $D cv data/house.csv --target price --folds 4 --epochs 10
grep_in "$T/out" "4 folds, plain (shuffled)"
grep_in "$T/out" "^R2 0\.[0-9]* ± .*   RMSE .* ± .*   MAE "

# refusals: exit 2 or 1, a message naming what to do, nothing made
mkdir "$T/w"
refused 2 "--folds '1': expected the number of folds" $D cv data/iris.csv --folds 1
refused 2 "--folds 'five'" $D cv data/iris.csv --folds five
refused 2 "class 'setosa' has 50 rows; use 50 folds or fewer" \
    $D cv data/iris.csv --folds 51 --keep "$T/w/k" --refit -o "$T/w/m.st"
refused 2 "1001 folds of 1000 rows" $D cv data/house.csv --folds 1001 --keep "$T/w/k"
refused 2 "--history is about one training run" $D cv data/iris.csv --history "$T/w/h.csv"
refused 2 "--resume is about one training run" $D cv data/iris.csv --resume "$T/w/c.ckpt"
refused 2 "add --refit, or drop -o" $D cv data/iris.csv -o "$T/w/m.st"
refused 2 "--refit needs -o MODEL" $D cv data/iris.csv --refit
refused 2 "descent cv: --lr 'abc'" $D cv data/iris.csv --lr abc
refused 2 "is the DATA itself" $D cv data/iris.csv --refit -o data/iris.csv
refused 1 "$T/w/no/m.st" $D cv data/iris.csv --refit -o "$T/w/no/m.st"
expect 0 $D cv --help
grep_in "$T/out" "usage: descent cv DATA"

finish test_cv
