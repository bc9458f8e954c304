#!/usr/bin/python3
"""rows.py DATA TARGET N_ROWS OUT.h: the first N_ROWS rows of DATA as the
firmware's rows.h, float32 values written exactly (%.9g).  DATA is a CSV
of numbers, whose columns but TARGET are the model's inputs in order, or
a gzipped IDX image file (TARGET "-"), whose bytes become
float32(b) / 255 as descent scales them."""
import gzip, struct, sys
import numpy as np

data, target, n, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
if data.endswith(".gz"):
    raw = gzip.open(data).read()
    count, r, c = struct.unpack(">III", raw[4:16])
    px = np.frombuffer(raw, np.uint8, n * r * c, 16).reshape(n, r * c)
    X = px.astype(np.float32) / np.float32(255)
else:
    lines = open(data).read().splitlines()
    keep = [i for i, name in enumerate(lines[0].split(",")) if name != target]
    X = np.array([[float(l.split(",")[i]) for i in keep] for l in lines[1:n + 1]],
                 np.float32)

def literal(v):
    s = "%.9g" % v
    return s + ("f" if "." in s or "e" in s else ".0f")

with open(out, "w") as f:
    f.write("#define N_ROWS %d\n#define N_IN %d\n" % X.shape)
    f.write("static const float rows[N_ROWS][N_IN] = {\n")
    for row in X:
        f.write("    {" + ", ".join(literal(v) for v in row) + "},\n")
    f.write("};\n")
