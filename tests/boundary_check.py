#!/usr/bin/python3
"""boundary_check.py SVG DATA.csv MODEL DESCENT [CELLS] — reads a
`descent boundary` picture as a person would: the colour of a cell.
Each point's fill, against DATA's labels, gives the class colours; a
cell's fill must be one class colour faded toward white (f = 255 + s (c -
255) on every channel).  For CELLS cells picked at random (seeded) the
class read and its shade must be what `descent predict` gives at the
cell's centre: the class, and s = 0.18 + 0.12 floor(5 conf).  Prints
"boundary_check: P passed, F failed"."""
import csv, random, subprocess, sys, xml.etree.ElementTree as ET

svg, data, model, descent = sys.argv[1:5]
n_cells = int(sys.argv[5]) if len(sys.argv) > 5 else 40
NS = "{http://www.w3.org/2000/svg}"
root = ET.parse(svg).getroot()
results = []


def check(ok, what):
    results.append(bool(ok))
    if not ok:
        print("FAIL:", what)

def rgb(h):
    return tuple(int(h[i:i + 2], 16) for i in (1, 3, 5))

g = next(e for e in root.iter(NS + "g") if e.get("id") == "regions")
x0, x1, y0, y1 = (float(g.get(k)) for k in ("data-x0", "data-x1", "data-y0", "data-y1"))
N = int(g.get("data-grid"))
px, py, pw, ph = (float(g.get(k)) for k in ("data-px", "data-py", "data-pw", "data-ph"))
frames = [e for e in g if e.tag == NS + "g" and e.get("class") == "frame"]
check(len(frames) == 1, "frames: %d" % len(frames))
rects = [(float(r.get("x")), float(r.get("y")), float(r.get("width")),
          float(r.get("height")), r.get("fill")) for r in frames[-1].iter(NS + "rect")]
# every cell covered once: the rects' areas add up to the plot's
area = sum(w * h for _, _, w, h, _ in rects)
check(abs(area - pw * ph) < 1e-3 * pw * ph, "rects cover %g of %g" % (area, pw * ph))

rows = list(csv.DictReader(open(data)))
pts = [e for e in next(e for e in root.iter(NS + "g") if e.get("id") == "points")]
check(len(pts) == len(rows), "%d points, %d rows" % (len(pts), len(rows)))
colour = {}
for r, c in zip(rows, pts):
    k = int(r["label"])
    check(colour.setdefault(k, c.get("fill")) == c.get("fill"),
          "class %d drawn in two colours" % k)
    # the point sits where its row's inputs are
    cx = px + (float(r["x1"]) - x0) / (x1 - x0) * pw
    cy = py + ph - (float(r["x2"]) - y0) / (y1 - y0) * ph
    if abs(float(c.get("cx")) - cx) > 0.01 or abs(float(c.get("cy")) - cy) > 0.01:
        check(False, "point at %s,%s for row %s" % (c.get("cx"), c.get("cy"), r))
        break
check(len(set(colour.values())) == len(colour), "classes share a colour")

def read_cell(fill):
    """The class whose colour, faded by s, is fill: (class, s) or None."""
    f = rgb(fill)
    for k, c in colour.items():
        c = rgb(c)
        s = [(255 - f[a]) / (255 - c[a]) for a in range(3) if c[a] < 250]
        if s and max(s) - min(s) < 0.02 and all(
                abs(255 + s[0] * (c[a] - 255) - f[a]) <= 2 for a in range(3)):
            return k, sum(s) / len(s)
    return None

rng = random.Random(7)
cells = [(rng.randrange(N), rng.randrange(N)) for _ in range(n_cells)]
with open(svg + ".cells.csv", "w") as out:
    out.write("x1,x2\n")
    for i, j in cells:
        out.write("%r,%r\n" % (x0 + (i + 0.5) * (x1 - x0) / N, y0 + (j + 0.5) * (y1 - y0) / N))
pred = list(csv.reader(subprocess.run([descent, "predict", model, svg + ".cells.csv"],
                                      check=True, capture_output=True, text=True).stdout.splitlines()))
K = len(pred[0]) - 1
for (i, j), p in zip(cells, pred[1:]):
    # the pixel at the cell's centre, and the rect drawn there
    cx, cy = px + (i + 0.5) * pw / N, py + ph - (j + 0.5) * ph / N
    hit = [r for r in rects if r[0] <= cx < r[0] + r[2] and r[1] <= cy < r[1] + r[3]]
    check(len(hit) == 1, "cell %d,%d under %d rects" % (i, j, len(hit)))
    seen = read_cell(hit[0][4]) if hit else None
    check(seen is not None, "cell %d,%d: fill %s is no class's shade" % (i, j, hit and hit[0][4]))
    if not seen:
        continue
    k = int(p[0])
    probs = [float(v) for v in p[1:]]
    conf = (probs[k] - 1 / K) / (1 - 1 / K)
    step = min(4, int(conf * 5))
    check(seen[0] == k, "cell %d,%d drawn as class %d, predict says %d (%s)" % (i, j, seen[0], k, p))
    check(abs(seen[1] - (0.18 + 0.12 * step)) < 0.02,
          "cell %d,%d: shade %.3f, predict's confidence %.3f wants %.2f" % (i, j, seen[1], conf, 0.18 + 0.12 * step))
print("boundary_check: %d passed, %d failed" % (results.count(True), results.count(False)))
