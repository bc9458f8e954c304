#!/bin/sh
# Runs the example programs as tests: each exits non-zero unless it
# reached its stated result (the notes' one-parameter steps, XOR learned,
# house prices with validation R² ≥ 0.9).
B=${B:-build}
pass=0; fail=0
run() {
    if "$@" > /tmp/descent-example.$$ 2>&1; then pass=$((pass + 1))
    else fail=$((fail + 1)); echo "FAIL: $*"; tail -n 5 /tmp/descent-example.$$; fi
}
run $B/examples/one_param --check
run $B/examples/xor
run $B/examples/house
rm -f /tmp/descent-example.$$
echo "test_examples: $pass passed, $fail failed"
[ $fail -eq 0 ]
