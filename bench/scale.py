"""scale.py — `make bench-scale`: how descent's cost grows, beside
PyTorch's, in one run, written to bench/SCALE.md and three SVG plots:

    /usr/bin/python3 bench/scale.py DESCENT OUT_DIR     (make bench-scale)

Three sweeps, each point one `descent train` and one PyTorch run
(bench/scale_torch.py), the samples/s of the training loop and the peak
RSS of the whole process:

    rows    10k, 1M, 10M synthetic rows of 784 bytes (uncompressed IDX),
            784-16-16-10, SGD, batch 32 (issue 18's W1): one epoch
    width   784-H-10, H = 16 ... 4,096, batch 64, on the 10k rows
    batch   784-128-10, batch 1 ... 4,096, on the 10k rows

descent's samples/s: the rows it trained on over the seconds its
history file gives its epochs (loading and the scaling fit are outside, as PyTorch's
loading is); for the 10k-row points the epochs are chosen from a
one-epoch pilot so that the timed run takes about TARGET seconds.
PyTorch runs its loop for TARGET seconds or one epoch (the 10M rows:
one epoch would take minutes).  The 10M-row file is 7.8 GB: if
`descent train` has --memory (streaming a file larger than the
budget), descent streams it under --memory 2G; otherwise it reads it
whole, and SCALE.md says which.  The synthetic rows are one 100,000-row
block of random bytes repeated (labels from the pixels), written once
into OUT_DIR and kept.

Environment: BENCH_SCALE_TARGET (seconds per point, default 2.5),
BENCH_SCALE_MAX_ROWS (leave out the larger row counts, for a smoke test);
PyTorch's threads and OpenBLAS kernels are those `make bench` found
fastest (OUT_DIR/peer_torch.env, bench/peers.py) when that file exists,
else 1 torch thread and OpenBLAS as detected.
"""
import math
import os
import re
import subprocess
import sys
import time

PY = "/usr/bin/python3"
HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = float(os.environ.get("BENCH_SCALE_TARGET", "2.5"))
MAX_ROWS = int(os.environ.get("BENCH_SCALE_MAX_ROWS", "10000000"))
BLOCK = 100_000
OUT = "."   # main() sets it


# --- the data ------------------------------------------------------------

def write_idx(out, n):
    """OUT/rows_N-images / -labels: n rows of 784 bytes, IDX uncompressed."""
    import numpy as np
    img = os.path.join(out, f"rows_{n}-images")
    lab = os.path.join(out, f"rows_{n}-labels")
    if os.path.exists(img) and os.path.getsize(img) == 16 + 784 * n and \
            os.path.exists(lab) and os.path.getsize(lab) == 8 + n:
        return img, lab
    rng = np.random.default_rng(18)
    block = rng.integers(0, 256, (BLOCK, 784), dtype=np.uint8)
    # A label the pixels decide: which tenth of the image is brightest.
    y = block[:, :780].reshape(BLOCK, 10, 78).sum(2, dtype=np.int64).argmax(1)
    y = y.astype(np.uint8)
    for path, head, data, per in ((img, (0x803, n, 28, 28), block, 784),
                                  (lab, (0x801, n), y, 1)):
        with open(path + ".part", "wb") as f:
            f.write(np.array(head, dtype=">u4").tobytes())
            left = n
            while left:
                k = min(left, BLOCK)
                f.write(data[:k].tobytes())
                left -= k
        os.replace(path + ".part", path)
    return img, lab


# --- one point -----------------------------------------------------------

def run(cmd, env=None):
    """(stdout, peak RSS in KiB, wall seconds) of a command.  The RSS is
    GNU time's: the command's own peak, where wait4's ru_maxrss on a
    child of this process would count this process's memory too (a
    spawned child starts as a copy of it)."""
    rss_file = os.path.join(OUT, "scale_rss.txt")
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file] + cmd,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       env=env, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"bench/scale.py: {' '.join(cmd)} failed:\n{p.stdout}")
    with open(rss_file) as f:
        rss = int(f.read().split()[-1])
    return p.stdout, rss, wall


def descent(exe, img, lab, n, hidden, batch, epochs, out, memory=None):
    hist, model = os.path.join(out, "scale_history.csv"), \
        os.path.join(out, "scale_model.safetensors")
    cmd = [exe, "train", img, "--labels", lab, "--layers", hidden,
           "--opt", "sgd", "--lr", "0.01", "--batch", str(batch),
           "--epochs", str(epochs), "--val", "0", "-q", "-o", model,
           "--history", hist]
    if memory:
        cmd += ["--memory", memory]
    _, rss, wall = run(cmd)
    with open(hist) as f:   # the seconds column: each epoch's own
        head = f.readline().strip().split(",")
        secs = [float(line.split(",")[head.index("seconds")])
                for line in f if line.strip()]
    if len(secs) != epochs:
        sys.exit(f"bench/scale.py: {len(secs)} epochs in {hist}, not "
                 f"{epochs}, from {' '.join(cmd)}")
    t = sum(secs)
    shown = " ".join(cmd)
    return {"samples_per_s": n * epochs / t if t > 0 else float("nan"),
            "rss_kb": rss, "seconds": t, "epochs": epochs, "wall": wall,
            "cmd": shown}


def torch(img, lab, hidden, batch, env):
    out, rss, wall = run([PY, os.path.join(HERE, "scale_torch.py"), img, lab,
                          hidden, str(batch), str(TARGET)], env)
    m = re.search(r"^torch .*", out, re.M)
    if not m:
        sys.exit(f"bench/scale.py: no line from scale_torch.py:\n{out}")
    f = dict(kv.split("=", 1) for kv in m.group(0).split()[1:])
    return {"samples_per_s": float(f["samples_per_s"]), "rss_kb": rss,
            "seconds": float(f["seconds"]), "samples": int(f["samples"]),
            "wall": wall, "setting": f"torch_threads={f['torch_threads']} "
                                     f"openblas={f['openblas']}"}


def point(exe, img, lab, n, hidden, batch, env, out, memory=None):
    epochs = 1
    if n <= BLOCK:   # a pilot epoch, then about TARGET seconds
        pilot = descent(exe, img, lab, n, hidden, batch, 1, out)
        epochs = max(1, min(200, round(TARGET / max(pilot["seconds"], 0.01))))
    d = descent(exe, img, lab, n, hidden, batch, epochs, out, memory)
    t = torch(img, lab, hidden, batch, env)
    print(f"scale rows={n} hidden={hidden} batch={batch} "
          f"descent={d['samples_per_s']:.0f} torch={t['samples_per_s']:.0f} "
          f"descent_rss_mb={d['rss_kb'] / 1024:.0f} "
          f"torch_rss_mb={t['rss_kb'] / 1024:.0f}", flush=True)
    return d, t


# --- the pictures --------------------------------------------------------

def svg(path, title, xlabel, xs, series):
    """Two panels (samples/s, peak RSS) on log-log axes; series: a list
    of (name, colour, [samples/s], [rss MiB])."""
    W, H, L, R, T, B = 780, 300, 70, 36, 40, 45
    pw = (W - 3 * L // 2 - R) // 2
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" '
           f'height="{H}" font-family="sans-serif" font-size="11">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{W // 2}" y="18" text-anchor="middle" '
           f'font-size="13">{title}</text>']

    def panel(x0, ylabel, k):
        vals = [v for _, _, *ys in series for v in ys[k] if v and v > 0]
        lo, hi = math.log10(min(vals)), math.log10(max(vals))
        lo, hi = math.floor(lo), math.ceil(hi) if hi > lo else lo + 1
        xl, xh = math.log10(xs[0]), math.log10(xs[-1])
        xl, xh = (xl - 0.5, xh + 0.5) if xh <= xl else (xl, xh)
        ph = H - T - B

        def px(x): return x0 + (math.log10(x) - xl) / (xh - xl) * pw
        def py(y): return T + ph - (math.log10(y) - lo) / (hi - lo) * ph

        out.append(f'<rect x="{x0}" y="{T}" width="{pw}" height="{ph}" '
                   f'fill="none" stroke="#888"/>')
        for e in range(lo, hi + 1):
            y = py(10 ** e)
            out.append(f'<line x1="{x0}" x2="{x0 + pw}" y1="{y:.1f}" '
                       f'y2="{y:.1f}" stroke="#eee"/>'
                       f'<text x="{x0 - 4}" y="{y + 4:.1f}" '
                       f'text-anchor="end">1e{e}</text>')
        for x in xs:
            out.append(f'<text x="{px(x):.1f}" y="{T + ph + 14}" '
                       f'text-anchor="middle">{x:,}</text>')
        out.append(f'<text x="{x0 + pw // 2}" y="{H - 8}" '
                   f'text-anchor="middle">{xlabel}</text>'
                   f'<text x="{x0}" y="{T - 6}">{ylabel}</text>')
        for i, (name, colour, *ys) in enumerate(series):
            pts = [(px(x), py(y)) for x, y in zip(xs, ys[k]) if y and y > 0]
            out.append('<polyline fill="none" stroke="%s" stroke-width="2" '
                       'points="%s"/>' % (colour, " ".join(
                           f"{a:.1f},{b:.1f}" for a, b in pts)))
            out.extend(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3" '
                       f'fill="{colour}"/>' for a, b in pts)
            out.append(f'<text x="{x0 + 8}" y="{T + 14 + 14 * i}" '
                       f'fill="{colour}">{name}</text>')

    panel(L, "samples/s", 0)
    panel(L + pw + L // 2 + 10, "peak RSS, MiB", 1)
    out.append("</svg>")
    with open(path + ".part", "w") as f:
        f.write("\n".join(out) + "\n")
    os.replace(path + ".part", path)


# --- the run -------------------------------------------------------------

def cpu_line():
    """Vendor, family/model/stepping, model name, cores, L2 (bench/cpu.py)."""
    sys.path.insert(0, HERE)
    import cpu
    info, ls = cpu.cpuinfo(), cpu.lscpu()
    l2 = [c[2] for c in cpu.caches() if c[0] == "2"]
    return "%s family %s model %s stepping %s, %s, %d cores, L2 %s%s" % (
        info.get("vendor_id", "?"), info.get("cpu family", "?"),
        info.get("model", "?"), info.get("stepping", "?"),
        ls.get("Model name", info.get("model name", "?")),
        os.cpu_count() or 0, l2[0] if l2 else "?",
        ", avx512f" if "avx512f" in cpu.flags() else "")


def main():
    global OUT
    exe, out = sys.argv[1], sys.argv[2]
    OUT = out
    os.makedirs(out, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("BENCH_TORCH_THREADS", "1")
    setting_file = os.path.join(out, "peer_torch.env")
    peer = ("none found (no `make bench` run before): 1 torch thread, "
            "OpenBLAS as detected")
    if os.path.exists(setting_file):
        words = open(setting_file).read().split()
        peer = " ".join(words)
        i = 0
        while i < len(words):   # env(1) arguments: -u NAME or NAME=VALUE
            if words[i] == "-u" and i + 1 < len(words):
                env.pop(words[i + 1], None)
                i += 2
                continue
            k, _, v = words[i].partition("=")
            env[k] = v
            i += 1
    has_memory = "--memory" in subprocess.run(
        [exe, "train", "--help"], capture_output=True, text=True).stdout
    load0 = open("/proc/loadavg").read().split()[:3]
    t_start = time.time()

    small = write_idx(out, 10_000)
    rows = []
    for n in (10_000, 1_000_000, 10_000_000):
        if n > MAX_ROWS:
            continue
        img, lab = write_idx(out, n)
        memory = "2G" if n == 10_000_000 and has_memory else None
        rows.append((n, memory) + point(exe, img, lab, n, "16,16", 32, env,
                                        out, memory))
    widths = []
    for h in (16, 64, 256, 1024, 4096):
        widths.append((h,) + point(exe, *small, 10_000, str(h), 64, env, out))
    batches = []
    for b in (1, 4, 16, 64, 256, 1024, 4096):
        batches.append((b,) + point(exe, *small, 10_000, "128", b, env, out))
    load1 = open("/proc/loadavg").read().split()[:3]
    minutes = (time.time() - t_start) / 60

    def plot(name, title, xlabel, table):
        xs = [r[0] for r in table]
        d = [r[-2] for r in table]
        t = [r[-1] for r in table]
        svg(os.path.join(HERE, name), title, xlabel, xs, [
            ("descent", "#1f5fbf", [p["samples_per_s"] for p in d],
             [p["rss_kb"] / 1024 for p in d]),
            ("PyTorch", "#d0581c", [p["samples_per_s"] for p in t],
             [p["rss_kb"] / 1024 for p in t])])

    plot("scale_rows.svg", "rows: 784-16-16-10, SGD, batch 32", "rows",
         [(r[0], r[2], r[3]) for r in rows])
    plot("scale_width.svg", "width: 784-H-10, SGD, batch 64, 10k rows",
         "hidden units H", widths)
    plot("scale_batch.svg", "batch: 784-128-10, SGD, 10k rows", "batch",
         batches)

    md = ["# How cost grows: `make bench-scale`", "",
          "Written by bench/scale.py (do not edit by hand); the command:",
          "`make bench-scale` (= `/usr/bin/python3 bench/scale.py "
          "build/descent build/bench`).", "",
          f"- CPU: {cpu_line()}",
          f"- load average at the start {' '.join(load0)}, at the end "
          f"{' '.join(load1)} (a shared machine: other programs ran too); "
          f"{minutes:.1f} minutes",
          f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
          f"- PyTorch {__import__('torch').__version__}, its setting: {peer}",
          f"- descent's samples/s: rows × epochs over its epochs' seconds "
          f"(--history); PyTorch's: its loop for {TARGET:g} s or one epoch "
          f"after 3 warm-up steps (bench/scale_torch.py); peak RSS of the "
          f"whole process (GNU time's %M)", ""]

    def table(head, rows_, key):
        md.extend([head, "", "| %s | descent samples/s | PyTorch samples/s "
                   "| ratio | descent peak RSS | PyTorch peak RSS | descent "
                   "epochs |" % key, "|---:|---:|---:|---:|---:|---:|---:|"])
        for r in rows_:
            d, t = r[-2], r[-1]
            md.append(f"| {r[0]:,} | {d['samples_per_s']:,.0f} | "
                      f"{t['samples_per_s']:,.0f} | "
                      f"{d['samples_per_s'] / t['samples_per_s']:.2f}× | "
                      f"{d['rss_kb'] / 1024:,.0f} MiB | "
                      f"{t['rss_kb'] / 1024:,.0f} MiB | {d['epochs']} |")
        md.append("")

    table("## Rows (784-16-16-10, SGD, batch 32)",
          [(r[0], r[2], r[3]) for r in rows], "rows")
    ten = rows[-1]
    if ten[0] < 10_000_000:
        md.append(f"(BENCH_SCALE_MAX_ROWS={MAX_ROWS}: a smoke test, not the "
                  "full sweep.)")
    md.append(
        "The 10M-row point: " +
        ("descent streamed the 7.8 GB file under `--memory 2G` "
         "(`descent train --memory`, issue 18's streaming)." if ten[1] else
         "this `descent train` has no `--memory` (streaming is not merged "
         "yet), so it read the 7.8 GB of bytes whole, as PyTorch did; "
         "both fit this machine's memory as bytes, not as floats "
         "(31 GB).") + f" Its command: `{ten[2]['cmd']}`.")
    md.append("")
    md.append("![rows](scale_rows.svg)")
    md.append("")
    table("## Width (784-H-10, SGD, batch 64, 10k rows)", widths,
          "hidden units")
    md.append("![width](scale_width.svg)")
    md.append("")
    table("## Batch (784-128-10, SGD, 10k rows)", batches, "batch")
    md.append("![batch](scale_batch.svg)")
    md.append("")
    with open(os.path.join(HERE, "SCALE.md.part"), "w") as f:
        f.write("\n".join(md))
    os.replace(os.path.join(HERE, "SCALE.md.part"),
               os.path.join(HERE, "SCALE.md"))
    print("wrote bench/SCALE.md and bench/scale_{rows,width,batch}.svg",
          file=sys.stderr)


if __name__ == "__main__":
    main()
