#!/bin/sh
# Every option of `descent train` survives a resume: for each option the
# help lists, a run started with it is resumed by the same command line
# plus --resume (accepted), and the same line with another value is
# refused naming that option, so no option can be lost between a run and
# its resume.  Options that change no bit of the result (--epochs,
# --threads, ...) are accepted with a new value.  An option added to the
# parser but not to the table below fails the test.
. tests/lib.sh

iris=data/iris.csv
cp $iris "$T/iris2.csv"; cp $iris "$T/iris3.csv"
idx_images "$T/img.idx" 40 4 4 2
idx_labels "$T/lab.idx" 40 2
cp "$T/lab.idx" "$T/lab2.idx"
$D train $iris --layers 4 --epochs 1 -q -o "$T/w1.st" || bad "warm model 1"
$D train $iris --layers 4 --epochs 2 -q -o "$T/w2.st" || bad "warm model 2"
$D data make-xor -n 40 -o "$T/plane.csv" > /dev/null || bad "a two-input table"

# option|context|first value|other value; + and - mean a flag given and
# not given; context DATA words: HOUSE, IDX and PLANE (two inputs) replace
# the iris CSV.
cat > "$T/table" <<EOF
target||-1|5
task||multiclass|auto
labels|IDX|$T/lab.idx|$T/lab2.idx
val||0.2|0.3
val-data||$T/iris2.csv|$T/iris3.csv
val-labels|IDX --val-data $T/img.idx|$T/lab.idx|$T/lab2.idx
no-standardize||+|-
sep||,|;
na||NA|?
missing||impute|error
categorical||sepal_length|petal_width
drop||sepal_length|petal_width
class-weight||balanced|setosa=2
sample-weight|HOUSE|rooms|area
layers||4|5
act||tanh|relu
loss||ce|mse
init||normal|glorot_uniform
init-eps|--init normal|0.02|0.03
warm-start|NOLAYERS|$T/w1.st|$T/w2.st
opt||sgd|adam
lr||0.01|0.02
momentum|--opt momentum|0.8|0.7
dampening|--opt momentum|0.1|0.2
alpha|--opt rmsprop|0.9|0.8
centered|--opt rmsprop|+|-
beta1|--opt adam|0.8|0.7
beta2|--opt adam|0.99|0.98
amsgrad|--opt adam|+|-
eps|--opt adam|1e-7|1e-6
lr-decay|--opt adagrad|0.1|0.2
batch||16|8
gtol|--opt lbfgs|1e-5|1e-4
ftol|--opt lbfgs|1e-8|1e-7
max-evals|--opt lbfgs|100|200
lbfgs-m|--opt lbfgs|5|6
cg-beta|--opt cg|fr|pr+
lm-rule|HOUSE --opt lm|more|trainlm
cg-restart|--opt cg|5|6
c1|--opt lbfgs|1e-3|1e-2
c2|--opt lbfgs|0.8|0.7
ls-max|--opt lbfgs|20|21
mu|HOUSE --opt lm|0.01|0.02
mu-dec|HOUSE --opt lm|0.2|0.3
mu-inc|HOUSE --opt lm|5|6
mu-max|HOUSE --opt lm|1e9|1e8
max-params|HOUSE --opt lm|3000|3001
hf-cg-max|--opt hf|50|60
hf-rows|--opt hf|100|200
hf-decay|--opt hf|0.9|0.8
l2||0.01|0.02
weight-decay||0.01|0.02
dropout||0.1|0.2
clip||1|2
schedule||step|exp
step-size|--schedule step|5|6
gamma|--schedule step|0.5|0.4
t-max|--schedule cosine|5|6
eta-min|--schedule cosine|0.0001|0.0002
factor|--schedule plateau|0.5|0.4
plateau-patience|--schedule plateau|3|4
threshold|--schedule plateau|0.001|0.002
threshold-mode|--schedule plateau|abs|rel
cooldown|--schedule plateau|1|2
min-lr|--schedule plateau|0.0001|0.0002
warmup||2|3
pct-start|--schedule onecycle|0.3|0.4
div-factor|--schedule onecycle|25|20
final-div-factor|--schedule onecycle|10000|1000
patience||3|4
min-delta||0.01|0.02
monitor||val_acc|train_loss
no-restore-best||+|-
tol||0.001|0.002
tol-epochs||2|3
history||$T/h1.csv|$T/h2.csv
tensorboard||$T/tb1|$T/tb2
plot||$T/p1.svg|$T/p2.svg
boundary|PLANE|$T/b1|$T/b2
boundary-every|PLANE --boundary $T/b0|1|2
seed||2|3
memory|IDX|1G|2G
checkpoint|SELF|$T/ck|$T/ck-other
output|SELF|$T/m.st|$T/m-other.st
EOF
# Free to change: a new value is accepted.
cat > "$T/free" <<EOF
epochs|1|2
threads|1|2
checkpoint-every|1|2
plot-log|+|-
no-health|+|-
quiet|+|-
verbose|+|-
dry-run|-|+
EOF
# Not options of a run: how to start one.
skip="help resume accept-outputs logdir"  # (logdir: TensorBoard's, in an example)

words() {  # words OPT VALUE: "--opt value", "--opt" for +, nothing for -
    case $2 in +) echo "--$1" ;; -) ;; *) echo "--$1 $2" ;; esac
}
base() {  # base CONTEXT: DATA and the context's options
    ctx=$1
    case $ctx in
    HOUSE*) echo "data/house.csv --layers 4 ${ctx#HOUSE}" ;;
    IDX*) echo "$T/img.idx --labels $T/lab.idx --layers 4 ${ctx#IDX}" ;;
    NOLAYERS*) echo "$iris" ;;
    PLANE*) echo "$T/plane.csv --layers 4 ${ctx#PLANE}" ;;
    *) echo "$iris --layers 4 $ctx" ;;
    esac
}

listed=$($D train --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u | sed 's/^--//')
for o in $listed; do
    case " $skip " in *" $o "*) continue ;; esac
    if grep -q "^$o|" "$T/table"; then
        line=$(grep "^$o|" "$T/table")
        ctx=$(echo "$line" | cut -d'|' -f2); a=$(echo "$line" | cut -d'|' -f3)
        b=$(echo "$line" | cut -d'|' -f4)
        rm -rf "$T/ck" "$T/m.st"
        if [ "$ctx" = SELF ]; then
            # -o and --checkpoint are part of every line below.
            first="$(base '') --epochs 1 -q -o $T/m.st --checkpoint $T/ck"
            [ $o = checkpoint ] && other="$(base '') --epochs 1 -q -o $T/m.st --checkpoint $b"
            [ $o = output ] && other="$(base '') --epochs 1 -q -o $b --checkpoint $T/ck"
        else
            first="$(base "$ctx") $(words $o "$a") --epochs 1 -q -o $T/m.st --checkpoint $T/ck"
            other="$(base "$ctx") $(words $o "$b") --epochs 1 -q -o $T/m.st --checkpoint $T/ck"
        fi
        if ! $D train $first > /dev/null 2> "$T/err"; then
            bad "--$o: the first run failed: $(cat "$T/err")"; continue
        fi
        $D train $first --resume "$T/ck" > /dev/null 2> "$T/err" && ok ||
            bad "--$o: the same arguments with --resume were refused: $(cat "$T/err")"
        $D train $other --resume "$T/ck" > /dev/null 2> "$T/err"; rc=$?
        [ $rc -eq 2 ] && grep -q -- "--$o was" "$T/err" && ok ||
            bad "--$o: another value ($b for $a) was not refused by name: exit $rc, $(cat "$T/err")"
    elif grep -q "^$o|" "$T/free"; then
        line=$(grep "^$o|" "$T/free")
        a=$(echo "$line" | cut -d'|' -f2); b=$(echo "$line" | cut -d'|' -f3)
        rm -rf "$T/ck" "$T/m.st"
        $D train $iris --layers 4 --epochs 1 -q $(words $o "$a") -o "$T/m.st" --checkpoint "$T/ck" \
            > /dev/null 2> "$T/err" || { bad "--$o: first run: $(cat "$T/err")"; continue; }
        $D train $iris --layers 4 --epochs 1 -q $(words $o "$b") -o "$T/m.st" --checkpoint "$T/ck" \
            --resume "$T/ck" > /dev/null 2> "$T/err" && ok ||
            bad "--$o: changing it ($a to $b) on resume was refused: $(cat "$T/err")"
    else
        bad "--$o is an option of descent train that this test (and perhaps cli/train_same.c) does not know"
    fi
done
[ $(echo "$listed" | wc -l) -gt 60 ] && ok || bad "only $(echo "$listed" | wc -l) options found in --help"

# A re-run command may also repeat the network of its --warm-start model:
# accepted when it matches, refused naming both networks when not.
$D train $iris --warm-start "$T/w1.st" --layers 4 --act relu --loss ce --epochs 1 -q -o "$T/w3.st" 2> "$T/err" && ok ||
    bad "--warm-start with its own --layers 4: $(cat "$T/err")"
$D train $iris --warm-start "$T/w1.st" --layers 4,2 --epochs 1 -q -o "$T/w3.st" 2> "$T/err"; rc=$?
[ $rc -eq 2 ] && grep -q "holds the network 4 inputs -> 4 relu -> 3 softmax, loss ce; the options ask for 4 inputs -> 4 relu -> 2 relu -> 3 softmax" "$T/err" && ok ||
    bad "--warm-start with other --layers: exit $rc, $(cat "$T/err")"
$D train $iris --warm-start "$T/w1.st" --act tanh --epochs 1 -q -o "$T/w3.st" 2> "$T/err"; rc=$?
[ $rc -eq 2 ] && grep -q "ask for 4 inputs -> 4 tanh -> 3 softmax" "$T/err" && ok ||
    bad "--warm-start with another --act: exit $rc, $(cat "$T/err")"

finish test_resume_args
