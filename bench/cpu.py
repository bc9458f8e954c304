"""cpu.py — the CPU `make bench` ran on, as lines for bench/report.py:

    /usr/bin/python3 bench/cpu.py [DESCENT_BINARY]

    cpu vendor GenuineIntel
    cpu fms 6 167 8                     family, model, stepping
    cpu model_name Intel(R) Xeon(R) Processor
    cpu hypervisor KVM                  (only under one)
    cpu cores online=2 sockets=1 cores_per_socket=2 threads_per_core=1
    cpu has avx2 fma avx512f ...        of FLAGS, those the CPU reports
    cpu lacks amx_tile ...              and those it does not
    cpu cache L1 Data size=48K ways=12 line=64 shared=0
    cpu descent kernels=avx512 threads=2

From /proc/cpuinfo, lscpu (its model name, sockets and cores, when it is
installed) and /sys/devices/system/cpu/cpu0/cache (what the kernel, or
the hypervisor, reports).  The last line is `descent --version`'s: the
kernels the library chose at run time here.  bench/peers.py asks
flags() which OpenBLAS kernels this CPU can run.
"""
import glob
import os
import re
import subprocess
import sys

# The ISA features that decide which kernels run here, descent's and
# OpenBLAS's: AVX2 and FMA (descent's avx2 path, OpenBLAS's Haswell),
# AVX-512 F/DQ/CD/BW/VL (descent's avx512, OpenBLAS's SkylakeX), BF16
# (OpenBLAS's Cooperlake), VNNI and FP16 (int8 and half-precision
# products), AMX (tile products; no kernel here uses them yet).
FLAGS = ("avx2", "fma", "avx512f", "avx512dq", "avx512cd", "avx512bw",
         "avx512vl", "avx512_vnni", "avx512_bf16", "avx512_fp16",
         "amx_tile", "amx_bf16", "amx_int8")


def cpuinfo():
    """The first processor's fields of /proc/cpuinfo."""
    info = {}
    try:
        for line in open("/proc/cpuinfo"):
            if not line.strip():
                break
            k, _, v = line.partition(":")
            info[k.strip()] = v.strip()
    except OSError:
        pass
    return info


def flags():
    """The set of flags the kernel reports for this CPU."""
    return set(cpuinfo().get("flags", "").split())


def lscpu():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}
    return {k.strip(): v.strip() for k, _, v in
            (line.partition(":") for line in out.splitlines())}


def read(path):
    try:
        return open(path).read().strip()
    except OSError:
        return "?"


def caches():
    """(level, type, size, ways, line, shared CPUs) per cache of cpu0."""
    out = []
    for d in sorted(glob.glob("/sys/devices/system/cpu/cpu0/cache/index*")):
        out.append(tuple(read(os.path.join(d, f)) for f in (
            "level", "type", "size", "ways_of_associativity",
            "coherency_line_size", "shared_cpu_list")))
    return out


def descent(binary):
    """kernels and threads from `descent --version`."""
    try:
        out = subprocess.run([binary, "--version"], capture_output=True,
                             text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    k = re.search(r"^kernels: (\S+)", out, re.M)
    t = re.search(r"^threads: (\d+)", out, re.M)
    return (k.group(1) if k else "?"), (t.group(1) if t else "?")


def main():
    info, ls = cpuinfo(), lscpu()
    p = print
    p("cpu vendor", info.get("vendor_id", ls.get("Vendor ID", "?")))
    p("cpu fms", info.get("cpu family", "?"), info.get("model", "?"),
      info.get("stepping", "?"))
    p("cpu model_name", ls.get("Model name", info.get("model name", "?")))
    if ls.get("Hypervisor vendor"):
        p("cpu hypervisor", ls["Hypervisor vendor"])
    p("cpu cores online=%d sockets=%s cores_per_socket=%s "
      "threads_per_core=%s" % (os.sysconf("SC_NPROCESSORS_ONLN"),
                               ls.get("Socket(s)", "?"),
                               ls.get("Core(s) per socket", "?"),
                               ls.get("Thread(s) per core", "?")))
    have = flags()
    p("cpu has", " ".join(f for f in FLAGS if f in have) or "-")
    p("cpu lacks", " ".join(f for f in FLAGS if f not in have) or "-")
    for level, kind, size, ways, line, shared in caches():
        p("cpu cache L%s %s size=%s ways=%s line=%s shared=%s" % (
            level, kind, size, ways, line, shared))
    if len(sys.argv) > 1:
        d = descent(sys.argv[1])
        if d:
            p("cpu descent kernels=%s threads=%s" % d)


if __name__ == "__main__":
    main()
