"""layout.py OUT.c — writes a C program that prints the size of every
struct descent/_lib.py declares and the offset of each of its fields, as
the compiler lays them out from include/descent.h, in the form
"name size" and "name.field offset"; compare_layout() checks ctypes'
numbers against that output."""
import ctypes
import sys

sys.path.insert(0, "python")
from descent import _lib as L  # noqa: E402


def lines_from_ctypes():
    out = []
    for s in L.STRUCTS:
        out.append("%s %d" % (s.__name__, ctypes.sizeof(s)))
        for f, _ in s._fields_:
            out.append("%s.%s %d" % (s.__name__, f, getattr(s, f).offset))
    return out


def c_program():
    body = ['#include <descent.h>', '#include <stddef.h>',
            '#include <stdio.h>', 'int main(void) {']
    for s in L.STRUCTS:
        n = s.__name__
        body.append('    printf("%s %%zu\\n", sizeof(%s));' % (n, n))
        for f, _ in s._fields_:
            body.append('    printf("%s.%s %%zu\\n", offsetof(%s, %s));'
                        % (n, f, n, f))
    body += ['    return 0;', '}']
    return "\n".join(body) + "\n"


if __name__ == "__main__":
    if sys.argv[1] == "c":
        sys.stdout.write(c_program())
    else:
        print("\n".join(lines_from_ctypes()))
