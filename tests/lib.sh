# lib.sh — what the shell tests share; each test sources it first:
#   . tests/lib.sh
# D is the descent binary, T a scratch directory removed at exit; ok and
# bad count checks; finish NAME prints the closing "N passed, N failed";
# idx_images and idx_labels write small IDX files.
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
# byte V: the byte of value V (0..255)
byte() { printf "\\$(printf %o "$1")"; }
# idx_images FILE N ROWS COLS [K]: an IDX image file (magic, then the
# sizes, each below 256) of N images, every pixel 127; with K, every
# pixel of image i is (i mod K) * 50, so that it shows the label
# idx_labels FILE N K gives the image
idx_images() {
    { printf '\000\000\010\003'
      for _n in "$2" "$3" "$4"; do printf '\000\000\000'; byte "$_n"; done
      if [ -z "$5" ]; then head -c $(($2 * $3 * $4)) /dev/zero | tr '\000' '\177'
      else
          _i=0
          while [ $_i -lt "$2" ]; do
              _j=0
              while [ $_j -lt $(($3 * $4)) ]; do byte $((_i % $5 * 50)); _j=$((_j + 1)); done
              _i=$((_i + 1))
          done
      fi; } > "$1"
}
# idx_labels FILE N [K]: an IDX label file: 0, 1, .., K-1, 0, 1, ... (K 2)
idx_labels() {
    { printf '\000\000\010\001\000\000\000'; byte "$2"
      _i=0; while [ $_i -lt "$2" ]; do byte $((_i % ${3:-2})); _i=$((_i + 1)); done; } > "$1"
}
# refused CODE PATTERN CMD...: CMD exits CODE with PATTERN in its
# message, and the directory $T/w (the caller's, made empty) stays empty.
refused() {
    code=$1 pat=$2; shift 2
    "$@" > "$T/out" 2> "$T/err"; got=$?
    [ "$got" -eq "$code" ] && ok || bad "exit $got (want $code): $*"
    grep -q -F -- "$pat" "$T/err" && ok || { bad "'$pat' not in the message of: $*"; head -n 3 "$T/err"; }
    [ -z "$(ls -A "$T/w")" ] && ok || bad "written despite the error ($*): $(ls -A "$T/w")"
}

# check_py ONNX MODEL OPS DATA PRED: runs tests/onnx_check.py ($PY) and
# adds its counts to ours.
check_py() {
    "$PY" "$(dirname "$0")/onnx_check.py" "$@" > "$T/py.out" 2>&1
    grep -E '^(FAIL|onnx_check: .*rows)' "$T/py.out"
    py_counts onnx_check "$T/py.out" "$1"
}
# py_counts NAME OUT WHAT: adds the counts of OUT's last line, "NAME: P
# passed, F failed" (a checking script's), to ours; a script that printed
# no such line crashed on WHAT.
py_counts() {
    last=$(tail -n 1 "$2")
    p=$(printf '%s' "$last" | sed -n "s/^$1: \\([0-9]*\\) passed, \\([0-9]*\\) failed\$/\\1/p")
    f=$(printf '%s' "$last" | sed -n "s/^$1: \\([0-9]*\\) passed, \\([0-9]*\\) failed\$/\\2/p")
    if [ -z "$p" ]; then bad "$1.py crashed on $3:"; tail -n 5 "$2"; return; fi
    pass=$((pass + p)); fail=$((fail + f))
}

# diff_ok FILE: what `descent export --format c --check` printed; its
# "largest difference" from predict must be at most 1e-6 ($name says which)
diff_ok() {
    d=$(sed -n 's/^check: largest difference from descent predict \([^ ]*\) .*/\1/p' "$1")
    if [ -n "$d" ] && awk -v d="$d" 'BEGIN { exit !(d + 0 <= 1e-6) }'; then ok
    else bad "$name: float export differs from predict by '$d'"; fi
}

finish() {
    echo "$1: $pass passed, $fail failed"
    [ $fail -eq 0 ]
}
