#!/usr/bin/python3
"""numtext_lint.py FILE... - fails (exit 1, one line per place) where C
source writes or reads a number through the locale: a printf-family call
whose format has a floating conversion (%g, %.1f, %e, ...), or strtod,
strtof, atof, sscanf and kin.  descent's numbers go through src/base/numtext.c
(dn_snprintf, dn_fprintf, dn_parse_double) instead, so that a host's
setlocale() cannot turn "0.5" into "0,5".  Integer conversions are not
flagged: without the ' flag no locale changes them.  Comments are
skipped; a format that is not a string literal is not seen."""
import re, sys
CALL = re.compile(r'(?<![\w.>])(printf|fprintf|sprintf|snprintf|vprintf|vfprintf|vsprintf|vsnprintf)\s*\(')
READ = re.compile(r'(?<![\w.>])(strtod|strtof|strtold|atof|sscanf|fscanf|scanf)\s*\(')
CONV = re.compile(r"%[-+ #0']*(\d+|\*)?(\.(\d+|\*)?)?(hh|h|ll|l|L|j|z|t)?([aAeEfFgG])")
STR = re.compile(r'"(\\.|[^"\\])*"')
def strip_comments(s):
    """s with comments blanked (newlines kept, for line numbers)."""
    out = []; i = 0
    while i < len(s):
        if s.startswith('/*', i):
            j = s.find('*/', i + 2); j = len(s) if j < 0 else j + 2
            out.append('\n' * s.count('\n', i, j)); i = j
        elif s.startswith('//', i):
            j = s.find('\n', i); i = len(s) if j < 0 else j
        elif s[i] == '"':
            m = STR.match(s, i); j = m.end() if m else i + 1
            out.append(s[i:j]); i = j
        elif s[i] == "'":
            m = re.compile(r"'(\\.|[^'\\])*'").match(s, i); j = m.end() if m else i + 1
            out.append(s[i:j]); i = j
        else:
            out.append(s[i]); i += 1
    return ''.join(out)
def args_of(s, i):
    """The call's arguments: s[i] is '(', up to its matching ')'."""
    d = 0; j = i
    while j < len(s):
        if s[j] == '"':
            j = STR.match(s, j).end(); continue
        if s[j] == '(': d += 1
        elif s[j] == ')':
            d -= 1
            if d == 0: return s[i:j + 1]
        j += 1
    return s[i:]
bad = 0
for path in sys.argv[1:]:
    s = strip_comments(open(path).read())
    line = lambda k: s.count('\n', 0, k) + 1
    for m in READ.finditer(s):
        print(f"{path}:{line(m.start())}: {m.group(1)} reads numbers by the locale; use dn_parse_double"); bad += 1
    for m in CALL.finditer(s):
        a = args_of(s, m.end() - 1)
        fmt = ''.join(x.group(0)[1:-1] for x in STR.finditer(a)).replace('%%', '')
        if CONV.search(fmt):
            print(f"{path}:{line(m.start())}: {m.group(1)} with '{CONV.search(fmt).group(0)}' writes by the locale; use dn_snprintf/dn_fprintf"); bad += 1
sys.exit(1 if bad else 0)
