#!/bin/sh
# What loading may and may not do (docs/reliability.md, "Security"):
#  1. the library and the command import nothing that runs programs,
#     loads code or opens connections (exec*, system, popen, fork,
#     dlopen, socket, ...): loading a file can never execute anything.
#     One exception, the command's posix_spawnp: `export --check` runs
#     the compiler ($CC) on the file it wrote, and the program built,
#     when asked to on the command line (export without it runs nothing);
#  2. (with strace) each command opens only the paths it was given —
#     eval, predict and summary open them read-only and create nothing;
#     train writes only its -o file (through OUT.tmp.PID, renamed) — and
#     starts no other program.
. tests/lib.sh
B=${B:-build}

# ---- 1. imports
FORBIDDEN='^(system|popen|execl|execle|execlp|execv|execve|execvp|execvpe|fexecve|fork|vfork|posix_spawn|posix_spawnp|dlopen|dlmopen|dlsym|dlvsym|socket|connect|bind|listen|accept|accept4|getaddrinfo|gethostbyname|mprotect|ptrace)$'
if command -v nm > /dev/null 2>&1; then
    nm -u "$B/libdescent.a" 2>/dev/null | awk '{ print $NF }' | sed 's/@.*//' | sort -u > "$T/lib.imports"
    nm -D --undefined-only "$D" 2>/dev/null | awk '{ print $NF }' | sed 's/@.*//' | sort -u > "$T/cli.imports"
    # A sanitizer build links its runtime into the command, and the
    # runtime looks symbols up itself (dlsym): not descent's doing.
    if nm "$D" 2>/dev/null | grep -q ' __asan_init$'; then
        grep -v -E '^(dlsym|dlvsym)$' "$T/cli.imports" > "$T/cli.own"
        mv "$T/cli.own" "$T/cli.imports"
    fi
    grep -v -x posix_spawnp "$T/cli.imports" > "$T/cli.own"
    # (a sanitizer build defines it, its interceptor, instead of importing it)
    { grep -q -x posix_spawnp "$T/cli.imports" || nm "$D" 2>/dev/null | grep -q ' __interceptor_posix_spawnp$'; } &&
        ok || bad "no posix_spawnp: how does export --check compile?"
    mv "$T/cli.own" "$T/cli.imports"
    for f in lib cli; do
        n=$(wc -l < "$T/$f.imports")
        hits=$(grep -E "$FORBIDDEN" "$T/$f.imports" | tr '\n' ' ')
        if [ "$n" -gt 20 ] && [ -z "$hits" ]; then ok
        else bad "$f imports $n symbols, forbidden: ${hits:-none}"; fi
    done
    # ... and the library proper uses the file system only to read what
    # it is given and to write through rename (atomic saves)
    grep -q '^rename$' "$T/lib.imports" && ok || bad "no rename: how are files saved?"
else
    echo "nm not installed: import checks skipped"
fi

# ---- 2. paths touched, under strace
if ! command -v strace > /dev/null 2>&1 ||
   ! strace -f -qq -o /dev/null true 2> /dev/null; then
    echo "strace not installed or not permitted: path checks skipped"
    echo "test_security: $pass passed, $fail failed"
    [ $fail -eq 0 ]
    exit
fi
mkdir "$T/w"
M=$T/w/iris.st
$D train data/iris.csv -o "$M" --epochs 2 > /dev/null 2>&1 || bad "cannot train"
cp data/iris.csv "$T/w/rows.csv"

# trace NAME CMD...: runs descent CMD under strace into $T/NAME.trace
trace() {
    name=$1; shift
    strace -f -qq -e trace=%file,%process,%network -o "$T/$name.trace" \
        $D "$@" > "$T/$name.out" 2> "$T/$name.err"
}
# paths NAME: what it opened, renamed or removed, as "r PATH" (opened
# read-only) or "w PATH" (opened to write, created, renamed, removed),
# minus the dynamic loader's files, the CPU count and the profile data a
# coverage build (make coverage) writes at exit
paths() {
    grep -E '(^| )(open|openat|creat|rename|renameat2?|unlink|unlinkat|mkdir|mkdirat)\(' "$T/$1.trace" |
        sed -E 's/^[0-9]+ +//' |
        awk '{ call = $0; sub(/\(.*/, "", call)
               w = (call != "open" && call != "openat") || $0 ~ /O_WRONLY|O_RDWR|O_CREAT/ ? "w" : "r"
               s = $0
               while (match(s, /"[^"]*"/)) {
                   print w, substr(s, RSTART + 1, RLENGTH - 2); s = substr(s, RSTART + RLENGTH) } }' |
        grep -v -E ' (/etc/ld\.so|/lib/|/usr/lib/|/lib64/|/sys/devices/system/cpu/|/proc/|/dev/)' |
        grep -v -E '\.gcda$' | sort -u
}
execs() { grep -c 'execve(' "$T/$1.trace"; }
net()   { grep -c -E '(socket|connect)\(' "$T/$1.trace"; }

for cmd in eval predict summary export; do
    case $cmd in
        summary) trace $cmd summary "$M" ;;
        export)  trace $cmd export "$M" -o /dev/null --format c ;;
        *)       trace $cmd $cmd "$M" "$T/w/rows.csv" ;;
    esac
    [ "$(execs $cmd)" -eq 1 ] && ok || bad "$cmd started another program"
    [ "$(net $cmd)" -eq 0 ] && ok || bad "$cmd opened a socket"
    others=$(paths $cmd | grep -v -F -e " $M" -e " $T/w/rows.csv" | tr '\n' ';')
    [ -z "$others" ] && ok || bad "$cmd touched other paths: $others"
    writes=$(paths $cmd | grep '^w ' | tr '\n' ';')
    [ -z "$writes" ] && ok || bad "$cmd wrote: $writes"
    paths $cmd | grep -q -F " $M" && ok || bad "$cmd: the trace shows no model read (is strace working?)"
done

# a hostile model (a damaged file) is refused having touched only itself
cp fuzz/corpus/model/bad_shape "$T/w/bad.st"
trace hostile eval "$T/w/bad.st" "$T/w/rows.csv"
others=$(paths hostile | grep -v -F " $T/w/bad.st" | tr '\n' ';')
[ -z "$others" ] && ok || bad "eval of a bad model touched: $others"

O=$T/w/out.st
trace train train "$T/w/rows.csv" -o "$O" --epochs 1
[ "$(execs train)" -eq 1 ] && ok || bad "train started another program"
[ "$(net train)" -eq 0 ] && ok || bad "train opened a socket"
others=$(paths train | grep -v -E "^r $T/w/rows\\.csv\$" |
         grep -v -E "^[rw] ($O|$O\\.tmp\\.[0-9]+|$T/w)\$" | tr '\n' ';')
[ -z "$others" ] && ok || bad "train touched other paths: $others"
grep -q "rename(\"$O.tmp.[0-9]*\", \"$O\")" "$T/train.trace" && ok ||
    bad "train did not write its model through a renamed temporary file"
[ -f "$O" ] && [ -z "$(ls "$T/w" | grep tmp)" ] && ok || bad "train left $(ls "$T/w")"

finish test_security
