#!/bin/sh
# descent convert and descent train --memory: a row cache trains as the
# data it came from; a budget that holds the set gives the in-memory
# model byte for byte; a smaller one streams the file in windows (the
# same model again with the same seed, another than in memory), and a
# streamed run killed with -9 at random moments and resumed ends with
# the uninterrupted run's model.  Bad sizes, budgets too small, options
# a streamed run cannot honour and damaged files are refused, naming
# the file (and the offset or block).
. tests/lib.sh

# 6,000 images of 28 x 28 bytes (blocks of 1,336 rows: 5 blocks), 10
# classes, each lighting its own band of pixels over noise.
python3 - "$T/img" "$T/lab" <<'PY'
import os, random, struct, sys
n, d = 6000, 784
r = random.Random(5)
labels = bytes(r.randrange(10) for _ in range(n))
noise = bytearray(os.urandom(n * d))
for i, c in enumerate(labels):
    row = i * d
    for j in range(c * 78, c * 78 + 78):
        noise[row + j] = 200 + noise[row + j] % 56
    for j in range(d):
        if not (c * 78 <= j < c * 78 + 78): noise[row + j] //= 3
open(sys.argv[1], "wb").write(struct.pack(">IIII", 0x803, n, 28, 28) + bytes(noise))
open(sys.argv[2], "wb").write(struct.pack(">II", 0x801, n) + labels)
PY
opts="--layers 16 --epochs 3 --batch 64 --val 0 --lr 0.01 --threads 1"
args="$opts -q"

expect 0 $D convert "$T/img" "$T/rows.dnr" --labels "$T/lab"
grep_in "$T/out" "6,000 rows of 784 inputs (bytes) and 1 target"

# The cache, the IDX files, and either under a budget that holds them:
# the same model.
$D train "$T/img" --labels "$T/lab" $args -o "$T/idx.st" || bad "train on IDX"
$D train "$T/rows.dnr" $args -o "$T/cache.st" || bad "train on the cache"
$D train "$T/rows.dnr" $args --memory 1G -o "$T/fits.st" || bad "train --memory 1G"
$D train "$T/img" --labels "$T/lab" $args --memory 1G -o "$T/fitsidx.st" || bad "IDX --memory 1G"
cmp -s "$T/idx.st" "$T/cache.st" && ok || bad "the cache trains another model than its IDX files"
cmp -s "$T/cache.st" "$T/fits.st" && ok || bad "--memory 1G (the set fits) changed the model"
cmp -s "$T/cache.st" "$T/fitsidx.st" && ok || bad "IDX --memory 1G changed the model"

# 67M: the program's 64 MiB and a window of one block (1 MiB) a side.
expect 0 $D train "$T/rows.dnr" $opts --memory 67M -o "$T/s1.st"
grep_in "$T/out" "streamed within --memory 67 MiB (the rows take 4.51 MiB)"
expect 0 $D train "$T/rows.dnr" $args --memory 67M -o "$T/s2.st"
$D train "$T/img" --labels "$T/lab" $args --memory 67M -o "$T/s3.st" || bad "IDX streamed"
cmp -s "$T/s1.st" "$T/s2.st" && ok || bad "two streamed runs, same seed: different models"
cmp -s "$T/s1.st" "$T/s3.st" && ok || bad "the IDX file streamed: another model than its cache"
cmp -s "$T/s1.st" "$T/cache.st" && bad "streamed in windows yet the in-memory model" || ok
$D train "$T/rows.dnr" $args --memory 67M --seed 2 -o "$T/s4.st"
cmp -s "$T/s1.st" "$T/s4.st" && bad "another seed, the same streamed model" || ok
$D eval "$T/s1.st" "$T/rows.dnr" > "$T/eval" || bad "eval on a cache"
grep_in "$T/eval" "accuracy"

# Validation from --val-data (in memory, counted in the budget) beside
# the streamed rows; then a warm start streamed again.
expect 2 $D train "$T/rows.dnr" $opts --memory 67M --val-data "$T/img" --val-labels "$T/lab" -o "$T/v.st"
grep_in "$T/err" "give --memory 8[0-9.]* MiB or more"
expect 0 $D train "$T/rows.dnr" $opts --memory 90M --val-data "$T/img" --val-labels "$T/lab" -o "$T/v.st"
grep_in "$T/out" "split: 6000 training rows, 6000 validation rows (from --val-data)"
grep_in "$T/out" "val loss"
expect 0 $D train "$T/rows.dnr" $args --memory 67M --warm-start "$T/v.st" -o "$T/w.st"

# kill -9 at random moments of a streamed run with checkpoints every 7
# steps (mid-epoch: 94 steps an epoch), resumed until it finishes.
kargs="--layers 16 --epochs 12 --batch 64 --val 0 --lr 0.01 --threads 1 -q --memory 67M"
t0=$(date +%s%N)
$D train "$T/rows.dnr" $kargs -o "$T/ref.st" --checkpoint "$T/ref.ck" --checkpoint-every 7steps ||
    bad "reference streamed run"
ref_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
kills=0
for i in 1 2 3; do
    rm -f "$T/k.st" "$T/k.ck"
    $D train "$T/rows.dnr" $kargs -o "$T/k.st" --checkpoint "$T/k.ck" --checkpoint-every 7steps > /dev/null 2>&1 &
    pid=$!; tries=0
    while :; do
        sleep "$(awk -v s="$i$tries" -v ms=$ref_ms 'BEGIN { srand(s); printf "%.3f", (0.2 + 0.6 * rand()) * ms / 1000 }')"
        if kill -9 $pid 2>/dev/null; then kills=$((kills + 1)); fi
        wait $pid 2>/dev/null
        [ -f "$T/k.st" ] && break
        tries=$((tries + 1))
        if [ -f "$T/k.ck" ]; then $D train --resume "$T/k.ck" > /dev/null 2>&1 &
        else $D train "$T/rows.dnr" $kargs -o "$T/k.st" --checkpoint "$T/k.ck" --checkpoint-every 7steps > /dev/null 2>&1 &
        fi
        pid=$!
        [ $tries -gt 40 ] && { bad "run $i never finished"; break; }
    done
    cmp -s "$T/ref.st" "$T/k.st" && ok || bad "run $i: resumed after kill -9, another model"
done
[ $kills -ge 2 ] && ok || bad "only $kills kill -9s landed: nothing was interrupted"
echo "stream: $kills kill -9 interruptions of streamed runs (reference $ref_ms ms)"
# A resume with another budget is another run.
expect 2 $D train "$T/rows.dnr" $kargs -o "$T/k.st" --checkpoint "$T/k.ck" --memory 68M --resume "$T/k.ck"

# A CSV's encoding travels in the cache: text categories, filled gaps
# and was-missing indicators, a regression target's scaling, class
# names.  Training on the cache gives the CSV's model, byte for byte, and
# its predictions on the CSV.
awk -F, -v OFS=, 'NR > 1 && NR % 7 == 0 { $2 = "" } NR > 1 && NR % 11 == 0 { $3 = "NA" } { print }' \
    data/house.csv > "$T/messy.csv"
for f in "$T/messy.csv" data/iris.csv; do
    expect 0 $D convert "$f" "$T/c.dnr"
    $D train "$f" --layers 8 --epochs 5 --val 0 -q -o "$T/csv.st" || bad "train $f"
    $D train "$T/c.dnr" --layers 8 --epochs 5 --val 0 -q -o "$T/dnr.st" || bad "train its cache"
    cmp -s "$T/csv.st" "$T/dnr.st" && ok || bad "$f: its row cache trains another model"
    $D predict "$T/dnr.st" "$f" > "$T/p1" && $D predict "$T/csv.st" "$f" > "$T/p2" &&
        cmp -s "$T/p1" "$T/p2" && ok || bad "$f: predictions differ"
done
grep_in "$T/out" "150 rows of 4 inputs (float32)"
# Encoded with a model's schema: the rows the model reads.
expect 0 $D convert data/iris.csv "$T/w.dnr" --schema "$T/csv.st"
expect 0 $D eval "$T/csv.st" "$T/w.dnr"
expect 1 $D eval "$T/csv.st" "$T/rows.dnr"
grep_in "$T/err" "784 inputs but the model takes 4"

# Refusals.
for m in 2X 0 -1G "" G 2.5.1M; do
    expect 2 $D train "$T/rows.dnr" --memory "$m" -o "$T/x.st"
    grep_in "$T/err" "e.g. 2G"
done
expect 2 $D train "$T/rows.dnr" --memory 10K -o "$T/x.st"
grep_in "$T/err" "give --memory 6[0-9.]* MiB or more"
expect 2 $D train "$T/rows.dnr" --memory 67M --val 0.2 -o "$T/x.st"
grep_in "$T/err" "give --val-data FILE"
expect 2 $D train "$T/rows.dnr" --memory 67M --opt lbfgs -o "$T/x.st"
grep_in "$T/err" "full-batch solvers"
printf 'a,b\n1,2\n3,4\n' > "$T/t.csv"
expect 1 $D train "$T/t.csv" --memory 1G -o "$T/x.st"
grep_in "$T/err" "descent convert"
gzip -c "$T/img" > "$T/img.gz"
expect 1 $D train "$T/img.gz" --labels "$T/lab" --memory 67M -o "$T/x.st"
grep_in "$T/err" "gunzip it first"
size=$(wc -c < "$T/rows.dnr")
head -c $((size - 5)) "$T/rows.dnr" > "$T/cut.dnr"
expect 1 $D train "$T/cut.dnr" --memory 67M -o "$T/x.st"
grep_in "$T/err" "cut.dnr: truncated: the file ends at offset $((size - 5))"
expect 1 $D eval "$T/s1.st" "$T/cut.dnr"
grep_in "$T/err" "cut.dnr: truncated"
# One byte of row 3,000 (block 2: 1,330 rows a block) changed: found
# when that block is read.  The rows start at the offset in bytes 40..47.
x_off=$(od -An -t u8 -j 40 -N 8 "$T/rows.dnr" | tr -d ' ')
cp "$T/rows.dnr" "$T/flip.dnr"
printf '\377' | dd of="$T/flip.dnr" bs=1 seek=$((x_off + 2999 * 784 + 9)) conv=notrunc 2> /dev/null
expect 1 $D train "$T/flip.dnr" $args --memory 67M -o "$T/x.st"
grep_in "$T/err" "flip.dnr: block 2 (rows 2661 to 3990, inputs at offset $((x_off + 2660 * 784))) does not match its checksum"
[ ! -e "$T/x.st" ] && ok || bad "a failed run wrote a model"
expect 2 $D convert "$T/img"
grep_in "$T/err" "give DATA and OUT"
expect 2 $D convert "$T/img" "$T/x.dnr"
grep_in "$T/err" "give its labels with --labels FILE"
[ ! -e "$T/x.dnr" ] && ok || bad "a refused convert wrote its output"
finish test_stream
