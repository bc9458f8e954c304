#!/bin/sh
# coverage.sh — make coverage's report, from the profile data a --coverage
# build in $B left behind: line and branch coverage of every file of src/
# and cli/, a total for each, and every line still uncovered listed in
# $B/uncovered.txt.  Plain gcov (it comes with gcc), no gcovr or lcov.
#
# A line that cannot run in a test says why in a comment on that line,
#     if (pthread_create(...) != 0) goto fail;  /* cov: <reason> */
# and neither it nor its branches are counted; the report shows how many
# lines each file excludes so.  Exits non-zero when src/ has less than
# COV_MIN_LINES % of its lines or COV_MIN_BRANCHES % of its branches run.
#
# Code for an instruction set this CPU does not have cannot run here, and
# is excluded the same way, on such a CPU only: a function whose
# definition carries __attribute__((target("avx512f"))), to its closing
# brace, and what is marked  /* isa: avx512f */  (the lines that expand
# such functions from macros, the code that only an AVX-512 CPU takes):
# the marked line, and when it opens a block (ends in "{"), the block to
# its closing brace at the same indentation; marked at the start of a
# function's definition (column 0), the function.
# On a CPU with AVX-512 all of it counts (the AVX2 and portable paths run
# there too, in the children test_wide and test_gemm fork).
B=${B:-build-cov}
MIN_L=${COV_MIN_LINES:-0}
MIN_B=${COV_MIN_BRANCHES:-0}
set -- "$B"/obj/*/*.gcno "$B"/descent-*.gcno
[ -f "$1" ] || { echo "coverage.sh: no $B/obj/*.gcno (build with --coverage first)"; exit 2; }

# The instruction sets this CPU lacks, of those the sources name.
LACKS=""
grep -q '^flags.* avx512f' /proc/cpuinfo 2> /dev/null || LACKS="avx512f"

rm -f "$B/uncovered.txt"; : > "$B/uncovered.txt"
# -t: the annotated sources on stdout; -b -c: each branch's count.  One
# gcov run over every object, so a header's inline code is seen from each
# object that includes it; the awk below takes the union.
gcov -b -c -t "$@" 2> "$B/gcov.err" |
awk -v out="$B/uncovered.txt" -v min_l="$MIN_L" -v min_b="$MIN_B" -v lacks="$LACKS" '
function pct(a, n) { return n ? sprintf("%5.1f%%", 100 * a / n) : "    - " }
# "   count:  line:source": count is "-" (no code), "#####" (never run) or
# a number with "*" when part of the line never ran.
/^ *(-|#####|=====|[0-9]+\*?): *[0-9]+:/ {
    c = $0; sub(/:.*/, "", c); gsub(/ /, "", c)
    r = $0; sub(/^[^:]*: */, "", r); ln = r + 0; sub(/^[0-9]+:/, "", r)
    if (ln == 0) { if (r ~ /^Source:/) { f = substr(r, 8); keep = f ~ /^(src|cli)\// } isa = cont = post = 0; next }
    # code for an instruction set this CPU lacks (see the top): isa is 1
    # through a function (to the "}" in column 0), 2 through a block (to
    # the "}" at indentation ind); post: the line after a function, which
    # gcov at -O0 may credit with its epilogue
    marked = lacks != "" && index(r, "/* isa: " lacks " */")
    in_isa = isa || marked || (post && r ~ /^[ \t]*$/)
    post = 0
    if (!isa && lacks != "" && !cont && r !~ /^#/ &&
        (r ~ "target\\(\"" lacks "\"\\)" || (marked && r ~ /^[a-z_]/ && r !~ /;/)))
        isa = 1
    else if (!isa && marked && r ~ /\{ *(\/\*[^*]*\*\/)? *$/) {
        isa = 2; match(r, /^ */); ind = RLENGTH
    } else if (isa == 1 && r ~ /^}/) { isa = 0; post = 1 }
    else if (isa == 2 && match(r, /^ *}/) && RLENGTH == ind + 1) isa = 0
    cont = r ~ /\\$/
    if (!keep || c == "-") { line = ""; next }
    line = f SUBSEP ln
    if (!(line in code)) { code[line] = 1; text[line] = r; files[f] = 1 }
    if (r ~ /\/\* cov: [^*]*[a-z][^*]*\*\//) excl[line] = 1
    if (in_isa) excl[line] = 1
    if (c !~ /^(#####|=====)$/) hit[line] = 1
    nb = 0; next
}
# "branch  N taken K" or "branch  N never executed", after its line
/^branch / {
    if (line == "") next
    k = line SUBSEP nb++; br[k] = 1
    if ($3 == "taken" && $4 + 0 > 0) taken[k] = 1
    next
}
END {
    for (k in code) {
        split(k, p, SUBSEP); f = p[1]
        if (k in excl) { nx[f]++; continue }
        nl[f]++; if (k in hit) hl[f]++
        else printf "%s:%d:%s\n", f, p[2], text[k] > out
    }
    for (k in br) {
        split(k, p, SUBSEP); l = p[1] SUBSEP p[2]
        if (l in excl) continue
        f = p[1]; nbr[f]++; if (k in taken) tb[f]++
    }
    printf "%-24s %16s %18s %9s\n", "file", "lines", "branches", "excluded"
    n = 0; for (f in files) names[++n] = f
    for (i = 2; i <= n; i++)              # insertion sort: awk has none
        for (j = i; j > 1 && names[j - 1] > names[j]; j--) {
            t = names[j]; names[j] = names[j - 1]; names[j - 1] = t }
    for (i = 1; i <= n; i++) {
        f = names[i]; d = substr(f, 1, 4)
        printf "%-24s %s of %5d   %s of %5d %9d\n", f, pct(hl[f], nl[f]), nl[f],
               pct(tb[f], nbr[f]), nbr[f], nx[f]
        TL[d] += nl[f]; TH[d] += hl[f]; TB[d] += nbr[f]; TT[d] += tb[f]; TX[d] += nx[f]
    }
    split("src/ cli/", dirs, " ")
    for (i = 1; i <= 2; i++) if ((d = dirs[i]) in TL)
        printf "%-24s %s of %5d   %s of %5d %9d\n", d " total", pct(TH[d], TL[d]), TL[d],
               pct(TT[d], TB[d]), TB[d], TX[d]
    close(out)
    okl = TL["src/"] && 100 * TH["src/"] >= min_l * TL["src/"]
    okb = TB["src/"] && 100 * TT["src/"] >= min_b * TB["src/"]
    if (!okl) printf "src/ lines below the goal of %s%%\n", min_l
    if (!okb) printf "src/ branches below the goal of %s%%\n", min_b
    exit !(okl && okb)
}'
rc=$?
sort -t: -k1,1 -k2,2n -o "$B/uncovered.txt" "$B/uncovered.txt" 2> /dev/null
echo "uncovered lines: $B/uncovered.txt ($(wc -l < "$B/uncovered.txt" 2> /dev/null || echo 0))"
exit $rc
