#!/bin/sh
# descent trace: the one-parameter example against the notes' numbers
# (w_k = 3 - 3*0.8^k), and one step of a 2-2-2 sigmoid network whose every
# printed number must equal a hand computation (tests/trace_hand.py, from
# the notes' equations), with --check's finite differences within 1e-4.
. tests/lib.sh
PY=/usr/bin/python3

# --- the notes' example: C(w) = (w-3)^2, w0 = 0, eta 0.1 ---
expect 0 "$D" trace --fn "(w-3)^2" --w0 0 --lr 0.1 --steps 5
cp "$T/out" "$T/fn"
# rows "k w C C'": w_k = 3 - 3*0.8^k, C = (w-3)^2, C' = 2(w-3)
awk '$1 ~ /^[0-9]+$/ && NF == 4 {
    n++; k = $1; w = 3 - 3 * 0.8 ^ k
    if (($2 - w) ^ 2 > 1e-11 || ($3 - (w-3)^2) ^ 2 > 1e-9 || ($4 - 2*(w-3)) ^ 2 > 1e-10) {
        print "step " k ": " $0 " (want w " w ")"; bad = 1 } }
    END { if (n != 6) { print n " rows"; bad = 1 } exit bad }' "$T/fn" && ok || bad "(w-3)^2 trace"
grep -q '^ *1 *0\.6 ' "$T/fn" && ok || bad "w1 is not 0.6"
grep -q '^ *2 *1\.08 ' "$T/fn" && ok || bad "w2 is not 1.08"
# 30 steps: still the closed form (the float w keeps 6 digits)
expect 0 "$D" trace --fn "(w - 3)^2" --steps 30
awk '$1 ~ /^[0-9]+$/ && NF == 4 { n++; w = 3 - 3 * 0.8 ^ $1; if (($2 - w) ^ 2 > 3.6e-11) bad = 1 }
    END { exit bad || n != 31 }' "$T/out" && ok || bad "30 steps off the closed form"
# --check: the finite difference beside C'(w); another function, exactly derived
expect 0 "$D" trace --fn "sin(w) + w^2/2 - 3w" --w0 0.5 --steps 3 --check
awk '$1 ~ /^[0-9]+$/ && NF == 5 { n++; w = $2; d = cos(w) + w - 3
    if (($4 - d) ^ 2 > 1e-10 || ($5 - d) ^ 2 > 1e-10) bad = 1 }
    END { exit bad || n != 4 }' "$T/out" && ok || bad "C' or its finite difference: $(cat "$T/out")"
expect 0 "$D" trace --fn "(w-3)^2" --steps 2 --format markdown
grep_in "$T/out" '^| 1 | 0.6 | 5.76 | -4.8 |$'
expect 0 "$D" trace --fn "(w-3)^2" --steps 2 --format latex
grep_in "$T/out" '^2 & 1.08 & 3.6864 & -3.84 \\\\$'
grep_in "$T/out" 'end{tabular}'
# bad expressions: exit 2, the column and what was expected
for e in "(w-3|column 5: expected ')'" "w+|column 3: expected a number" \
         "2*x|unknown name 'x'" "w)|a ')' without its '('" \
         "sin w|sin needs its argument in parentheses" "|empty" \
         "3 4|column 3: expected an operator" "1e999|beyond the largest double"; do
    expect 2 "$D" trace --fn "${e%%|*}"
    grep_in "$T/err" "${e#*|}"
done
# a diverging run says so: exit 1
expect 1 "$D" trace --fn "w^4" --w0 10 --lr 1 --steps 20
grep_in "$T/err" "not a finite number"

# --- one step of a 2-2-2 network: sigmoid hidden units, softmax + CE ---
printf 'x1,x2,y\n0.05,0.1,a\n0.9,0.2,b\n0.3,0.8,a\n0.6,0.7,b\n' > "$T/d.csv"
net="--task multiclass --layers 2 --act sigmoid --no-standardize --seed 3"
expect 0 "$D" trace "$T/d.csv" $net --opt sgd --lr 0.5 --check
cp "$T/out" "$T/one"
grep_in "$T/one" "2 inputs -> 2 sigmoid -> 2 softmax"
grep_in "$T/one" "delta2 = dC/dz2 = a - y"
grep_in "$T/one" "delta1 = (W2^T delta2) \* f'(z1)"
"$PY" tests/trace_hand.py "$T/one" sgd 0.5 0 "0.05,0.1" 0 check > "$T/hand" 2>&1 \
    && ok || bad "one row, sgd, against the hand computation: $(cat "$T/hand")"
grep_in "$T/hand" "checked [0-9][0-9]* numbers"
# the hand computation can fail: one digit changed in dC/dW2
sed 's/^\(  dC\/dW2 = \[ *-\{0,1\}[0-9]\.[0-9]\)[0-9]/\19/' "$T/one" > "$T/bad"
cmp -s "$T/one" "$T/bad" && bad "the tampering changed nothing"
"$PY" tests/trace_hand.py "$T/bad" sgd 0.5 0 "0.05,0.1" 0 > /dev/null 2>&1 \
    && bad "a changed number passed the hand computation" || ok
# the largest gap --check reports is below 1e-4
gap=$(sed -n 's/.*finite difference| over the [0-9]* parameters: \(.*\))$/\1/p' "$T/one")
awk -v g="$gap" 'BEGIN { exit !(g != "" && g + 0 < 1e-4) }' && ok || bad "--check gap '$gap'"
# three rows, adam, L2
expect 0 "$D" trace "$T/d.csv" $net --opt adam --lr 0.1 --l2 0.01 --rows 1..3 --check
"$PY" tests/trace_hand.py "$T/out" adam 0.1 0.01 "0.05,0.1;0.9,0.2;0.3,0.8" 0,1,0 check \
    > "$T/hand" 2>&1 && ok || bad "three rows, adam, L2: $(cat "$T/hand")"
grep_in "$T/out" "1 - beta1^t = 0.1"
# formats: the same step in TeX
expect 0 "$D" trace "$T/d.csv" $net --opt sgd --lr 0.5 --format markdown
grep_in "$T/out" '^\$\$ z^{(1)} = W^{(1)} a^{(0)} + b^{(1)} \$\$$'
grep_in "$T/out" '^### Layer 1: 2 sigmoid units$'
grep_in "$T/out" 'begin{bmatrix}'
expect 0 "$D" trace "$T/d.csv" $net --opt sgd --lr 0.5 --format latex
grep_in "$T/out" '^\\\[ \\delta^{(2)} = '
grep_in "$T/out" 'subsection\*{Output error}'
# a wide layer is abbreviated unless --full
expect 0 "$D" trace "$T/d.csv" --layers 9 --seed 1
grep_in "$T/out" "abbreviated: --full shows all"
expect 0 "$D" trace "$T/d.csv" --layers 9 --seed 1 --full
grep -q abbreviated "$T/out" && bad "--full abbreviated" || ok
# refusals
expect 2 "$D" trace "$T/d.csv" --rows 3..9
grep_in "$T/err" "has 4 rows"
expect 2 "$D" trace "$T/d.csv" --rows 0
expect 2 "$D" trace "$T/d.csv" --opt lbfgs
grep_in "$T/err" "full-batch solvers"
expect 2 "$D" trace "$T/d.csv" --dropout 0.5
expect 2 "$D" trace "$T/d.csv" --format html
finish test_trace
