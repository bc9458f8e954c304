#!/bin/sh
# bench/stream.sh — training on data larger than memory (issue 18): a
# synthetic MNIST-shaped IDX file of N rows (10M × 784 bytes = 7.8 GB by
# default) streamed under `--memory 2G`, against the same network in
# memory on its first SUB rows (1M: 784 MB, which fits); then a run
# killed with -9 in the middle of its streamed epoch and resumed, whose
# model must be the uninterrupted run's byte for byte.  Peak RSS and CPU
# seconds from /usr/bin/time -v; samples/s from the epoch's seconds in
# --history.  The machine is shared: the in-memory and streamed runs
# alternate REPS times (default 3) and the medians are reported, beside
# the CPU time per row, which other processes' load does not inflate.
# Writes bench/STREAM.md (bench/report.py appends it to RESULTS.md) and
# deletes the data files.  A benchmark: run it under the lock,
#
#   flock /work/bench.lock sh bench/stream.sh [DIR]
#
# DIR (default /tmp/descent-stream) needs N × 785 bytes free.
set -e
B=${B:-build}
D=$B/descent
DIR=${1:-/tmp/descent-stream}
N=${N:-10000000}
SUB=${SUB:-1000000}
MEM=${MEM:-2G}
REPS=${REPS:-3}
OUT=${OUT:-bench/STREAM.md}
mkdir -p "$DIR"
trap 'rm -f "$DIR"/big-* "$DIR"/sub-* "$DIR"/k.ckpt' EXIT
cc -O2 bench/stream_gen.c -o "$B/stream_gen"
t0=$(date +%s)
"$B/stream_gen" "$DIR/big-images" "$DIR/big-labels" "$N"
"$B/stream_gen" "$DIR/sub-images" "$DIR/sub-labels" "$SUB"
gen_s=$(( $(date +%s) - t0 ))
# W1 of bench/RESULTS.md: 784-16-16-10 ReLU, SGD 0.1, batch 32, one epoch
# (inputs as they are: the scaling's two passes over the file cost per
# row what they cost in memory, and are not the epoch).
net="--layers 16,16 --opt sgd --lr 0.1 --batch 32 --val 0 --epochs 1 --no-health --no-standardize -q"

# run NAME ARGS...: descent train under /usr/bin/time -v; sets rss (MiB),
# secs (the epoch's), cpu (user + system s of the process) and wall (s).
run() {
    name=$1; shift
    /usr/bin/time -v "$D" train "$@" --history "$DIR/$name.csv" \
        > "$DIR/$name.out" 2> "$DIR/$name.time" || {
        echo "$name failed:"; tail -n 5 "$DIR/$name.out" "$DIR/$name.time"; exit 1; }
    rss=$(awk '/Maximum resident/ { printf "%.0f", $6 / 1024 }' "$DIR/$name.time")
    wall=$(awk '/Elapsed \(wall/ { n = split($8, t, ":"); s = 0; for (i = 1; i <= n; i++) s = 60 * s + t[i]; print s }' "$DIR/$name.time")
    cpu=$(awk '/User time|System time/ { s += $NF } END { print s }' "$DIR/$name.time")
    secs=$(awk -F, 'NR == 2 { print $9 }' "$DIR/$name.csv")
    echo "$name: peak RSS $rss MiB, epoch $secs s, CPU $cpu s, wall $wall s"
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
load0=$(cut -d' ' -f1-3 /proc/loadavg)
mem_list=""; big_list=""; memc_list=""; bigc_list=""; mem_rss=0; big_rss=0
i=0
while [ $i -lt "$REPS" ]; do
    i=$((i + 1))
    run mem "$DIR/sub-images" --labels "$DIR/sub-labels" $net -o "$DIR/mem.st"
    mem_list="$mem_list $secs"; memc_list="$memc_list $cpu"
    [ "$rss" -gt "$mem_rss" ] && mem_rss=$rss
    run big "$DIR/big-images" --labels "$DIR/big-labels" $net --memory "$MEM" -o "$DIR/big.st"
    big_list="$big_list $secs"; bigc_list="$bigc_list $cpu"; big_wall=$wall
    [ "$rss" -gt "$big_rss" ] && big_rss=$rss
    cp "$DIR/big.st" "$DIR/big$i.st"
done
mem_s=$(median $mem_list); big_s=$(median $big_list)
mem_c=$(median $memc_list); big_c=$(median $bigc_list)
run small "$DIR/sub-images" --labels "$DIR/sub-labels" $net --memory 512M -o "$DIR/small.st"
small_rss=$rss; small_s=$secs; small_c=$cpu
same_reps=identical
for f in "$DIR"/big[0-9]*.st; do cmp -s "$f" "$DIR/big.st" || same_reps=DIFFERENT; done

# The same run with a checkpoint every eighth of its epoch, killed with
# -9 a quarter of an epoch after its first checkpoint (mid-epoch, between
# two checkpoints), resumed from the last one.
every=$(( N / 32 / 8 ))
ck="--checkpoint $DIR/k.ckpt --checkpoint-every ${every}steps"
rm -f "$DIR/k.ckpt"
"$D" train "$DIR/big-images" --labels "$DIR/big-labels" $net --memory "$MEM" \
    -o "$DIR/k.st" $ck > "$DIR/k.out" 2>&1 &
pid=$!
while [ ! -f "$DIR/k.ckpt" ] && kill -0 $pid 2> /dev/null; do sleep 0.2; done
sleep "$(awk -v s="$big_s" 'BEGIN { printf "%.1f", s * 0.25 }')"
kill -9 $pid 2> /dev/null && killed=yes || killed=no
wait $pid 2> /dev/null || true
/usr/bin/time -v "$D" train --resume "$DIR/k.ckpt" > "$DIR/r.out" 2> "$DIR/r.time"
resume_rss=$(awk '/Maximum resident/ { printf "%.0f", $6 / 1024 }' "$DIR/r.time")
cmp -s "$DIR/big.st" "$DIR/k.st" && same=identical || same=DIFFERENT
load1=$(cut -d' ' -f1-3 /proc/loadavg)
cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
memtotal=$(awk '/MemTotal/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)

rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
per() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.2f", s / n * 1e6 }'; }
mem_rate=$(rate "$SUB" "$mem_s"); small_rate=$(rate "$SUB" "$small_s"); big_rate=$(rate "$N" "$big_s")
ratio=$(awk -v a="$big_rate" -v b="$mem_rate" 'BEGIN { printf "%.2f", a / b }')
mem_cr=$(per "$SUB" "$mem_c"); big_cr=$(per "$N" "$big_c"); small_cr=$(per "$SUB" "$small_c")
cratio=$(awk -v a="$big_cr" -v b="$mem_cr" 'BEGIN { printf "%.2f", b / a }')
gb=$(awk -v n="$N" 'BEGIN { printf "%.2f", n * 784 / 1e9 }')
cat > "$OUT" <<MD
## Data larger than memory (bench/stream.sh)

\`flock /work/bench.lock sh bench/stream.sh\` on $(date -u +%Y-%m-%d), $cpu,
$(nproc) cores, $memtotal GiB of RAM, shared with other work (load average
$load0 before, $load1 after).  Synthetic MNIST-shaped IDX files
(bench/stream_gen.c, uncompressed): $N rows × 784 bytes ($gb GB) streamed
under \`--memory $MEM\`, against the same network in memory on the first
$SUB rows.  W1: 784-16-16-10 ReLU, SGD 0.1, batch 32, one epoch, threads
left to descent; descent at commit $(git rev-parse --short HEAD 2>/dev/null).
Generating the files took $gen_s s (not timed below).

| run | rows | --memory | peak RSS | epoch (median of $REPS) | samples/s | CPU s per 1M rows (process) |
|---|---|---|---|---|---|---|
| in memory | $SUB | — | $mem_rss MiB | $mem_s s ($mem_list) | $mem_rate | $mem_cr |
| streamed | $N | $MEM | $big_rss MiB | $big_s s ($big_list) | $big_rate | $big_cr |
| streamed in windows, once (the set does not fit) | $SUB | 512M | $small_rss MiB | $small_s s | $small_rate | $small_cr |

- Throughput streamed / in memory, epoch samples/s: **$ratio**; by the CPU
  time a row costs the whole process: **$cratio** (target ≥ 0.80).  The
  epochs' wall times move with the other work on the machine; the CPU
  time does not.
- Peak RSS of the $N-row run: **$big_rss MiB** under a budget of $MEM
  (the file is $gb GB); its $REPS runs gave $same_reps models.
- kill -9 a quarter of an epoch after the first of its checkpoints
  (one every $every steps; killed: $killed), then
  \`descent train --resume\`: the model is **$same** to the
  uninterrupted run's (cmp); the resumed process peaked at $resume_rss MiB.

Commands (DIR = $DIR):

\`\`\`
$D train DIR/sub-images --labels DIR/sub-labels $net -o mem.st      # $REPS times, alternated
$D train DIR/big-images --labels DIR/big-labels $net --memory $MEM -o big.st   # with this
$D train DIR/sub-images --labels DIR/sub-labels $net --memory 512M -o small.st
$D train DIR/big-images --labels DIR/big-labels $net --memory $MEM -o k.st $ck   # kill -9
$D train --resume DIR/k.ckpt
\`\`\`
MD
cat "$OUT"
