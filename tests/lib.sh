# lib.sh — what the shell tests share; each test sources it first:
#   . tests/lib.sh
# D is the descent binary, T a scratch directory removed at exit; ok and
# bad count checks; finish NAME prints the closing "N passed, N failed".
D=${DESCENT:-${B:-build}/descent}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# expect CODE CMD...: runs CMD (stdout in $T/out, stderr in $T/err); its
# exit code must be CODE
expect() {
    want=$1; shift
    "$@" > "$T/out" 2> "$T/err"; got=$?
    if [ "$got" -eq "$want" ]; then ok; else
        bad "exit $got (want $want): $*"; tail -n 3 "$T/err"; fi
}
# grep_in FILE PATTERN: the file must contain the pattern
grep_in() {
    if grep -q -- "$2" "$1"; then ok; else bad "'$2' not in $(basename "$1"):"; head -n 3 "$1"; fi
}
# num_ge A B WHAT: A >= B as real numbers
num_ge() {
    if awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; then ok
    else bad "$3: $1 < $2"; fi
}
finish() {
    echo "$1: $pass passed, $fail failed"
    [ $fail -eq 0 ]
}
