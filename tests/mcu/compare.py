#!/usr/bin/python3
"""compare.py HOST.txt MCU.txt float|int8: the microcontroller's outputs
against the host's, row by row (main.c's lines: [ticks T] class bits...).
int8: the same bits; float: within 1e-6, relative above 1 (newlib's expf
and tanhf may differ from glibc's in the last bit).  Prints the largest
difference and the mean SysTick ticks per inference."""
import struct, sys

host = [l.split() for l in open(sys.argv[1]).read().splitlines()]
mcu = [l.split() for l in open(sys.argv[2]).read().splitlines()]
ticks = [int(l[1]) for l in mcu if l and l[0] == "ticks"]
mcu = [l[2:] if l and l[0] == "ticks" else l for l in mcu]
f = lambda h: struct.unpack("<f", struct.pack("<I", int(h, 16)))[0]
bad, worst = 0, 0.0
if len(host) != len(mcu) or not host:
    print("compare: %d host rows, %d MCU rows" % (len(host), len(mcu)))
    sys.exit(1)
for r, (a, b) in enumerate(zip(host, mcu)):
    if sys.argv[3] == "int8":
        bad += a != b
        continue
    bad += a[0] != b[0]
    for x, y in zip(a[1:], b[1:]):
        e = abs(f(x) - f(y)) / max(1.0, abs(f(x)))
        worst = max(worst, e)
    bad += worst > 1e-6
print("compare: %d rows, %d differ, largest difference %.3g, %.0f ticks per "
      "inference" % (len(host), bad, worst, sum(ticks) / max(1, len(ticks))))
sys.exit(1 if bad else 0)
