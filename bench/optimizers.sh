#!/bin/sh
# Compares the first-order optimizers on the same tasks, from the same
# initialization, split and batch order (--seed 1): epochs and seconds to
# reach a target validation accuracy, and the final accuracy.  Writes a
# Markdown table to stdout (docs/optimizers.md quotes it).
#
#   sh bench/optimizers.sh > /tmp/table.md
#
# Needs: a built descent (make); for the Fashion-MNIST rows Debian's
# dataset-fashion-mnist and /usr/bin/python3 (to cut a 10,000-image
# subset); without them those rows are left out and the script says so.
set -eu
D=${DESCENT:-./build/descent}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# optimizer and the learning rate used for it (each family's usual
# scale: plain SGD needs a larger step than the adaptive methods)
OPTS="sgd:0.1 momentum:0.01 nesterov:0.01 adagrad:0.05 rmsprop:0.001 adam:0.001 adamw:0.001"

# run NAME TARGET EPOCHS DATA... : one table row per optimizer
run() {
    name=$1; target=$2; epochs=$3; shift 3
    for spec in $OPTS; do
        opt=${spec%%:*}; lr=${spec#*:}
        $D train "$@" --opt "$opt" --lr "$lr" --epochs "$epochs" --patience 0 \
            --seed 1 -o "$T/m.st" > "$T/log" 2>&1 || { echo "| $name | $opt | failed |"; continue; }
        grep '^epoch' "$T/log" | awk -v name="$name" -v opt="$opt" -v lr="$lr" \
            -v target="$target" '
            { for (i = 1; i <= NF; i++) {
                  if ($i == "val") { vacc = $(i + 4); sub("%", "", vacc) }
                  if ($i ~ /^[0-9.]+s$/) { s = $i; sub("s", "", s); secs += s } }
              e++
              if (!hit && vacc + 0 >= target) { hit = e; hits = secs }
              final = vacc; if (vacc + 0 > best) best = vacc + 0 }
            END { printf "| %s | %s | %s | %s | %s | %.1f%% | %.1f%% | %.2f |\n", name, opt, lr,
                         hit ? hit : "not reached", hit ? sprintf("%.2f", hits) : "-", final, best, secs }'
    done
}

echo "| task | optimizer | lr | epochs to target | seconds to target | final val acc | best val acc | total s |"
echo "|---|---|---|---|---|---|---|---|"
run "digits (target 95%, 64-32 relu, batch 32)" 95 40 data/digits.csv --batch 32

F=/usr/share/datasets/fashion-mnist
if [ -f $F/train-images-idx3-ubyte.gz ] && [ -x /usr/bin/python3 ]; then
    /usr/bin/python3 - "$F" "$T" <<'PY'
import gzip, struct, sys
src, out = sys.argv[1], sys.argv[2]
n = 10000
with gzip.open(src + "/train-images-idx3-ubyte.gz") as f:
    magic, count, rows, cols = struct.unpack(">IIII", f.read(16))
    img = f.read(n * rows * cols)
with gzip.open(src + "/train-labels-idx1-ubyte.gz") as f:
    f.read(8)
    lab = f.read(n)
with gzip.open(out + "/img.gz", "wb") as f:
    f.write(struct.pack(">IIII", magic, n, rows, cols) + img)
with gzip.open(out + "/lab.gz", "wb") as f:
    f.write(struct.pack(">II", 0x801, n) + lab)
PY
    run "Fashion-MNIST 10k (target 85%, 128-64 relu, batch 64)" 85 15 "$T/img.gz" \
        --labels "$T/lab.gz" --layers 128,64 --batch 64
else
    echo
    echo "(Fashion-MNIST rows skipped: install dataset-fashion-mnist and python3)"
fi
