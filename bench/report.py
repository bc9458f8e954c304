"""report.py — turns bench/bench.sh's log into bench/RESULTS.md.

    /usr/bin/python3 bench/report.py build/bench/bench.log > bench/RESULTS.md

Every figure is a median over the repeats of one `make bench` run; the
ranges show the spread.  The targets are issue 5's.  bench/NOTES.md, the
analysis written by hand, is appended at the end.
"""
import os
import statistics
import sys

# Weights (not biases) per workload, for 6 · weights · samples / seconds.
WEIGHTS = {
    "W1": 784 * 16 + 16 * 16 + 16 * 10,
    "W2": 784 * 1024 + 1024 * 1024 + 1024 * 10,
    "W3": 784 * 256 + 256 * 128 + 128 * 10,
}
LABEL = {
    "W1": "784-16-16-10 ReLU, SGD 0.1, batch 32, 1 epoch",
    "W2": "784-1024-1024-10 ReLU, Adam 1e-3, batch 256, 1 epoch",
    "W3": "784-256-128-10 ReLU, Adam 1e-3, batch 64, 10 epochs",
}


def parse(path):
    runs, gemm, prof, meta = [], [], {}, {}
    for line in open(path):
        f = line.split()
        if not f:
            continue
        if f[0] in ("descent", "descent1", "torch") and len(f) > 2:
            r = {"who": f[0], "w": f[1]}
            for kv in f[2:]:
                k, _, v = kv.partition("=")
                r[k] = v
            runs.append(r)
        elif f[0] == "gemm":
            head, _, what = line.partition(" what=")
            g = {"what": what.strip()}
            h = head.split()
            g["op"], g["shape"], g["t"] = h[1], h[2], h[3]
            for kv in h[4:]:
                k, _, v = kv.partition("=")
                g[k] = float(v)
            gemm.append(g)
        elif f[0] == "part":
            kv = dict(x.partition("=")[::2] for x in f[1:])
            meta.setdefault("parts", []).append(kv)
        elif f[0] in ("step", "gather"):
            kv = dict(x.partition("=")[::2] for x in f[1:])
            meta.setdefault("steps", []).append((f[0], kv))
        elif f[0] == "profile" and len(f) >= 5:
            # "profile W1  29.99%  [.] gather_rows  -  -": percent, symbol
            prof.setdefault(f[1], []).append("%7s  %s" % (f[2], f[4]))
        elif f[0] == "kernels":
            meta["kernels"] = " ".join(f[1:])
        else:
            meta[f[0]] = " ".join(f[1:])
    return runs, gemm, prof, meta


def values(runs, who, w, key):
    return [float(r[key]) for r in runs if r["who"] == who and r["w"] == w
            and key in r]


def med(v):
    return statistics.median(v) if v else float("nan")


def spread(v, fmt):
    if not v:
        return "—"
    return (fmt % med(v)) + " (" + (fmt % min(v)) + "–" + (fmt % max(v)) + ")"


def main():
    runs, gemm, prof, meta = parse(sys.argv[1])
    out = []
    p = out.append
    p("# descent benchmark results\n")
    p("Written by `make bench` (bench/bench.sh, bench/report.py); do not "
      "edit by hand — the analysis is in bench/NOTES.md, appended below.\n")
    p("| | |\n|---|---|")
    p("| date | %s |" % meta.get("date", "?"))
    p("| machine | %s |" % meta.get("machine", "?"))
    p("| load average at start / end | %s / %s |" %
      (meta.get("load_start", "?"), meta.get("load_end", "?")))
    p("| repeats per figure | %s (median shown, range in brackets) |" %
      meta.get("repeats", "?"))
    torch_core = sorted({r.get("openblas", "?") for r in runs
                         if r["who"] == "torch"})
    p("| OpenBLAS kernel under PyTorch | %s |" % ", ".join(torch_core))
    p("| kernels in the comparison | %s |" % meta.get("kernels", "?"))
    p("")
    p("descent runs with its default threads (all cores); `descent, 1 "
      "thread` is the same run on one.  PyTorch 1.13 runs with "
      "`torch.set_num_threads(1)`, two OpenBLAS threads and "
      "`OPENBLAS_CORETYPE`/`OPENBLAS_L2_SIZE` unset, its fastest setting "
      "here.  PyTorch's time covers only its batch loop over pre-shuffled "
      "tensors; descent's covers all of `dn_train` (its shuffles, gathers "
      "and standardization included).  Peak RSS is each process's "
      "`ru_maxrss`.  Seeds differ per repeat, so the accuracy range is "
      "the seed noise.\n")

    # --- targets
    def ratio(w, key, who="descent"):
        d, t = med(values(runs, who, w, key)), med(values(runs, "torch", w, key))
        return d / t if t else float("nan")

    rows = []
    r1 = ratio("W1", "samples_per_s")
    rows.append(("W1 ≥ 10× PyTorch's samples/s", "%.2f×" % r1, r1 >= 10))
    r2 = ratio("W2", "samples_per_s")
    rows.append(("W2 ≥ 1.5× PyTorch's samples/s", "%.2f×" % r2, r2 >= 1.5))
    big = [g for g in gemm if g["what"] == "square" and
           int(g["shape"].split("x")[0]) >= 1024]
    small = [g for g in gemm if g["what"].startswith(("W1", "W2"))]
    if big:
        worst = min(g["ratio"] for g in big)
        rows.append(("kernels ≥ 90% of OpenBLAS on large squares "
                     "(1024², 2048²)", "worst %.0f%%, median %.0f%%" %
                     (100 * worst, 100 * med([g["ratio"] for g in big])),
                     worst >= 0.9))
    if small:
        worst = min(g["ratio"] for g in small)
        rows.append(("kernels ≥ OpenBLAS on the W1/W2 shapes",
                     "worst %.0f%%, median %.0f%%, %d of %d at least equal" %
                     (100 * worst, 100 * med([g["ratio"] for g in small]),
                      sum(g["ratio"] >= 1 for g in small), len(small)),
                     worst >= 1))
    da = med(values(runs, "descent", "W3", "test_acc"))
    ta = med(values(runs, "torch", "W3", "test_acc"))
    r3 = ratio("W3", "seconds")
    rows.append(("W3 accuracy within noise of PyTorch's, in ≤ ½ its time",
                 "accuracy %.4f vs %.4f; time %.2f×" % (da, ta, r3),
                 abs(da - ta) <= 0.005 and r3 <= 0.5))
    rr = ratio("W2", "rss_kb")
    rows.append(("W2 peak RSS ≤ ¼ of PyTorch's", "%.2f×" % rr, rr <= 0.25))
    p("## Targets\n")
    p("| target | measured (descent / PyTorch) | met |\n|---|---|---|")
    for name, got, ok in rows:
        p("| %s | %s | %s |" % (name, got, "yes" if ok else "**no**"))
    p("")

    # --- workloads
    for w in ("W1", "W2", "W3"):
        p("## %s: %s\n" % (w, LABEL[w]))
        p("| | samples/s | seconds | GFLOP/s (6·weights·samples/s) | "
          "test accuracy | peak RSS (MB) |\n|---|---|---|---|---|---|")
        for who, name in (("descent", "descent"),
                          ("descent1", "descent, 1 thread"),
                          ("torch", "PyTorch")):
            sps = values(runs, who, w, "samples_per_s")
            if not sps:
                continue
            gf = [6 * WEIGHTS[w] * s / 1e9 for s in sps]
            rss = [v / 1024 for v in values(runs, who, w, "rss_kb")]
            p("| %s | %s | %s | %s | %s | %s |" % (
                name, spread(sps, "%.0f"),
                spread(values(runs, who, w, "seconds"), "%.3f"),
                spread(gf, "%.1f"),
                spread(values(runs, who, w, "test_acc"), "%.4f"),
                spread(rss, "%.0f")))
        p("\ndescent / PyTorch: samples/s %.2f×, seconds %.2f×, peak RSS "
          "%.2f×.\n" % (ratio(w, "samples_per_s"), ratio(w, "seconds"),
                        ratio(w, "rss_kb")))

    # --- kernels
    if gemm:
        p("## Kernels against OpenBLAS (GFLOP/s, median of rounds; ratio: "
          "median of the rounds' ratios)\n")
        p("C = op(A)·op(B) with op as written (nt: A·Bᵀ, the forward "
          "product; tn: Aᵀ·B, the weight gradient; nn: A·B, the backward "
          "product); M×N×K.\n")
        p("| product | shape | threads | descent | OpenBLAS | ratio |\n"
          "|---|---|---|---|---|---|")
        for g in gemm:
            p("| %s %s | %s | %s | %.1f | %.1f | %.2f |" % (
                g["what"], g["op"], g["shape"], g["t"][1:], g["descent"],
                g["openblas"], g["ratio"]))
        p("")

    # --- the W1 step
    if meta.get("steps"):
        p("## A W1 step, one thread (bench/step.c, CPU time, best of 5 "
          "epochs)\n")
        p("| part | µs per step |\n|---|---|")
        for kind, kv in meta["steps"]:
            if kind == "step":
                p("| %s | %s |" % (kv["part"].replace("_", " "), kv["us"]))
        p("\n| gathering one epoch's rows (standardized, next batch "
          "prefetched) | ms |\n|---|---|")
        for kind, kv in meta["steps"]:
            if kind == "gather":
                p("| from %s-byte pixels | %s |" % (kv["bytes_per_pixel"],
                                                   kv["ms_per_epoch"]))
        p("")

    # --- the steps' parts on 1 and 2 threads
    heads = {
        "W1": ("## A W1 step's parts on 1 and 2 threads (bench/step.c, wall "
               "time per step, best of 5 epochs)\n", "us", "µs"),
        "W2": ("## A W2 step's parts on 1 and 2 threads, rows in memory "
               "(bench/parts.c, wall time, best of 5 × 20 calls)\n", "ms",
               "ms"),
    }
    for w, (head, key, unit) in heads.items():
        by = {}
        for kv in meta.get("parts", []):
            if kv.get("w") == w:
                by.setdefault(kv["what"], {})[kv["threads"]] = kv
        if not by:
            continue
        p(head)
        p("| part | 1 thread, %s | 2 threads, %s | speed-up | GFLOP/s on 2 |"
          "\n|---|---|---|---|---|" % (unit, unit))
        for what, t in by.items():
            if "1" in t and "2" in t:
                a, b = float(t["1"][key]), float(t["2"][key])
                p("| %s | %.3f | %.3f | %.2f× | %s |" % (
                    what.replace("_", " "), a, b, a / b,
                    t["2"].get("gflops", "")))
        p("")

    # --- profiles
    if prof:
        p("## Where descent's time goes (perf, one thread)\n")
        for w, lines in prof.items():
            p("%s:\n\n```\n%s\n```\n" % (w, "\n".join(lines)))

    notes = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         "NOTES.md")
    if os.path.exists(notes):
        p(open(notes).read())
    print("\n".join(out))


if __name__ == "__main__":
    main()
