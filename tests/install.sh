#!/bin/sh
# install.sh — `make test-install`: descent installed as a C library.
#  1. make install into a scratch DESTDIR with Debian's multiarch LIBDIR:
#     exactly the listed files, the SONAME, symlinks to the versioned
#     library; make uninstall leaves the scratch tree empty.
#  2. make install into a scratch PREFIX, then the README's C example
#     built with CMake (find_package(descent), descent::descent) and with
#     pkg-config (shared, and --static), and each program run.
#  3. man -l renders both pages; groff -ww finds nothing to warn about.
. tests/lib.sh
B=${B:-build}
MK="make -s --no-print-directory B=$B"

# -- 1. the files of an install, and an uninstall that removes them all
$MK install DESTDIR="$T/dest" PREFIX=/usr LIBDIR=/usr/lib/x86_64-linux-gnu > "$T/log" 2>&1 ||
    { bad "make install failed: $(tail -3 "$T/log")"; finish test_install; }
v=$(sed -n 's/^#define DN_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\).*/\2/p' include/descent.h | paste -sd.)
maj=${v%%.*}
L=usr/lib/x86_64-linux-gnu
cat > "$T/want" <<LIST
usr/bin/descent
usr/include/descent.h
$L/cmake/descent/descentConfig.cmake
$L/cmake/descent/descentConfigVersion.cmake
$L/libdescent.a
$L/libdescent.so
$L/libdescent.so.$maj
$L/libdescent.so.$v
$L/pkgconfig/descent.pc
usr/share/bash-completion/completions/descent
usr/share/man/man1/descent.1
usr/share/man/man3/descent.3
LIST
(cd "$T/dest" && find . ! -type d | sed 's|^\./||' | sort) > "$T/got"
sort "$T/want" | cmp -s - "$T/got" && ok || bad "installed files differ: $(sort "$T/want" | diff - "$T/got" | tr '\n' ' ')"
readelf -d "$T/dest/$L/libdescent.so.$v" | grep -q "SONAME.*\[libdescent.so.$maj\]" && ok ||
    bad "no SONAME libdescent.so.$maj: $(readelf -d "$T/dest/$L/libdescent.so.$v" | grep SONAME)"
[ "$(readlink "$T/dest/$L/libdescent.so")" = "libdescent.so.$maj" ] &&
    [ "$(readlink "$T/dest/$L/libdescent.so.$maj")" = "libdescent.so.$v" ] && ok ||
    bad "symlinks: $(ls -l "$T/dest/$L" | tr '\n' ' ')"
grep -q "^libdir=/$L$" "$T/dest/$L/pkgconfig/descent.pc" && ok || bad "descent.pc libdir: $(cat "$T/dest/$L/pkgconfig/descent.pc")"
$MK uninstall DESTDIR="$T/dest" PREFIX=/usr LIBDIR=/usr/lib/x86_64-linux-gnu > "$T/log" 2>&1
left=$(find "$T/dest/usr" -mindepth 1 2>/dev/null | sed "s|$T/dest/||" | tr '\n' ' ')
[ -z "$left" ] && ok || bad "make uninstall left: $left"

# -- 2. consumers of an install
P="$T/prefix"
$MK install PREFIX="$P" > "$T/log" 2>&1 || bad "make install PREFIX: $(tail -3 "$T/log")"
awk '/^```c/ { p = 1; next } /^```/ { if (p) exit } p' README.md > "$T/app.c"
[ -s "$T/app.c" ] && ok || bad "no C example in README.md"
mkdir -p "$T/cm"
cp "$T/app.c" "$T/cm/app.c"
# the major version of this tree's header: find_package accepts no other
cat > "$T/cm/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.13)
project(app C)
find_package(descent $maj.0 REQUIRED)
add_executable(app app.c)
target_link_libraries(app descent::descent)
CM
if cmake -S "$T/cm" -B "$T/cm/b" -DCMAKE_PREFIX_PATH="$P" > "$T/log" 2>&1 &&
   cmake --build "$T/cm/b" > "$T/log" 2>&1; then ok
else bad "CMake consumer: $(tail -5 "$T/log")"; fi
# (run from the tree, where data/iris.csv is)
"$T/cm/b/app" > "$T/out" 2>&1 && grep -q "accuracy" "$T/out" && ok || bad "CMake-built app: $(cat "$T/out")"
ldd "$T/cm/b/app" | grep -q "libdescent.so.$maj => $P/lib/" && ok || bad "CMake app links: $(ldd "$T/cm/b/app" | grep descent)"
export PKG_CONFIG_PATH="$P/lib/pkgconfig"
cc "$T/app.c" $(pkg-config --cflags --libs descent) -o "$T/app-so" 2> "$T/log" && ok || bad "pkg-config shared: $(cat "$T/log")"
LD_LIBRARY_PATH="$P/lib" "$T/app-so" > "$T/out" 2>&1 && grep -q "accuracy" "$T/out" && ok || bad "pkg-config app: $(cat "$T/out")"
cc "$T/app.c" $(pkg-config --cflags descent) "$(pkg-config --variable=libdir descent)/libdescent.a" \
    $(pkg-config --libs --static descent | sed 's/-ldescent//; s/-L[^ ]*//') -o "$T/app-a" 2> "$T/log" && ok ||
    bad "pkg-config static: $(cat "$T/log")"
"$T/app-a" > "$T/out" 2>&1 && grep -q "accuracy" "$T/out" && ok || bad "static app: $(cat "$T/out")"
ldd "$T/app-a" | grep -q descent && bad "the static app needs libdescent.so" || ok

# -- 3. the manual pages
for pg in "$P/share/man/man1/descent.1" "$P/share/man/man3/descent.3"; do
    groff -ww -k -man -Tutf8 "$pg" > "$T/page" 2> "$T/warn"
    [ ! -s "$T/warn" ] && [ -s "$T/page" ] && ok || bad "$pg: groff warns: $(head -3 "$T/warn")"
    MANWIDTH=80 man -l "$pg" > "$T/page" 2> "$T/warn" && [ -s "$T/page" ] && ok || bad "man -l $pg: $(head -3 "$T/warn")"
done
# bash completion: loads, completes a command and an option
# a prefix with one answer completes to it; a shared prefix offers every
# command it starts (train and trace), nothing else
bash -c ". '$P/share/bash-completion/completions/descent'; COMP_WORDS=(descent exp); COMP_CWORD=1; _descent; echo \${COMPREPLY[*]}" > "$T/c1"
grep -qx "export" "$T/c1" && ok || bad "completion of 'descent exp': $(cat "$T/c1")"
bash -c ". '$P/share/bash-completion/completions/descent'; COMP_WORDS=(descent tr); COMP_CWORD=1; _descent; printf '%s\\n' \${COMPREPLY[*]} | sort | tr '\\n' ' '" > "$T/c1"
grep -qx "trace train " "$T/c1" && ok || bad "completion of 'descent tr': $(cat "$T/c1")"
bash -c ". '$P/share/bash-completion/completions/descent'; COMP_WORDS=(descent train --val-d); COMP_CWORD=2; _descent; echo \${COMPREPLY[*]}" > "$T/c2"
grep -qx -- "--val-data" "$T/c2" && ok || bad "completion of '--val-d': $(cat "$T/c2")"
$MK uninstall PREFIX="$P" > /dev/null 2>&1
finish test_install
