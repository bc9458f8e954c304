"""golden_io.py — what the golden generators share: writing the header
they produce, whole or not at all (a temporary file renamed over it), or
to standard output with --stdout."""
import os
import sys


def write_header(name, emit):
    """Calls emit(file) to write tests/<name>."""
    if "--stdout" in sys.argv[1:]:
        emit(sys.stdout)
        return
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        emit(f)
    os.replace(tmp, path)
    sys.stderr.write("wrote %s\n" % path)
