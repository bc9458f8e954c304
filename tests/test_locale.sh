#!/bin/sh
# The command line's numbers do not follow the locale: the same commands
# under LC_ALL=C, de_DE.UTF-8 and fr_FR.UTF-8 write the same bytes (model
# file, eval --json and its line, predictions CSV, summary, landscape
# --csv and its SVG), and number options read "0.05" the same way.
# descent calls no setlocale(), so a C program stays in the C locale
# whatever LC_ALL says; this holds the promise should that ever change,
# and the numbers go through the library's C-locale writer anyway
# (tests/test_locale.c covers the library under a set locale).  A locale
# that is not installed fails the test, saying how to make it.  First,
# tests/numtext_lint.py: no number in src/ or cli/ is written or read by
# the locale's printf or strtod, but through src/base/numtext.c.
. tests/lib.sh

if /usr/bin/python3 tests/numtext_lint.py $(ls src/*/*.c | grep -v '/numtext\.c$') \
        cli/*.c > "$T/lint" 2>&1; then ok
else bad "numbers written or read through the locale:"; cat "$T/lint"; fi
# The lint sees such a call when there is one (else it proves nothing).
printf '%s\n' 'void f(FILE *o, double v)' '{' '    fprintf(o, "<x=%d "' \
    '            "y=%.1f>", 1, v);' '}' > "$T/bad.c"
/usr/bin/python3 tests/numtext_lint.py "$T/bad.c" > "$T/lint" 2>&1
grep_in "$T/lint" "bad.c:3: fprintf with '%.1f'"
printf '%s\n' 'double g(const char *s) { return strtod(s, 0); }' > "$T/bad.c"
/usr/bin/python3 tests/numtext_lint.py "$T/bad.c" > "$T/lint" 2>&1
grep_in "$T/lint" "bad.c:1: strtod"

# run_all DIR: every command under the current LC_ALL, in DIR, with the
# same relative names (messages name the files)
run_all() (
    mkdir -p "$1" && cd "$1" || exit 1
    $D train ../house.csv --target price --epochs 5 --seed 3 --lr 0.05 \
        --dropout 0.25 -o house.st > /dev/null 2>&1 || echo "train failed" > train.err
    $D eval house.st ../house.csv --json > eval.json 2>&1
    $D eval house.st ../house.csv > eval.txt 2>&1
    $D predict house.st ../house.csv -o pred.csv > /dev/null 2>&1
    $D summary house.st > summary.txt 2>&1
    $D landscape --fn rosenbrock --opt sgd,adam --lr sgd=0.001,adam=0.02 \
        --start -1.5,2 --steps 40 --csv > land.csv 2>&1
    $D landscape --fn parabola --opt sgd --lr 0.1 --steps 10 -o land.svg \
        > land.txt 2>&1
)

D=$(cd "$(dirname "$D")" && pwd)/$(basename "$D")
cp data/house.csv "$T/house.csv"
LC_ALL=C run_all "$T/C"
[ -e "$T/C/train.err" ] && bad "train failed in the C locale" || ok
grep_in "$T/C/eval.json" '"loss":[0-9]*\.[0-9]'
grep_in "$T/C/pred.csv" '^[0-9-]*\.[0-9]'
for loc in de_DE.UTF-8 fr_FR.UTF-8; do
    if ! locale -a 2>/dev/null | grep -qi "^$(echo "$loc" | sed 's/UTF-8/utf-\\?8/')\$"; then
        bad "locale $loc is not installed: apt-get install locales &&" \
            "localedef -i ${loc%%.*} -f UTF-8 $loc (.ci/run does this)"
        continue
    fi
    # The locale really writes decimal commas (else this tests nothing).
    [ "$(LC_ALL=$loc /usr/bin/printf '%.1f' 0.5)" = "0,5" ] && ok ||
        bad "$loc: printf(1) writes '$(LC_ALL=$loc /usr/bin/printf '%.1f' 0.5)'"
    LC_ALL=$loc run_all "$T/$loc"
    [ -e "$T/$loc/train.err" ] && bad "train failed under $loc" || ok
    for f in house.st eval.json eval.txt pred.csv summary.txt land.csv land.svg land.txt; do
        cmp -s "$T/C/$f" "$T/$loc/$f" && ok || bad "$loc: $f differs from LC_ALL=C's"
    done
done
finish test_locale.sh
