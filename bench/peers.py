"""peers.py — OpenBLAS and PyTorch at their fastest on this CPU, found by
trying, for `make bench`:

    /usr/bin/python3 bench/peers.py GEMM_BINARY OUT_DIR

Why trying: Debian's OpenBLAS 0.3.21 picks its kernels from the CPU's
family and model and does not know every CPU (on an Intel Xeon of this
project it ran its Prescott, SSE3, kernels, a fifth of its AVX-512 speed),
and the environment may set OPENBLAS_CORETYPE (or OPENBLAS_L2_SIZE, which
0.3.21 does not read).  A comparison against a slowed peer flatters
descent, so no setting is assumed; each is measured.  The settings:

    detected     OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset: OpenBLAS's
                 own choice
    environment  both as `make bench`'s environment has them (tried only
                 when it sets one)
    COOPERLAKE, SKYLAKEX, HASWELL
                 forced, each only if the CPU has the instructions its
                 kernels use (bench/cpu.py's flags; forcing one it lacks
                 would die of an illegal instruction)

A setting whose kernels turn out the same as an earlier one's (forced
SKYLAKEX where SkylakeX is detected) is not probed again, and its first
figures count for the earlier setting: the choice is between kernels.

For the product comparison (bench/gemm.c): each setting's 1024³ sgemm on
1 and 2 threads (`gemm probe`); the fastest by the geometric mean of the
two, the thread counts of gemm.c's table.  For PyTorch
(bench/train_torch.py): each setting × OPENBLAS_NUM_THREADS {1, cores} ×
torch threads {1, cores}, on W2's step (`train_torch.py probe`); the
most samples/s.  Every candidate runs BENCH_PROBE_PASSES times (default
2), all candidates in turn per pass, and keeps its best: one busy minute
of a shared machine does not decide alone.

Output (bench/report.py reads it): the probes' lines with setting= and
pass= added, then

    peer_environment OPENBLAS_CORETYPE=unset OPENBLAS_L2_SIZE=unset
    peer_skipped setting=COOPERLAKE lacks=avx512_bf16
    peer_same setting=SKYLAKEX as=detected core=SkylakeX
    peer_gemm setting=COOPERLAKE core=Cooperlake t1=98.1 t2=190.3
    peer_torch setting=COOPERLAKE core=Cooperlake torch_threads=1 openblas_threads=2 samples_per_s=10700

and OUT_DIR/peer_gemm.env, OUT_DIR/peer_torch.env: the winners as `env`
arguments ("-u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE=COOPERLAKE ..."), the
settings bench.sh runs every peer measurement under.
"""
import math
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cpu  # noqa: E402  (bench/cpu.py, beside this file)

PY = "/usr/bin/python3"
TORCH = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                     "train_torch.py")
VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
AVX512 = ("avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl")
# The forced kernels, and the flags their code needs.
FORCED = (
    ("COOPERLAKE", AVX512 + ("avx512_bf16",)),
    ("SKYLAKEX", AVX512),
    ("HASWELL", ("avx2", "fma")),
)


def settings():
    """[(name, {variable: value or None for unset})] to try, in order."""
    out = [("detected", {v: None for v in VARS})]
    if any(v in os.environ for v in VARS):
        out.append(("environment", {}))
    have = cpu.flags()
    for name, needs in FORCED:
        lacks = [f for f in needs if f not in have]
        if lacks:
            print("peer_skipped setting=%s lacks=%s" % (name, ",".join(lacks)))
        else:
            out.append((name, {"OPENBLAS_CORETYPE": name,
                               "OPENBLAS_L2_SIZE": None}))
    return out


def environ(changes):
    env = dict(os.environ)
    for k, v in changes.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def env_args(changes):
    """changes as arguments of env(1): unsets first, then assignments."""
    unset = ["-u " + k for k, v in changes.items() if v is None]
    return " ".join(unset + ["%s=%s" % (k, v) for k, v in changes.items()
                             if v is not None])


def run(what, name, cmd, changes):
    """The probe's output lines as (kind, dict of their key=value fields),
    or None if it failed (a forced kernel the CPU cannot run, a crash)."""
    why = None
    try:
        r = subprocess.run(cmd, env=environ(changes), capture_output=True,
                           text=True, timeout=300)
        if r.returncode != 0:
            why = "exit status %d" % r.returncode
    except (OSError, subprocess.TimeoutExpired) as e:
        why = type(e).__name__
    if why:
        print("peer_failed setting=%s what=%s why=%s" % (
            name, what, why.replace(" ", "_")))
        return None
    rows = []
    for line in r.stdout.splitlines():
        f = line.split()
        if f and f[0].startswith("probe_"):
            rows.append((f[0], dict(x.partition("=")[::2] for x in f[1:])))
    if not rows:
        print("peer_failed setting=%s what=%s why=no_figures" % (name, what))
        return None
    return rows


def show(kind, name, npass, kv):
    print("%s setting=%s pass=%d %s" % (kind, name, npass, " ".join(
        "%s=%s" % x for x in kv.items())), flush=True)


def main():
    gemm, out = sys.argv[1], sys.argv[2]
    passes = int(os.environ.get("BENCH_PROBE_PASSES", "2"))
    cores = os.sysconf("SC_NPROCESSORS_ONLN")
    print("peer_environment " + " ".join(
        "%s=%s" % (v, os.environ.get(v, "unset")) for v in VARS))
    cands = settings()

    # OpenBLAS alone: best GFLOP/s per (setting, threads), a repeat's
    # figures counted for the first setting with its kernels.
    best, core, first = {}, {}, {}
    for p in range(1, passes + 1):
        for name, ch in list(cands):
            print("  probe %d/%d: OpenBLAS %s" % (p, passes, name),
                  file=sys.stderr)
            rows = run("gemm", name, [gemm, "probe", "1", "2"], ch)
            if rows is None:
                cands.remove((name, ch))
                continue
            for kind, kv in rows:
                show(kind, name, p, kv)
                core[name] = kv["core"]
                owner = first.setdefault(kv["core"], name)
                key = (owner, kv["threads"])
                best[key] = max(best.get(key, 0.0), float(kv["gflops"]))
        if p == 1:
            # The kernels are known now: drop the repeats.
            for name, ch in list(cands):
                if first[core[name]] != name:
                    print("peer_same setting=%s as=%s core=%s" % (
                        name, first[core[name]], core[name]))
                    cands.remove((name, ch))
    if not cands:
        print("bench/peers: no OpenBLAS setting ran", file=sys.stderr)
        return 1

    def score(name):
        return math.sqrt(best.get((name, "1"), 0.0) *
                         best.get((name, "2"), 0.0))

    g = max(cands, key=lambda c: score(c[0]))
    print("peer_gemm setting=%s core=%s t1=%.1f t2=%.1f" % (
        g[0], core[g[0]], best.get((g[0], "1"), 0.0),
        best.get((g[0], "2"), 0.0)))

    # PyTorch: best samples/s per (setting, OpenBLAS threads, torch threads).
    counts = sorted({1, cores})
    trials = [(name, ch, ot, tt) for name, ch in cands
              for ot in counts for tt in counts]
    rate, seen = {}, {}
    for p in range(1, passes + 1):
        for name, ch, ot, tt in trials:
            print("  probe %d/%d: PyTorch %s, %d OpenBLAS / %d torch threads"
                  % (p, passes, name, ot, tt), file=sys.stderr)
            full = dict(ch, OPENBLAS_NUM_THREADS=str(ot),
                        OMP_NUM_THREADS=str(tt), BENCH_TORCH_THREADS=str(tt))
            rows = run("torch", name, [PY, TORCH, "probe"], full)
            for kind, kv in rows or []:
                show(kind, name, p, kv)
                key = (name, ot, tt)
                rate[key] = max(rate.get(key, 0.0),
                                float(kv["samples_per_s"]))
                seen[key] = (full, kv["core"])
    if not rate:
        print("bench/peers: no PyTorch setting ran", file=sys.stderr)
        return 1
    t = max(rate, key=rate.get)
    print("peer_torch setting=%s core=%s torch_threads=%d "
          "openblas_threads=%d samples_per_s=%.0f" % (
              t[0], seen[t][1], t[2], t[1], rate[t]))

    with open(os.path.join(out, "peer_gemm.env"), "w") as f:
        f.write(env_args(g[1]) + "\n")
    with open(os.path.join(out, "peer_torch.env"), "w") as f:
        f.write(env_args(seen[t][0]) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
