#!/bin/sh
# make test-mpi: data-parallel training over MPI (built with make MPI=1)
# against the single-process run.  K = 1, 2, 3 ranks with global batch B
# must give the single-process model up to float summation order; a
# checkpoint written by 2 ranks resumes in one process and the other way
# round; descent cv with its folds over the ranks gives one process's
# table and models; a rank that cannot read its data ends the whole job
# with a message instead of hanging.
. tests/lib.sh
M=${DESCENT_MPI:-build-mpi/descent}
S=${DESCENT:-build/descent}
run() { timeout 120 mpirun --allow-run-as-root --oversubscribe -np "$@"; }

# Largest |difference| between two models' predicted probabilities.
maxdiff() {
    $S predict "$1" data/digits.csv | tail -n +2 | cut -d, -f2- > "$T/a"
    $S predict "$2" data/digits.csv | tail -n +2 | cut -d, -f2- > "$T/b"
    paste -d, "$T/a" "$T/b" | awk -F, '{ h = NF / 2; for (i = 1; i <= h; i++) {
        d = $i - $(i + h); if (d < 0) d = -d; if (d > m) m = d } } END { printf "%g", m + 0 }'
}
# within A TOL: A <= TOL
within() { awk -v a="$1" -v t="$2" 'BEGIN { exit !(a <= t) }'; }

args="data/digits.csv --epochs 15 --batch 32 --layers 32 --opt adam --patience 0 --threads 1 -q"
$S train $args -o "$T/single.st" || bad "single-process run failed"
for k in 1 2 3; do
    if run $k $M train $args -o "$T/mpi$k.st"; then
        d=$(maxdiff "$T/single.st" "$T/mpi$k.st")
        # Summing the slices' gradients reorders float additions; after
        # 15 epochs (540 Adam steps) the probabilities agree to 1e-4 (seen:
        # 1e-6, the printing precision of predict).
        within "$d" 1e-4 && ok || bad "K=$k: probabilities differ by $d"
        echo "K=$k: max |probability difference| vs one process: $d"
    else
        bad "mpirun -np $k failed"
    fi
done

# Checkpoints cross over: 2 ranks for 8 epochs, then one process to 15,
# and one process for 8, then 2 ranks to 15.
run 2 $M train $args --epochs 8 --checkpoint "$T/a.ckpt" -o "$T/a.st" || bad "2-rank run to 8 epochs failed"
$S train --resume "$T/a.ckpt" --epochs 15 || bad "single-process resume of a 2-rank checkpoint failed"
d=$(maxdiff "$T/single.st" "$T/a.st"); within "$d" 1e-3 && ok || bad "2 ranks then 1: differs by $d"
$S train $args --epochs 8 --checkpoint "$T/b.ckpt" -o "$T/b.st" || bad "single run to 8 epochs failed"
run 2 $M train --resume "$T/b.ckpt" --epochs 15 || bad "2-rank resume of a single-process checkpoint failed"
d=$(maxdiff "$T/single.st" "$T/b.st"); within "$d" 1e-3 && ok || bad "1 then 2 ranks: differs by $d"

# descent cv deals its folds to the ranks, each trained alone: the same
# table as one process prints and, with --keep, the same model files to
# the byte, for 2 and 3 ranks (5 folds: uneven shares); the refit trains
# on every rank together.
cv="data/iris.csv --folds 5 --epochs 30 --seed 3 --threads 1"
$S cv $cv --keep "$T/cv1" > "$T/cv1.txt" 2>&1 || bad "single-process cv failed: $(tail -3 "$T/cv1.txt")"
for k in 2 3; do
    if run $k $M cv $cv --keep "$T/cv$k.k" > "$T/cv$k.txt" 2>&1; then
        grep -v '^models:' "$T/cv1.txt" > "$T/cva"
        grep -v '^models:' "$T/cv$k.txt" > "$T/cvb"
        cmp -s "$T/cva" "$T/cvb" && ok || bad "cv on $k ranks prints another table: $(diff "$T/cva" "$T/cvb" | head -6 | tr '\n' ' ')"
        same=0
        for f in 1 2 3 4 5; do
            cmp -s "$T/cv1/fold-$f.safetensors" "$T/cv$k.k/fold-$f.safetensors" && same=$((same + 1))
        done
        [ $same -eq 5 ] && ok || bad "cv on $k ranks: $same of 5 fold models the same bytes"
    else
        bad "mpirun -np $k cv failed: $(tail -3 "$T/cv$k.txt")"
    fi
done
grep -q "^ *5 *120 *30 " "$T/cv1.txt" && ok || bad "cv table without its fold 5 row: $(cat "$T/cv1.txt")"
run 2 $M cv $cv --refit -o "$T/refit.st" > "$T/out" 2>&1 && grep -q "refit: trained on all the rows" "$T/out" &&
    [ -f "$T/refit.st" ] && ok || bad "cv --refit on 2 ranks: $(tail -3 "$T/out")"

# One rank cannot read its data: the job ends, with that rank's message.
cat > "$T/one_bad.sh" <<EOS
#!/bin/sh
if [ "\$OMPI_COMM_WORLD_RANK" = 1 ]; then data=$T/missing.csv; else data=data/digits.csv; fi
exec $M train "\$data" --epochs 50 --threads 1 -q -o $T/never.st
EOS
chmod +x "$T/one_bad.sh"
start=$(date +%s)
run 2 "$T/one_bad.sh" > "$T/out" 2> "$T/err"; rc=$?
took=$(( $(date +%s) - start ))
[ $rc -ne 0 ] && [ $rc -ne 124 ] && ok || bad "job with a failing rank: exit $rc (124 = hung until timeout)"
grep -q "missing.csv" "$T/err" && ok || bad "no message naming the missing file: $(head -c 300 "$T/err")"
[ $took -lt 60 ] && ok || bad "took $took s to end"
[ ! -f "$T/never.st" ] && ok || bad "a model was written by a failed job"

finish test_mpi
