"""report.py — turns bench/bench.sh's log into bench/RESULTS.md.

    /usr/bin/python3 bench/report.py build/bench/bench.log > bench/RESULTS.md

Every figure is a median over the repeats of one `make bench` run; the
ranges show the spread.  The targets are issues 5 and 18's.  Every
GFLOP/s is also shown as a percentage of the FMA peak bench/peak.c
measured for the same number of threads.  bench/NOTES.md, the analysis
written by hand, is appended at the end.
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


def fields(words):
    """{key: value} of "key=value" words."""
    return dict(w.partition("=")[::2] for w in words)


def parse(path):
    runs, gemm, prof, meta = [], [], {}, {}
    meta.update(cpu=[], peak={}, probe_gemm=[], probe_torch=[], peer={},
                peer_notes=[])
    for line in open(path):
        f = line.split()
        if not f:
            continue
        if f[0] == "cpu" and len(f) > 1:
            meta["cpu"].append(f[1:])
        elif f[0] == "peak":
            kv = fields(f[1:])
            meta["peak"][int(kv["threads"])] = kv
        elif f[0] in ("probe_gemm", "probe_torch"):
            meta[f[0]].append(fields(f[1:]))
        elif f[0] in ("peer_gemm", "peer_torch", "peer_environment"):
            meta["peer"][f[0]] = fields(f[1:])
        elif f[0] in ("peer_skipped", "peer_same", "peer_failed"):
            meta["peer_notes"].append((f[0], fields(f[1:])))
        elif f[0] in ("descent", "descent1", "torch") and len(f) > 2:
            r = {"who": f[0], "w": f[1]}
            for kv in f[2:]:
                k, _, v = kv.partition("=")
                r[k] = v
            runs.append(r)
        elif f[0] in ("gemm", "ladder"):
            head, _, what = line.partition(" what=")
            g = {"what": what.strip()}
            h = head.split()
            g["op"], g["shape"], g["t"] = h[1], h[2], h[3]
            for kv in h[4:]:
                k, _, v = kv.partition("=")
                g[k] = float(v)
            (gemm if f[0] == "gemm" else meta.setdefault("ladder", [])
             ).append(g)
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


def peak_of(meta, threads):
    """The measured FMA peak (GFLOP/s) on `threads` threads, or None."""
    kv = meta["peak"].get(int(threads))
    return float(kv["gflops"]) if kv else None


def pct(meta, gflops, threads):
    """gflops as a percentage of the peak for its thread count."""
    top = peak_of(meta, threads)
    if not top or gflops != gflops:
        return "—"
    return "%.0f%%" % (100 * gflops / top)


def cpu_line(meta, key):
    """The words of the first `cpu KEY ...` line after KEY, or []."""
    for words in meta["cpu"]:
        if words[0] == key:
            return words[1:]
    return []


def threads_of(meta, run):
    """The threads a training run's products ran on: descent's default
    (one per core, as `descent --version` says), one, or for PyTorch the
    larger of its own and OpenBLAS's."""
    if run["who"] == "descent1":
        return 1
    if run["who"] == "torch":
        return max(int(run.get("torch_threads", 1)),
                   int(run.get("openblas_threads", 1)))
    return int(fields(cpu_line(meta, "descent")).get("threads", 0)) or None


def cpu_section(meta, p):
    """The CPU, as bench/cpu.py saw it."""
    if not meta["cpu"]:
        return
    p("## The CPU (bench/cpu.py)\n")
    p("| | |\n|---|---|")
    p("| vendor | %s |" % " ".join(cpu_line(meta, "vendor")))
    fms = cpu_line(meta, "fms")
    if len(fms) == 3:
        p("| family / model / stepping | %s / %s / %s |" % tuple(fms))
    p("| model name (lscpu) | %s |" % " ".join(cpu_line(meta, "model_name")))
    if cpu_line(meta, "hypervisor"):
        p("| hypervisor | %s |" % " ".join(cpu_line(meta, "hypervisor")))
    c = fields(cpu_line(meta, "cores"))
    p("| cores | %s online (%s socket(s) × %s cores × %s threads per core) |"
      % (c.get("online", "?"), c.get("sockets", "?"),
         c.get("cores_per_socket", "?"), c.get("threads_per_core", "?")))
    p("| ISA flags present | %s |" % " ".join(cpu_line(meta, "has")))
    p("| ISA flags absent | %s |" % " ".join(cpu_line(meta, "lacks")))
    for words in meta["cpu"]:
        if words[0] != "cache":
            continue
        kv = fields(words[3:])
        p("| %s %s cache | %s, %s-way, %s-byte lines, CPUs sharing it: %s |"
          % (words[1], words[2].lower(), kv.get("size", "?"),
             kv.get("ways", "?"), kv.get("line", "?"), kv.get("shared", "?")))
    d = fields(cpu_line(meta, "descent"))
    if d:
        p("| descent's kernels (`descent --version`) | %s, %s threads by "
          "default |" % (d.get("kernels", "?"), d.get("threads", "?")))
    p("")


def peak_section(meta, p):
    if not meta["peak"]:
        return
    any_kv = next(iter(meta["peak"].values()))
    p("## The measured FMA peak (bench/peak.c)\n")
    p("float32 multiply-adds (2 flops) of the widest vectors this CPU has, "
      "chosen at run time as descent chooses its kernels: %s, %s lanes, %s "
      "independent accumulator chains per thread; median of the repeats "
      "(range in brackets), all threads running at once.  Every GFLOP/s in "
      "this file is also shown as a percentage of the peak for its thread "
      "count.\n" % (any_kv.get("isa", "?"), any_kv.get("lanes", "?"),
                    any_kv.get("chains", "?")))
    p("| threads | GFLOP/s | per thread |\n|---|---|---|")
    for t in sorted(meta["peak"]):
        kv = meta["peak"][t]
        g = float(kv["gflops"])
        p("| %d | %.1f (%s–%s) | %.1f |" % (t, g, kv["min"], kv["max"], g / t))
    p("")


def best_of_passes(rows, key, value):
    """{key(row): [value per pass]} in the order first seen."""
    out = {}
    for r in rows:
        out.setdefault(key(r), []).append(float(r[value]))
    return out


def passes_text(v, fmt):
    """The best pass, and every pass when there were several."""
    if len(v) == 1:
        return fmt % v[0]
    return "%s (passes: %s)" % (fmt % max(v), ", ".join(fmt % x for x in v))


def peers_section(meta, p):
    """What bench/peers.py tried for OpenBLAS and PyTorch, and what won."""
    pg, pt = meta["peer"].get("peer_gemm"), meta["peer"].get("peer_torch")
    if not pg or not pt:
        return
    p("## The peers at their best (bench/peers.py)\n")
    env = meta["peer"].get("peer_environment", {})
    version = {r.get("version", "?") for r in meta["probe_gemm"]}
    p("OpenBLAS (%s here) chooses its kernels from the CPU's family and "
      "model, and the environment may force them; so `make bench` tries "
      "each setting this CPU can run and keeps the fastest for every peer "
      "measurement in this file.  The environment had %s.  Settings: "
      "`detected` (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset), "
      "`environment` (as set, tried only when one is), and OPENBLAS_CORETYPE "
      "forced to COOPERLAKE, SKYLAKEX and HASWELL where the CPU has their "
      "instructions.  Each candidate ran in turn, %d pass(es); the best "
      "pass decides.\n" % (", ".join(sorted(version)),
                           ", ".join("`%s=%s`" % kv for kv in env.items())
                           or "neither set",
                           max([int(r.get("pass", 1)) for r in
                                meta["probe_gemm"]] or [1])))
    for kind, kv in meta["peer_notes"]:
        if kind == "peer_skipped":
            p("- %s not tried: the CPU lacks %s." % (
                kv["setting"], kv["lacks"].replace(",", ", ")))
        elif kind == "peer_same":
            p("- %s runs the same kernels as %s (%s): probed once." % (
                kv["setting"], kv["as"], kv["core"]))
        elif kind == "peer_failed":
            p("- %s failed in the %s probe (%s): dropped." % (
                kv["setting"], kv["what"], kv["why"].replace("_", " ")))
    if meta["peer_notes"]:
        p("")
    p("OpenBLAS alone, `sgemm` 1024×1024×1024 (`gemm probe`: GFLOP/s, "
      "median of 9 rounds per pass; chosen by the geometric mean of the "
      "two thread counts):\n")
    p("| setting | kernels | 1 thread | % of peak | 2 threads | % of peak | |"
      "\n|---|---|---|---|---|---|---|")
    core = {r["setting"]: r["core"] for r in meta["probe_gemm"]}
    same = {kv["setting"]: kv["as"] for kind, kv in meta["peer_notes"]
            if kind == "peer_same"}
    by = best_of_passes(meta["probe_gemm"],
                        lambda r: (r["setting"], r["threads"]), "gflops")
    for name in core:
        one, two = by.get((name, "1"), []), by.get((name, "2"), [])
        p("| %s | %s | %s | %s | %s | %s | %s |" % (
            name, core[name], passes_text(one, "%.1f") if one else "—",
            pct(meta, max(one or [float("nan")]), 1),
            passes_text(two, "%.1f") if two else "—",
            pct(meta, max(two or [float("nan")]), 2),
            "**won**" if name == pg["setting"] else
            "same kernels as %s" % same[name] if name in same else ""))
    p("")
    p("PyTorch, W2's step on random rows (784-1024-1024-10, Adam, batch "
      "256; `train_torch.py probe`: samples/s, median of 5 rounds of "
      "0.25 s per pass):\n")
    p("| setting | kernels | OpenBLAS threads | torch threads | samples/s | |"
      "\n|---|---|---|---|---|---|")
    tcore = {}
    for r in meta["probe_torch"]:
        tcore[(r["setting"], r["openblas_threads"], r["torch_threads"])] = \
            r["core"]
    tb = best_of_passes(meta["probe_torch"], lambda r: (
        r["setting"], r["openblas_threads"], r["torch_threads"]),
        "samples_per_s")
    for key, v in tb.items():
        won = (key[0] == pt["setting"] and key[1] == pt["openblas_threads"]
               and key[2] == pt["torch_threads"])
        p("| %s | %s | %s | %s | %s | %s |" % (
            key[0], tcore[key], key[1], key[2], passes_text(v, "%.0f"),
            "**won**" if won else ""))
    p("\nWon: for the products, `%s` (%s kernels); for PyTorch, `%s` (%s "
      "kernels) with %s OpenBLAS thread(s) and %s torch thread(s).\n" % (
          pg["setting"], pg["core"], pt["setting"], pt["core"],
          pt["openblas_threads"], pt["torch_threads"]))


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
    torch_threads = sorted({"%s torch, %s OpenBLAS" % (
        r.get("torch_threads", "?"), r.get("openblas_threads", "?"))
        for r in runs if r["who"] == "torch"})
    p("| PyTorch's threads | %s |" % ", ".join(torch_threads))
    p("| kernels in the comparison | %s |" % meta.get("kernels", "?"))
    p("")
    pt = meta["peer"].get("peer_torch")
    how = ("`torch.set_num_threads(%s)` and %s OpenBLAS thread(s) under the "
           "`%s` kernel setting, the fastest bench/peers.py found here (see "
           "below)" % (pt["torch_threads"], pt["openblas_threads"],
                       pt["setting"]) if pt else
           "the threads and kernels in the table above")
    p("descent runs with its default threads (all cores); `descent, 1 "
      "thread` is the same run on one.  PyTorch 1.13 runs with %s.  "
      "PyTorch's time covers only its batch loop over pre-shuffled "
      "tensors; descent's covers all of `dn_train` (its shuffles, gathers "
      "and standardization included).  Peak RSS is each process's "
      "`ru_maxrss`.  Seeds differ per repeat, so the accuracy range is "
      "the seed noise.  %% of peak: GFLOP/s over the measured FMA peak for "
      "the run's threads (PyTorch's: the larger of its own and "
      "OpenBLAS's).\n" % how)

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
        rows.append(("kernels ≥ 95% of OpenBLAS at its best on large "
                     "squares (1024², 2048²), 1 and 2 threads",
                     "worst %.0f%%, median %.0f%%" %
                     (100 * worst, 100 * med([g["ratio"] for g in big])),
                     worst >= 0.95))
        ofpeak = [g["descent"] / peak_of(meta, g["t"][1:]) for g in big
                  if peak_of(meta, g["t"][1:])]
        if ofpeak:
            rows.append(("kernels ≥ 80% of the measured FMA peak on large "
                         "squares, 1 and 2 threads",
                         "worst %.0f%%, median %.0f%%" %
                         (100 * min(ofpeak), 100 * med(ofpeak)),
                         min(ofpeak) >= 0.8))
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

    cpu_section(meta, p)
    peak_section(meta, p)
    peers_section(meta, p)

    # --- workloads
    for w in ("W1", "W2", "W3"):
        p("## %s: %s\n" % (w, LABEL[w]))
        p("| | samples/s | seconds | GFLOP/s (6·weights·samples/s) | "
          "% of peak | test accuracy | peak RSS (MB) |\n"
          "|---|---|---|---|---|---|---|")
        for who, name in (("descent", "descent"),
                          ("descent1", "descent, 1 thread"),
                          ("torch", "PyTorch")):
            sps = values(runs, who, w, "samples_per_s")
            if not sps:
                continue
            gf = [6 * WEIGHTS[w] * s / 1e9 for s in sps]
            rss = [v / 1024 for v in values(runs, who, w, "rss_kb")]
            first = next(r for r in runs if r["who"] == who and r["w"] == w)
            p("| %s | %s | %s | %s | %s | %s | %s |" % (
                name, spread(sps, "%.0f"),
                spread(values(runs, who, w, "seconds"), "%.3f"),
                spread(gf, "%.1f"),
                pct(meta, med(gf), threads_of(meta, first) or 0),
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
        p("OpenBLAS runs under the `%s` kernel setting, the fastest "
          "bench/peers.py found here.  %% of peak: of the measured FMA peak "
          "for the row's threads.\n" %
          meta["peer"].get("peer_gemm", {}).get("setting", "?"))
        p("| product | shape | threads | descent | % of peak | OpenBLAS | "
          "% of peak | ratio |\n|---|---|---|---|---|---|---|---|")
        for g in gemm:
            t = g["t"][1:]
            p("| %s %s | %s | %s | %.1f | %s | %.1f | %s | %.2f |" % (
                g["what"], g["op"], g["shape"], t, g["descent"],
                pct(meta, g["descent"], t), g["openblas"],
                pct(meta, g["openblas"], t), g["ratio"]))
        p("")

    # --- the ladder
    if meta.get("ladder"):
        p("## From L1 to a large square, one thread (`gemm ladder`)\n")
        p("nn products that grow from one micro-tile's work to 2048³: one "
          "K block (K = 256, descent's depth) with A, B and C in L1, then "
          "in L2, then C in L3, then the same squares with every K block, "
          "where C is read and written once per block.  Where descent's "
          "ratio falls between two rungs is where its time is lost.\n")
        p("| rung | shape | descent | % of peak | OpenBLAS | % of peak | "
          "ratio |\n|---|---|---|---|---|---|---|")
        for g in meta["ladder"]:
            p("| %s | %s | %.1f | %s | %.1f | %s | %.2f |" % (
                g["what"].replace("ladder ", ""), g["shape"], g["descent"],
                pct(meta, g["descent"], "1"), g["openblas"],
                pct(meta, g["openblas"], "1"), g["ratio"]))
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
          " %% of peak |\n|---|---|---|---|---|---|" % (unit, unit))
        for what, t in by.items():
            if "1" in t and "2" in t:
                a, b = float(t["1"][key]), float(t["2"][key])
                gf = t["2"].get("gflops", "")
                p("| %s | %.3f | %.3f | %.2f× | %s | %s |" % (
                    what.replace("_", " "), a, b, a / b, gf,
                    pct(meta, float(gf), 2) if gf else ""))
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
    # bench/stream.sh's run on data larger than memory and bench/scale.py's
    # (`make bench-scale`) sweeps, sections of their own: those scripts
    # write them, this one keeps them.
    for name in ("STREAM.md", "SCALE.md"):
        part = os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
        if os.path.exists(part):
            p(open(part).read())
    print("\n".join(out))


if __name__ == "__main__":
    main()
