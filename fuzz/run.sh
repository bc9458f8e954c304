#!/bin/sh
# fuzz/run.sh SECONDS [TARGET...] — runs each fuzz target (built by
# `make fuzz` into $B/fuzz) for SECONDS, niced, one at a time, starting
# from its corpus (fuzz/corpus/TARGET) and its crash inputs
# (fuzz/regressions/TARGET).  New inputs go to $B/fuzz/work/TARGET, never
# into the repository; a crash, leak, timeout or broken promise leaves
# its input in $B/fuzz/crash-TARGET-* and fails the run.  The closing
# line reads "fuzz: P passed, F failed" like every test.
#
# Extra libFuzzer options can be given in FUZZ_OPTS (e.g. -runs=10000000
# instead of a time, with SECONDS 0).
B=${B:-build}
secs=${1:-20}
[ $# -gt 0 ] && shift
targets=$*
if [ -z "$targets" ]; then
    for f in fuzz/fuzz_*.c; do
        t=${f#fuzz/fuzz_}; targets="$targets ${t%.c}"
    done
fi
pass=0; fail=0
for t in $targets; do
    bin=$B/fuzz/fuzz_$t
    if [ ! -x "$bin" ]; then
        echo "FAIL: $bin is not built (make fuzz B=$B)"; fail=$((fail + 1)); continue
    fi
    work=$B/fuzz/work/$t
    mkdir -p "$work" fuzz/regressions/$t
    dict=
    [ -f fuzz/$t.dict ] && dict=-dict=fuzz/$t.dict
    time_opt=
    [ "$secs" -gt 0 ] && time_opt=-max_total_time=$secs
    log=$B/fuzz/$t.log
    # -timeout: one input may take 10 s at most (a hang is a failure);
    # -rss_limit_mb and -malloc_limit_mb: a loader may not be talked into
    # a big allocation by a small file.
    nice -n 19 "$bin" $time_opt -timeout=10 -rss_limit_mb=2048 \
        -malloc_limit_mb=512 -print_final_stats=1 \
        -artifact_prefix="$B/fuzz/crash-$t-" $dict $FUZZ_OPTS \
        "$work" fuzz/corpus/$t fuzz/regressions/$t > "$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
    if [ "$rc" -eq 0 ]; then
        pass=$((pass + 1))
        echo "fuzz_$t: ${runs:-?} executions in ${took:-?} s, no crash"
    else
        fail=$((fail + 1))
        echo "FAIL: fuzz_$t exit $rc; see $log and $B/fuzz/crash-$t-*"
        grep -E 'ERROR|broken promise|SUMMARY' "$log" | head -n 5
    fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
