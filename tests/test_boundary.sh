#!/bin/sh
# descent boundary: the four Playground sets trained briefly, each
# model's regions drawn; the SVG parses (xml.etree) and the cells read
# back by colour (tests/boundary_check.py) are the classes, and the
# shades the confidences, that descent predict gives at their centres.
# A regression model gets a colour ramp.  Refused: a model that is not
# 2-D (3 inputs; two inputs from one text column), missing files, a bad
# --grid, each with its exit code and message and nothing written.
# descent train --boundary DIR: the frames counted, the animation's, the
# last frame's cells against predict, and the refusals.
. tests/lib.sh
PY=/usr/bin/python3
check_svg() {   # SVG DATA MODEL: boundary_check.py's counts added to ours
    "$PY" tests/boundary_check.py "$1" "$2" "$3" "$D" 40 > "$T/py.out" 2>&1
    grep '^FAIL' "$T/py.out" | head -n 5
    py_counts boundary_check "$T/py.out" "$1"
}
for s in circles xor gaussians spiral; do
    expect 0 "$D" data make-$s -n 300 --seed 2 -o "$T/$s.csv"
    expect 0 "$D" train "$T/$s.csv" --layers 16,16 --epochs 40 --val 0 --lr 0.02 -q -o "$T/$s.st"
    expect 0 "$D" boundary "$T/$s.st" "$T/$s.csv" -o "$T/$s.svg" --grid 60
    grep_in "$T/out" "^wrote $T/$s.svg: 60 x 60 cells, 300 points; class 0: [0-9.]*%, class 1: [0-9.]*% of the plane$"
    check_svg "$T/$s.svg" "$T/$s.csv" "$T/$s.st"
done
# trained briefly, the easy sets are learnt: circles, XOR and the blobs
for s in circles xor; do
    expect 0 "$D" eval "$T/$s.st" "$T/$s.csv"
    acc=$(sed -n 's/.*accuracy \([0-9.]*\)%.*/\1/p' "$T/out")
    num_ge "${acc:-0}" 95 "$s: training accuracy"
done
# three arms: three classes, three colours
expect 0 "$D" data make-spiral --classes 3 -n 300 -o "$T/s3.csv"
expect 0 "$D" train "$T/s3.csv" --layers 16,16 --epochs 40 --val 0 --lr 0.02 -q -o "$T/s3.st"
expect 0 "$D" boundary "$T/s3.st" "$T/s3.csv" -o "$T/s3.svg" --grid 50 --title "three arms"
grep_in "$T/out" "class 2: [0-9.]*% of the plane"
check_svg "$T/s3.svg" "$T/s3.csv" "$T/s3.st"
grep_in "$T/s3.svg" ">three arms</text>"
# the shares printed add up to the plane
awk -F'class [0-9]*: ' '{ s = 0; for (i = 2; i <= NF; i++) s += $i + 0; exit !(s > 99.8 && s < 100.2) }' "$T/out" \
    && ok || bad "the classes' shares: $(cat "$T/out")"
# regression: a colour ramp and its bar, the value range in the legend
awk -F, 'NR == 1 { print "x1,x2,y"; next } { printf "%s,%s,%.4f\n", $1, $2, $1 + 2 * $2 }' "$T/gaussians.csv" > "$T/reg.csv"
expect 0 "$D" train "$T/reg.csv" --layers 8 --epochs 30 --val 0 -q -o "$T/reg.st"
expect 0 "$D" boundary "$T/reg.st" "$T/reg.csv" -o "$T/reg.svg" --grid 40
"$PY" - "$T/reg.svg" <<'PYEOF' && ok || bad "regression picture"
import sys, xml.etree.ElementTree as ET
NS = "{http://www.w3.org/2000/svg}"
root = ET.parse(sys.argv[1]).getroot()
g = next(e for e in root.iter(NS + "g") if e.get("id") == "regions")
fills = {r.get("fill") for r in g.iter(NS + "rect")}
texts = [t.text for t in root.iter(NS + "text")]
assert "prediction" in texts, texts
assert len(fills) >= 10, fills        # y = x1 + 2 x2 spans the ramp
PYEOF
# refused: not a plane
mkdir "$T/w"
awk -F, 'NR == 1 { print "x1,x2,x3,label"; next } { print $1 "," $2 "," $1 * $2 "," $3 }' "$T/xor.csv" > "$T/three.csv"
expect 0 "$D" train "$T/three.csv" --layers 4 --epochs 2 --val 0 -q -o "$T/three.st"
refused 2 "three.st: the model takes 3 inputs: 'x1', 'x2', 'x3'; decision regions are drawn over a plane of exactly 2" \
    "$D" boundary "$T/three.st" "$T/three.csv" -o "$T/w/r.svg"
grep_in "$T/err" "train a model on two input columns"
awk -F, 'NR == 1 { print "colour,label"; next } { print ($1 > 0 ? "red" : "blue") "," $3 }' "$T/xor.csv" > "$T/text.csv"
expect 0 "$D" train "$T/text.csv" --layers 4 --epochs 2 --val 0 -q -o "$T/text.st"
refused 2 "come from column 'colour' (one-hot encoded), not from two numeric columns" \
    "$D" boundary "$T/text.st" "$T/text.csv" -o "$T/w/r.svg"
# missing files, bad options
refused 1 "no-such.st" "$D" boundary "$T/no-such.st" "$T/xor.csv" -o "$T/w/r.svg"
refused 1 "no-such.csv" "$D" boundary "$T/xor.st" "$T/no-such.csv" -o "$T/w/r.svg"
refused 2 "--grid '1': expected a whole number from 2 to 500" "$D" boundary "$T/xor.st" "$T/xor.csv" --grid 1 -o "$T/w/r.svg"
refused 2 "--grid '501'" "$D" boundary "$T/xor.st" "$T/xor.csv" --grid 501 -o "$T/w/r.svg"
refused 2 "--grid 'ten'" "$D" boundary "$T/xor.st" "$T/xor.csv" --grid ten -o "$T/w/r.svg"
refused 2 "--margin '-1'" "$D" boundary "$T/xor.st" "$T/xor.csv" --margin -1 -o "$T/w/r.svg"
refused 2 "needs MODEL and DATA" "$D" boundary "$T/xor.st" -o "$T/w/r.svg"
refused 2 "-o '$T/xor.csv' is the DATA itself" "$D" boundary "$T/xor.st" "$T/xor.csv" -o "$T/xor.csv"
refused 2 "unknown option '--every'" "$D" boundary "$T/xor.st" "$T/xor.csv" --every 2 -o "$T/w/r.svg"

# ---- descent train --boundary DIR ----
frames() {  # SVG: the frames' labels, space-separated
    "$PY" -c "
import sys, xml.etree.ElementTree as ET
NS = '{http://www.w3.org/2000/svg}'
print(' '.join(g.get('data-label') for g in ET.parse(sys.argv[1]).iter(NS + 'g') if g.get('class') == 'frame'))" "$1"
}
expect 0 "$D" train "$T/xor.csv" --layers 8,8 --epochs 20 --val 0 --lr 0.02 --boundary "$T/fr" --boundary-every 5 -o "$T/fr.st"
grep_in "$T/out" "^regions: 5 frames in $T/fr/epoch-\*.svg, played in $T/fr/regions.svg (0.4s a frame)$"
[ "$(ls "$T/fr" | tr '\n' ' ')" = "epoch-0000.svg epoch-0005.svg epoch-0010.svg epoch-0015.svg epoch-0020.svg regions.svg " ] \
    && ok || bad "frames written: $(ls "$T/fr" | tr '\n' ' ')"
[ "$(frames "$T/fr/regions.svg")" = "0 5 10 15 20" ] && ok || bad "animated frames: $(frames "$T/fr/regions.svg")"
[ "$(grep -c '<set attributeName="visibility"' "$T/fr/regions.svg")" -eq 5 ] && ok || bad "one <set> a frame"
for f in "$T"/fr/epoch-*.svg; do
    [ "$(frames "$f")" = "$(basename "$f" .svg | sed 's/epoch-0*//; s/^$/0/')" ] && ok || bad "$f: frame $(frames "$f")"
done
# the last frame is the saved model's regions
check_svg "$T/fr/epoch-0020.svg" "$T/xor.csv" "$T/fr.st"
# epoch 0 is the untrained network: other regions than the last
cmp -s "$T/fr/epoch-0000.svg" "$T/fr/epoch-0020.svg" && bad "epoch 0 drawn as epoch 20" || ok
# the last epoch gets a frame when it is not an N-th one; by default
# about 50 frames (every 2 epochs of 60)
expect 0 "$D" train "$T/xor.csv" --layers 4 --epochs 12 --val 0 --boundary "$T/fr12" --boundary-every 5 -q -o "$T/fr12.st"
[ "$(frames "$T/fr12/regions.svg")" = "0 5 10 12" ] && ok || bad "12 epochs by 5: $(frames "$T/fr12/regions.svg")"
expect 0 "$D" train "$T/xor.csv" --layers 4 --epochs 60 --val 0 --boundary "$T/fr60" -q -o "$T/fr60.st"
[ "$(frames "$T/fr60/regions.svg" | wc -w)" -eq 31 ] && ok || bad "60 epochs: $(frames "$T/fr60/regions.svg" | wc -w) frames"
[ "$(ls "$T/fr60" | wc -l)" -eq 32 ] && ok || bad "60 epochs: $(ls "$T/fr60" | wc -l) files"
# refused before training, nothing written
refused 2 "--boundary: the model takes 3 inputs" "$D" train "$T/three.csv" --layers 4 --epochs 2 --val 0 --boundary "$T/w/fr" -o "$T/w/m.st"
refused 2 "--boundary-every needs --boundary DIR" "$D" train "$T/xor.csv" --epochs 2 --boundary-every 2 -o "$T/w/m.st"
refused 2 "--boundary-every '0'" "$D" train "$T/xor.csv" --epochs 2 --boundary "$T/w/fr" --boundary-every 0 -o "$T/w/m.st"
refused 1 "cannot create the directory '$T/w/no/fr'" "$D" train "$T/xor.csv" --epochs 2 --val 0 --boundary "$T/w/no/fr" -o "$T/w/m.st"
refused 2 "--boundary is about one training run" "$D" cv "$T/xor.csv" --folds 2 --epochs 2 --boundary "$T/w/fr"

# ---- a run stopped and resumed plays an uninterrupted run's animation ----
# The frames are regions of weights a resumed run no longer has: they
# live in the checkpoint, and the resumed run starts from them.  (Before,
# it had epoch 0 and the frames after the resume only: 7 of 13 here.)
ra="$T/xor.csv --layers 8,8 --val 0 --lr 0.02 --boundary-every 5 -q --checkpoint-every 1"
t0=$(date +%s%N)
expect 0 "$D" train $ra --epochs 60 --boundary "$T/ref" -o "$T/ref.st" --checkpoint "$T/ref.ck"
ref_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $ref_ms -lt 50 ] && ref_ms=50
ref_frames=$(frames "$T/ref/regions.svg")
[ "$ref_frames" = "0 5 10 15 20 25 30 35 40 45 50 55 60" ] && ok || bad "reference frames: $ref_frames"
# stopped by its budget after 30 epochs, resumed to 60
expect 0 "$D" train $ra --epochs 30 --boundary "$T/b30" -o "$T/b30.st" --checkpoint "$T/b30.ck"
cp "$T/b30.ck" "$T/b30.first"
expect 0 "$D" train --resume "$T/b30.ck" --epochs 60
[ "$(frames "$T/b30/regions.svg")" = "$ref_frames" ] && ok || bad "budget, resumed: $(frames "$T/b30/regions.svg")"
cmp -s "$T/ref/regions.svg" "$T/b30/regions.svg" && ok || bad "budget, resumed: the animation differs"
cmp -s "$T/ref.st" "$T/b30.st" && ok || bad "budget, resumed: the model differs"
# kill -9 at moments within the reference run's duration, resumed (and
# killed again) until it ends; three runs
kills=0
for i in 1 2 3; do
    rm -rf "$T/k" "$T/k.st" "$T/k.ck"
    tries=0
    $D train $ra --epochs 60 --boundary "$T/k" -o "$T/k.st" --checkpoint "$T/k.ck" > /dev/null 2>&1 &
    pid=$!
    while :; do
        sleep "$(awk -v s="$i$tries" -v ms=$ref_ms 'BEGIN { srand(s); printf "%.3f", (0.1 + 0.6 * rand()) * ms / 1000 }')"
        kill -9 $pid 2>/dev/null && kills=$((kills + 1))
        wait $pid 2>/dev/null
        [ -f "$T/k.st" ] && break
        tries=$((tries + 1))
        [ $tries -gt 40 ] && { bad "run $i: never finished"; break; }
        if [ -f "$T/k.ck" ]; then $D train --resume "$T/k.ck" > /dev/null 2>&1 &
        else $D train $ra --epochs 60 --boundary "$T/k" -o "$T/k.st" --checkpoint "$T/k.ck" > /dev/null 2>&1 &
        fi
        pid=$!
    done
    [ "$(frames "$T/k/regions.svg")" = "$ref_frames" ] && ok || bad "run $i: $(frames "$T/k/regions.svg")"
    cmp -s "$T/ref/regions.svg" "$T/k/regions.svg" && ok || bad "run $i: the animation differs"
    for f in "$T"/ref/epoch-*.svg; do
        cmp -s "$f" "$T/k/$(basename "$f")" || bad "run $i: $(basename "$f") differs"
    done
done
[ $kills -ge 2 ] && ok || bad "$kills kills landed in 3 runs (reference run $ref_ms ms)"
echo "boundary: $kills kill -9 interruptions of a --boundary run (reference $ref_ms ms)"
# A checkpoint of an older descent (version 4: no frames) still resumes,
# with a warning: epoch 0 and the frames after the resume.
"$PY" - "$T/b30.first" "$T/b30.v4" <<'PYEOF'
import struct, sys, zlib
b = bytearray(open(sys.argv[1], "rb").read())
nf = struct.unpack_from("<I", b, 24)[0]
at = 28 + 8 * (nf - 2)                       # keep_len, before note_len
keep = struct.unpack_from("<q", b, at)[0]
b = b[:at] + b[at + 8:len(b) - keep]
struct.pack_into("<I", b, 8, 4)
struct.pack_into("<I", b, 24, nf - 1)
struct.pack_into("<Q", b, 16, len(b) - 24)
struct.pack_into("<I", b, 12, zlib.crc32(bytes(b[24:])) & 0xffffffff)
open(sys.argv[2], "wb").write(b)
PYEOF
rm -rf "$T/b30" "$T/b30.st"
expect 0 "$D" train --resume "$T/b30.v4" --epochs 60
grep_in "$T/err" "warning: --boundary: $T/b30.v4 holds no frames (an older descent wrote it): the animation has the regions of epoch 0 and of the epochs after 30 only"
[ "$(frames "$T/b30/regions.svg")" = "0 35 40 45 50 55 60" ] && ok || bad "version 4: $(frames "$T/b30/regions.svg")"
cmp -s "$T/ref.st" "$T/b30.st" && ok || bad "version 4, resumed: the model differs"
# frames of another grid in a checkpoint (its CRC made right): refused
# before training, naming the checkpoint
"$PY" - "$T/b30.first" "$T/w.ck" <<'PYEOF'
import struct, sys, zlib
b = bytearray(open(sys.argv[1], "rb").read())
at = b.find(b"DNFRAMES")
struct.pack_into("<I", b, at + 12, 61)       # the grid
struct.pack_into("<I", b, 12, zlib.crc32(bytes(b[24:])) & 0xffffffff)
open(sys.argv[2], "wb").write(b)
PYEOF
rm "$T/b30.st"
expect 1 "$D" train --resume "$T/w.ck" --epochs 60
grep_in "$T/err" "resume $T/w.ck: its --boundary frames: the frames were drawn on a grid of 61"
[ ! -e "$T/b30.st" ] && ok || bad "a model written despite the refused frames"
finish test_boundary
