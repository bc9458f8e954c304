#!/usr/bin/python3
"""ckpt_note.py SRC DST WORD... : copies the checkpoint SRC to DST with its
stored command line (the note: words joined by \\x1f) replaced, its length
and CRC-32 fixed up, as someone rewriting a checkpoint would.  A WORD
"-o=PATH" keeps SRC's words and replaces only the value of -o.  Assumes
the note is the last section (no numeric-stop message, no solver state)."""
import struct, sys, zlib
b = bytearray(open(sys.argv[1], "rb").read())
nf = struct.unpack_from("<I", b, 24)[0]
at = 28 + 8 * (nf - 1)                      # note_len, the last field
n = struct.unpack_from("<q", b, at)[0]
words = sys.argv[3:]
if len(words) == 1 and words[0].startswith("-o="):
    old = b[len(b) - n:].decode().split("\x1f")
    old[old.index("-o") + 1] = words[0][3:]
    words = old
note = "\x1f".join(words).encode()
b = b[:len(b) - n] + note
struct.pack_into("<q", b, at, len(note))
struct.pack_into("<Q", b, 16, len(b) - 24)
struct.pack_into("<I", b, 12, zlib.crc32(bytes(b[24:])) & 0xffffffff)
open(sys.argv[2], "wb").write(b)
