#!/bin/sh
# The command-line paths under valgrind memcheck: tests/test_cli.sh and
# tests/test_badinput.sh run with every `descent` replaced by
# "valgrind ... $B/descent" (the plain build, not a sanitizer build).
# Every process must end with no memcheck error and no leak (definitely,
# indirectly or possibly lost); memory still reachable at exit is not a
# leak (the main thread's matrix scratch buffer lives as long as the
# process).  Run by `make sanitize`; prints "test_valgrind: P passed, F
# failed" last.
B=${B:-build}
if ! command -v valgrind > /dev/null 2>&1; then
    echo "valgrind is not installed (apt-get install valgrind)"
    echo "test_valgrind: 0 passed, 1 failed"
    exit 1
fi
L=$(mktemp -d)
trap 'rm -rf "$L"' EXIT
VG="valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible --log-file=$L/vg.%p $B/descent"
pass=0; fail=0
for t in tests/test_cli.sh tests/test_badinput.sh; do
    out=$(DESCENT="$VG" DN_NO_RLIMIT=1 sh "$t" 2>&1)
    line=$(printf '%s\n' "$out" | tail -n 1)
    if printf '%s' "$line" | grep -q ' 0 failed$'; then
        pass=$((pass + 1)); echo "$t under valgrind: $line"
    else
        fail=$((fail + 1)); echo "FAIL: $t under valgrind:"
        printf '%s\n' "$out" | grep -E '^FAIL' | head -n 10
        printf '%s\n' "$line"
    fi
done
runs=$(ls "$L" | wc -l)
dirty=0
for f in "$L"/vg.*; do
    [ -s "$f" ] || continue   # -q: a clean run logs nothing
    dirty=$((dirty + 1))
    if [ $dirty -le 3 ]; then echo "FAIL: memcheck report $(basename "$f"):"; head -n 30 "$f"; fi
done
if [ "$runs" -gt 40 ] && [ $dirty -eq 0 ]; then
    pass=$((pass + 1)); echo "valgrind: $runs runs of descent, no error, no leak"
else
    fail=$((fail + 1)); echo "FAIL: valgrind: $dirty of $runs runs reported errors or leaks"
fi
echo "test_valgrind: $pass passed, $fail failed"
[ $fail -eq 0 ]
