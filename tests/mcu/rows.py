#!/usr/bin/python3
"""rows.py DATA N_IN N_ROWS OUT.h: the first N_ROWS rows of DATA as the
firmware's rows.h, float32 values written exactly (%.9g).  DATA is a CSV
of numbers whose first N_IN columns are the model's inputs, or a gzipped
IDX image file, whose bytes become float32(b) / 255 as descent scales
them."""
import gzip, struct, sys
import numpy as np

data, n_in, n, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
if data.endswith(".gz"):
    raw = gzip.open(data).read()
    count, r, c = struct.unpack(">III", raw[4:16])
    px = np.frombuffer(raw, np.uint8, n * r * c, 16).reshape(n, r * c)
    X = px.astype(np.float32) / np.float32(255)
else:
    lines = open(data).read().splitlines()[1:n + 1]
    X = np.array([[float(v) for v in l.split(",")[:n_in]] for l in lines], np.float32)
with open(out, "w") as f:
    f.write("#define N_ROWS %d\n#define N_IN %d\nstatic const float rows[N_ROWS][N_IN] = {\n" % (len(X), n_in))
    for row in X:
        f.write("    {" + ", ".join("%.9gf" % v if "." in "%.9g" % v or "e" in "%.9g" % v
                                    else "%.9g.0f" % v for v in row) + "},\n")
    f.write("};\n")
