#!/bin/sh
# check_layers.sh LIB.so — the two rules of the tree (docs/architecture.md),
# run by `make check`:
#
# 1. Includes point down.  The folders of src/ are layers, bottom to top:
#        base kernels data nn optim train formats watch
#    A file includes "descent.h", headers of its own folder, and headers
#    of folders before its own; nothing else of the project ("../x.h", a
#    bare "x.h" from another folder, a folder above).
# 2. The shared library exports what include/descent.h declares, and
#    nothing else: every dynamic symbol named dn_* must be a name the
#    header declares (the rest are built with hidden visibility).
# 3. No C library call that keeps hidden state between calls (strtok,
#    rand, localtime, ...) in src/ or cli/: the library trains models on
#    several threads at once and the CLI's cross-validation builds its
#    folds on threads, so each such call is a race (strtok's was one,
#    found by ThreadSanitizer); use the _r form.
#
# Prints one line per breach and exits 1 if there is any.
LIB=${1:?usage: check_layers.sh libdescent.so}
LAYERS="base kernels data nn optim train formats watch"
bad=0
T_BAD=$(mktemp) || exit 2
trap 'rm -f "$T_BAD"' EXIT

rank() {
    i=0
    for l in $LAYERS; do [ "$l" = "$1" ] && { echo $i; return; }; i=$((i + 1)); done
    echo -1
}

for dir in src/*/; do
    layer=$(basename "$dir")
    r=$(rank "$layer")
    if [ "$r" -lt 0 ]; then
        echo "src/$layer: not a layer (add it to LAYERS here and in the Makefile)"
        bad=1; continue
    fi
    for f in "$dir"*.c "$dir"*.h; do
        [ -f "$f" ] || continue
        # every quoted include, with its line number
        grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
        sed 's/^\([0-9]*\):[^"]*"\([^"]*\)".*/\1 \2/' |
        while read -r ln inc; do
            case $inc in
                descent.h) continue ;;
                */*/*|../*) ;;
                */*)
                    to=${inc%%/*}
                    t=$(rank "$to")
                    # (a header generated into the build, $GEN, counts as
                    # its layer's)
                    if [ "$t" -ge 0 ] && [ "$t" -le "$r" ] &&
                       { [ -f "src/$inc" ] || [ -f "${GEN:-build/gen}/$inc" ]; }; then continue; fi
                    if [ "$t" -gt "$r" ]; then
                        echo "$f:$ln: includes \"$inc\", a layer above $layer"
                        echo x >> "$T_BAD"; continue
                    fi ;;
            esac
            echo "$f:$ln: includes \"$inc\": name a header as \"layer/file.h\" of this layer or one below"
            echo x >> "$T_BAD"
        done
    done
done

# The header's functions: every dn_ name followed by "(" once the
# preprocessor has removed the comments (the header declares no variables),
# but for a function pointer type's return type, "dn_status (*".
declared=$(${CC:-cc} -E -P include/descent.h | tr -s ' \t\n' '   ' |
           sed 's/dn_[A-Za-z0-9_]*[[:space:]]*([[:space:]]*\*/(*/g' |
           grep -o 'dn_[A-Za-z0-9_]*[[:space:]]*(' | sed 's/[[:space:]]*($//' | sort -u)
exported=$(nm -D --defined-only "$LIB" | awk '{print $NF}' | grep '^dn_' | sort -u)
if [ -z "$exported" ]; then
    echo "$LIB: exports no dn_ symbol at all"; bad=1
fi
for s in $exported; do
    echo "$declared" | grep -qx "$s" ||
        { echo "$LIB: exports $s, which include/descent.h does not declare"; bad=1; }
done
# and the reverse: what the header promises is there
for s in $declared; do
    echo "$exported" | grep -qx "$s" ||
        { echo "include/descent.h: declares $s, which $LIB does not export"; bad=1; }
done

# Rule 3, on the code with comments and strings removed.
for f in src/*/*.c src/*/*.h cli/*.c cli/*.h; do
    [ -f "$f" ] || continue
    sed -e 's|//.*||' -e 's|"[^"]*"|""|g' "$f" |
    grep -nE '(^|[^A-Za-z0-9_])(strtok|rand|srand|localtime|gmtime|asctime|ctime|strsignal|readdir|getpwnam|getpwuid)[[:space:]]*\(' |
    grep -v '^[0-9]*:[[:space:]]*\*' |
    while IFS=: read -r ln rest; do
        echo "$f:$ln: a call that keeps hidden state between calls (a race on threads): use its _r form"
        echo x >> "$T_BAD"
    done
done

[ -s "$T_BAD" ] && bad=1
exit $bad
