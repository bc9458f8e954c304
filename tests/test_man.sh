#!/bin/sh
# The manual page and the completion say what --help says: man/gen1.sh
# makes descent(1) from the help texts, and every option of every
# command's --help (and every command of descent --help) must appear in
# the rendered page under that command, and in the completion's list for
# it; the page renders without a groff warning.
. tests/lib.sh
sh man/gen1.sh "$D" > "$T/descent.1" && ok || bad "gen1.sh failed"
sh man/gencomp.sh "$D" > "$T/descent.bash" && ok || bad "gencomp.sh failed"
groff -ww -k -man -Tutf8 "$T/descent.1" > /dev/null 2> "$T/warn"
[ ! -s "$T/warn" ] && ok || bad "groff warns: $(head -3 "$T/warn")"
# the page as text, hyphens plain (-Tutf8 renders \- as a minus sign)
groff -k -man -Tutf8 "$T/descent.1" 2>/dev/null | sed 's/\xe2\x88\x92/-/g; s/\xe2\x80\x90/-/g' | col -b > "$T/page"
cmds=$("$D" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }')
[ "$(echo $cmds | wc -w)" -ge 7 ] && ok || bad "commands found: $cmds"
missing=""; n=0
for c in $cmds; do
    # the page's section for c: from its heading to the next command's
    awk -v c="descent $c" '$0 ~ "^   " c "$" { on = 1; next } on && /^   descent [a-z]+$/ { exit } on' "$T/page" > "$T/sec"
    [ -s "$T/sec" ] || missing="$missing [no section for $c]"
    comp=$(sed -n "s/^    $c) opts=\"\\(.*\\)\" ;;/\\1/p" "$T/descent.bash")
    for o in $("$D" "$c" --help | awk '/^ +-/ && !/^        / { sub(/^ +/, ""); k = match($0, /   /); if (k) $0 = substr($0, 1, k - 1); n = split($0, w, /[ ,|]+/); for (i = 1; i <= n; i++) if (w[i] ~ /^--?[a-zA-Z]/) print w[i] }' | sed 's/[^a-zA-Z0-9-].*//'); do
        n=$((n + 1))
        grep -q -- "$o" "$T/sec" || missing="$missing $c:$o(page)"
        case " $comp " in *" $o "*) ;; *) missing="$missing $c:$o(completion)" ;; esac
    done
done
[ $n -ge 100 ] && ok || bad "only $n options in the help texts"
[ -z "$missing" ] && ok || bad "not in the page or the completion:$missing"
finish test_man
