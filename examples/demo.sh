#!/bin/sh
# make demo: train a digit classifier on the bundled 8x8 digits (UCI),
# watch training and validation loss per epoch, save the model, look at
# it, and evaluate it on rows it never saw.
set -e
D=${DESCENT:-./build/descent}
W=build/demo
mkdir -p $W
# Every fifth row becomes a test set the training never touches; the
# rest is split again by `descent train` into training and validation.
awk 'NR == 1 || (NR - 2) % 5 != 0' data/digits.csv > $W/digits-train.csv
awk 'NR == 1 || (NR - 2) % 5 == 0' data/digits.csv > $W/digits-test.csv
# A fresh TensorBoard directory: each run adds its own event files.
rm -rf $W/tb
echo "== descent train $W/digits-train.csv --layers 64 --epochs 40 --history $W/history.csv --plot $W/curves.svg --tensorboard $W/tb -o $W/digits.safetensors"
$D train $W/digits-train.csv --layers 64 --epochs 40 --history $W/history.csv \
    --plot $W/curves.svg --tensorboard $W/tb -o $W/digits.safetensors
echo
echo "== descent summary $W/digits.safetensors"
$D summary $W/digits.safetensors
echo
echo "== descent eval $W/digits.safetensors $W/digits-test.csv"
$D eval $W/digits.safetensors $W/digits-test.csv
echo
echo "== descent predict $W/digits.safetensors $W/digits-test.csv | head -4"
$D predict $W/digits.safetensors $W/digits-test.csv | head -4 | cut -c1-100
echo
echo "== descent landscape --fn rosenbrock --steps 300 -o $W/landscape.svg"
$D landscape --fn rosenbrock --steps 300 -o $W/landscape.svg
echo
echo "Open $W/curves.svg and $W/landscape.svg in a browser; the numbers"
echo "behind the curves are in $W/history.csv; 'tensorboard --logdir $W/tb'"
echo "shows the same run (docs/monitoring.md)."
