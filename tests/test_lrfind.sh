#!/bin/sh
# descent lr-find on digits (bundled: scikit-learn's load_digits): the
# suggested rate must be one at which 10 epochs of training work, the
# picture an SVG an XML parser accepts with its series and marks, and
# descent train --lr find must train at that same suggestion.
. tests/lib.sh
PY=/usr/bin/python3
net="--layers 64 --seed 1"
expect 0 "$D" lr-find data/digits.csv $net -o "$T/lr.svg" --csv
cp "$T/out" "$T/find"
s=$(sed -n 's/^suggested: //p' "$T/find")
div=$(sed -n 's/.*diverged at \([0-9.e+-]*\);.*/\1/p' "$T/find")
[ -n "$s" ] && ok || bad "no suggestion: $(head -3 "$T/find")"
# in the sweep, below where it diverged
awk -v s="$s" -v d="$div" 'BEGIN { exit !(s > 1e-7 && (d == "" || s < d)) }' \
    && ok || bad "suggestion $s, diverged at $div"
# the CSV: as many steps as the sweep said, rates rising by the same factor
"$PY" - "$T/find" <<'PYEOF' && ok || bad "CSV of the sweep"
import sys, math
rows = [l.split(",") for l in open(sys.argv[1]) if l[:1].isdigit() and "," in l]
eta = [float(r[1]) for r in rows]
assert len(eta) >= 20, len(eta)
for a, b in zip(eta, eta[1:]):
    assert abs(math.log10(b / a) - 8 / 199) < 1e-7, (a, b)
PYEOF
"$PY" -c "
import sys, xml.etree.ElementTree as E
t = E.parse(sys.argv[1]); ids = {e.get('id') for e in t.iter()}
sys.exit(not {'loss', 'smooth', 'suggest'} <= ids)" "$T/lr.svg" \
    && ok || bad "the SVG does not parse or lacks a part"
# 10 epochs at the suggestion train the digits
expect 0 "$D" train data/digits.csv $net --lr "$s" --epochs 10 --patience 0 -o "$T/m.safetensors"
# (accuracy alone is not enough: at the rate where the sweep diverged,
# 0.821, the accuracy still reaches 94.7% with a validation loss of 430;
# at adam's default 0.001, 94.2% and 0.170)
acc=$(sed -n 's/^epoch 10\/10 .*val loss [0-9.]*  acc *\([0-9.]*\)%.*/\1/p' "$T/out")
vl=$(sed -n 's/^epoch 10\/10 .*val loss \([0-9.]*\) .*/\1/p' "$T/out")
num_ge "${acc:-0}" 95 "validation accuracy after 10 epochs at the suggested $s"
num_ge 0.15 "${vl:-9}" "validation loss after 10 epochs at the suggested $s"
# --lr find: the same suggestion, said, and used
expect 0 "$D" train data/digits.csv $net --lr find --epochs 1 -o "$T/m2.safetensors"
grep_in "$T/out" "^lr: $s, the range test's suggestion (--lr find)$"
grep_in "$T/out" "optimizer: adam .*lr $(echo "$s" | cut -c1-6).* (--lr find)"
# refusals
expect 2 "$D" lr-find data/digits.csv --opt lbfgs
expect 2 "$D" lr-find data/digits.csv --steps 2
expect 2 "$D" lr-find data/digits.csv --start 1 --end 0.1
grep_in "$T/err" "end rate"
expect 2 "$D" train data/digits.csv --lr find --opt lbfgs
finish test_lrfind
