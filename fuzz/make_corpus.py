#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into fuzz/corpus/<target>/:
small valid files of every kind the loaders accept and the bad-input
fixtures of the test suite (each a file that must fail cleanly).

    python3 fuzz/make_corpus.py [DESCENT [REPLAY]]

DESCENT (default build/descent) trains the small valid models that seed
fuzz_model; REPLAY (default build/tests/test_fuzz_regressions) writes the
checkpoints of fuzz_checkpoint's fixed run (FUZZ_WRITE_SEEDS).  Seeds are named by content, so running it again adds nothing
new; the corpora found by fuzzing are merged in by hand with
`fuzz_X -merge=1 fuzz/corpus/X NEW_DIR` (see docs/reliability.md)."""
import gzip
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile

DESCENT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1
                          else "build/descent")
REPLAY = os.path.abspath(sys.argv[2] if len(sys.argv) > 2
                         else "build/tests/test_fuzz_regressions")
os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
ROOT = os.path.join("fuzz", "corpus")


def put(target, data, name=None):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    name = name or hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def gz(data):
    return gzip.compress(data, compresslevel=6, mtime=0)


# ---- CSV (fuzz_csv): data sets, valid and broken ----
HOUSES = ("rooms,area,type,distance,price\n3,120.5,semi,2.5,350000.5\n"
          "2,75,flat,0.8,210000\n5,210,detached,5.0,520000.25\n"
          "4,150,semi,3.2,410000\n")
IRIS = open("data/iris.csv").read().splitlines(True)
CSV_GOOD = {
    "iris_head": "".join(IRIS[0:4] + IRIS[51:54] + IRIS[101:104]),
    "houses": HOUSES,
    "ints": "x,age\n1,30\n2,31\n3,32\n4,33\n",
    "pm": "x,y\n1,1\n2,-1\n3,1.0\n4,-1\n",
    "yesno": "x,y\n1,yes\n2,no\n",
    "quoted": 'name,"size",y\n"a,b","1.5",0\n"say ""hi""",2,1\n'
              '"two\nlines",3,0\n"a,b",4,1\n',
    "crlf_bom": "\ufeffa,b,y\r\n 1.5 , 2 ,0\r\n\r\n3,\t4e1,1",
    "numbers": "a,y\n-.5,0\n+7.,1\n1E-3,0\n0.1234567890123456789012,1\n"
               "12345678901234567890123,0\n",
    "utf8": "größe,farbe,klasse\n1,grün,ä\n2,blau,ö\n3,grün,ä\n",
    "cr_only": "a,b,y\r1,2,0\r3,4,1\r",
}
for k, v in CSV_GOOD.items():
    put("csv", v, "good_" + k)
CSV_BAD = {
    "short": "a,b,c\n1,2,3\n4,5",
    "long": "a,b,c\n1,2,3\n4,5,6,7\n",
    "nan": "a,b,y\n1,2,0\n3,NaN,1\n",
    "inf": "a,b,y\n1,-inf,0\n3,4,1\n",
    "big": "a,b,y\n1,2,0\n3,1e39,1\n",
    "empty_cell": "a,b,y\n1,2,0\n3,,1\n",
    "mixed": "a,area,y\n1,2,0\n2,3,1\n3,abc,0\n",
    "badnum": "a,b,y\n1,2,0\n2,1.2.3,1\n3,4,0\n",
    "mixedtext": "type,b,y\nflat,2,0\nsemi,3,1\n7,4,0\n",
    "empty": "",
    "blank": "\n\r\n  \n",
    "head": "a,b,y\n",
    "dup": "a,b,a\n1,2,3\n",
    "noname": ",b,y\n0,1,2\n",
    "comma": "a,b,\n0,1,2\n",
    "open": 'a,y\n1,0\n"x,1\n',
    "after": 'a,y\n"x"z,0\n',
    "one_class": "x,y\n1,a\n2,a\n",
    "lone": "y\n1\n2\n",
    "nul": "a,b\n1,2\n3\0\x01\x02,4\n",
    "gzip": b"\x1f\x8b\x08\x00\x00\x00",
    "utf16": "\ufeffa,b\n1,2\n".encode("utf-16-le"),
    
}
for k, v in CSV_BAD.items():
    put("csv", v, "bad_" + k)

# ---- CSV with a schema (fuzz_csv_with): its three schemas' headers ----
WITH = {
    "multiclass": "a,b,c,label\n1,x,2,1\n3,z,4,10\n5,y,6,2.0\n",
    "multiclass_noy": "c,b,a\n1,x,2\n",
    "regression": "kind,x,price\nflat,1.5,100\nhouse,2,250.5\n",
    "regression_extra": "extra,x,kind\nq,1,flat\n",
    "binary": "p,q,t\n1,2,no\n3,4,yes\n",
    "unknown_class": "p,q,t\n1,2,maybe\n",
    "unknown_cat": "a,b,c,label\n1,w,2,1\n",
    "missing": "p,t\n1,no\n",
    "blank_target": "p,q,t\n1,2,\n",
}
for k, v in WITH.items():
    put("csv_with", v, "seed_" + k)
for k in ("nan", "short", "open", "nul", "empty", "head"):
    put("csv_with", CSV_BAD[k], "bad_" + k)

# ---- IDX (fuzz_idx): [flags][len16 if labels][images][labels] ----


def idx(magic, dims, payload):
    return struct.pack(">I", magic) + b"".join(
        struct.pack(">I", d) for d in dims) + bytes(payload)


IMG = idx(0x803, [2, 2, 3], range(0, 240, 20))
LAB = idx(0x801, [2], [1, 0])


def idx_seed(name, img, lab=None, gz_img=False, gz_lab=False, raw=False):
    flags = (1 if gz_img else 0) | (2 if gz_lab else 0) | (4 if lab else 0)
    body = bytes([flags])
    if lab is not None:
        body += struct.pack("<H", len(img)) + img + lab
    else:
        body += img
    put("idx", body, name)


idx_seed("images", IMG)
idx_seed("images_labels", IMG, LAB)
idx_seed("gz_both", IMG, LAB, True, True)
idx_seed("gz_images", IMG, None, True)
idx_seed("raw_gzip", gz(IMG))                      # a real gzip stream
idx_seed("raw_gzip_labels", gz(IMG), gz(LAB))
idx_seed("truncated_gzip", gz(IMG + bytes(4000))[:40])
crc = bytearray(gz(IMG))
crc[-8] ^= 0xFF
idx_seed("crc_gzip", bytes(crc))
idx_seed("huge_items", idx(0x803, [1 << 31, 28, 28], bytes(80)))
idx_seed("wide", idx(0x803, [1 << 30, 1 << 20, 1 << 20], bytes(80)), None,
         True)
idx_seed("zero_dim", idx(0x803, [5, 0, 28], bytes(80)))
idx_seed("truncated", IMG[:-2])
idx_seed("trailing", IMG + b"\0")
idx_seed("labels_as_images", LAB)
idx_seed("float_type", idx(0xD03, [1, 1, 1], bytes(4)))
idx_seed("head_cut", IMG[:9])
idx_seed("label_count", IMG, idx(0x801, [3], [1, 0, 1]))
idx_seed("one_class", IMG, idx(0x801, [2], [0, 0]))
idx_seed("lying_gzip", idx(0x803, [2000000, 28, 28], bytes(10)), None, True)
idx_seed("text", b"px0,px1\n1,2\n")

# ---- JSON (fuzz_json): headers and documents of model files ----
JSON = [
    '{"__metadata__":{"format":"descent","descent.version":"1"},'
    '"0.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}',
    '[1,-0,2.5e-3,1E+2,true,false,null,"\\u00e9\\ud83d\\ude00\\n"]',
    '{"a":{"b":{"c":[[[]]]}}}', '"\\"\\\\\\/\\b\\f\\n\\r\\t"', '-12345678901234567890',
    '9223372036854775807', '-9223372036854775808', '1e400', '01', '[1,]',
    '{"a":1,"a":2}', '"\\ud800"', '"\xc3\x28"', '{"k":"v"} x', '\ufeff{}',
    '[' * 20 + ']' * 20, '{"n_in":4,"layers":[{"units":3,"act":"relu"},'
    '{"units":3,"act":"softmax"}],"loss":"ce"}',
]
for j in JSON:
    put("json", j)

# ---- model files (fuzz_model): trained by descent, then damaged ----


def st_file(header, data=b""):
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data


def header_of(blob):
    n = struct.unpack("<Q", blob[:8])[0]
    return json.loads(blob[8:8 + n]), blob[8 + n:]


models = {}
with tempfile.TemporaryDirectory() as t:
    csvs = {
        "iris": ("data/iris.csv", ["--layers", "3", "--epochs", "1"]),
        "house": ("data/house.csv", ["--target", "price", "--layers", "2",
                                     "--epochs", "1"]),
        "prelu": ("data/iris.csv", ["--layers", "2,2", "--act", "prelu",
                                    "--epochs", "1"]),
        "leaky": ("data/iris.csv", ["--layers", "2", "--act", "leaky_relu",
                                    "--epochs", "1", "--no-standardize"]),
    }
    two = os.path.join(t, "two.csv")
    with open("data/iris.csv") as f, open(two, "w") as o:
        for i, line in enumerate(f):
            if i == 0 or "virginica" not in line:
                o.write(line)
    csvs["binary"] = (two, ["--layers", "none", "--epochs", "1"])
    cats = os.path.join(t, "cats.csv")
    with open(cats, "w") as o:
        o.write("colour,size,y\nred,1,a\nblue,2,b\nred,3,c\ngreen,4,a\n"
                "blue,5,b\nred,6,c\n")
    csvs["cats"] = (cats, ["--layers", "2", "--epochs", "1", "--val", "0"])
    for name, (data, opts) in csvs.items():
        out = os.path.join(t, name + ".st")
        r = subprocess.run([DESCENT, "train", data, "-o", out] + opts,
                           capture_output=True)
        if r.returncode:
            sys.exit("cannot train %s: %s" % (name, r.stderr.decode()))
        with open(out, "rb") as f:
            models[name] = f.read()
for name, blob in models.items():
    put("model", blob, "good_" + name)

# The bad-input fixtures, each from the small binary model.
small = models["binary"]
h, data = header_of(small)
put("model", small[:100], "bad_truncated_header")
put("model", small[:-4], "bad_truncated_data")
put("model", small + b"\0\0\0\0", "bad_trailing")
put("model", b"\xff" * 8 + small[8:], "bad_header_length")
put("model", b"", "bad_empty")
bad = json.loads(json.dumps(h))
bad["0.weight"]["shape"] = bad["0.weight"]["shape"][::-1]  # [4, 1]
put("model", st_file(bad, data), "bad_shape")
bad = json.loads(json.dumps(h))
bad["0.weight"]["dtype"] = "F16"
put("model", st_file(bad, data), "bad_dtype")
bad = json.loads(json.dumps(h))
bad["0.weight"]["data_offsets"] = [0, 1 << 62]
put("model", st_file(bad, data), "bad_offsets")
bad = json.loads(json.dumps(h))
bad["0.weight"]["shape"] = [1 << 32, 1 << 32]
put("model", st_file(bad, data), "bad_shape_overflow")
bad = json.loads(json.dumps(h))
arch = json.loads(bad["__metadata__"]["descent.arch"])
arch["n_in"] = 5
bad["__metadata__"]["descent.arch"] = json.dumps(arch)
put("model", st_file(bad, data), "bad_arch_n_in")
bad = json.loads(json.dumps(h))
del bad["__metadata__"]
put("model", st_file(bad, data), "bad_not_descent")
bad = json.loads(json.dumps(h))
bad["__metadata__"]["descent.version"] = "99"
put("model", st_file(bad, data), "bad_newer")
schema = json.loads(bad["__metadata__"]["descent.schema"])
schema["classes"] = [None, None]
bad["__metadata__"]["descent.version"] = "1"
bad["__metadata__"]["descent.schema"] = json.dumps(schema)
put("model", st_file(bad, data), "odd_null_classes")
bad = json.loads(json.dumps(h))
schema = json.loads(bad["__metadata__"]["descent.schema"])
schema["columns"][1]["name"] = None
bad["__metadata__"]["descent.schema"] = json.dumps(schema)
put("model", st_file(bad, data), "odd_null_column")
nan = bytearray(data)
nan[0:4] = struct.pack("<f", float("nan"))
put("model", st_file(h, bytes(nan)), "bad_nan_weight")
bad = json.loads(json.dumps(h))
bad["__metadata__"]["note"] = "\x1b]0;pwned\x07\x1b[2J"
put("model", st_file(bad, data), "odd_escape")

def replay_seeds(target, env, good_name):
    """The replay test writes target's valid seeds into its corpus (the
    target does it when the environment names a directory in env);
    returns the bytes of the one named good_name."""
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    subprocess.run([REPLAY], env=dict(os.environ, **{env: d}),
                   capture_output=True)
    with open(os.path.join(d, good_name), "rb") as f:
        return f.read()


# ---- checkpoints (fuzz_checkpoint): its fixed run, then damaged ----
good = replay_seeds("checkpoint", "FUZZ_WRITE_SEEDS", "good_epoch2")
put("checkpoint", good[:len(good) // 2 + 1], "bad_truncated")  # odd: as is
put("checkpoint", b"DNCKPX\r\n" + good[8:] + b"\0", "bad_magic")
put("checkpoint", good[:8] + struct.pack("<I", 2) + good[12:] + b"\0",
    "bad_version")
crc = good + b"\0"   # odd length: the target leaves the CRC alone
crc = crc[:16] + struct.pack("<Q", len(crc) - 24) + crc[24:]
put("checkpoint", crc, "bad_crc")
put("checkpoint", good[:23], "bad_short")

# ---- row caches (fuzz_rowcache): small caches, then damaged ----
good = replay_seeds("rowcache", "FUZZ_WRITE_ROWCACHE_SEEDS",
                    "good_classes_text")
put("rowcache", good[:len(good) // 2 + 1], "bad_truncated")  # odd: as is
put("rowcache", b"\x89DNX" + good[4:], "bad_magic")
put("rowcache", good[:8] + struct.pack("<I", 2) + good[12:], "bad_version")
# The last row's class 7 of 3: the target reseals the checksums (even
# length), so the values check is what refuses it.
put("rowcache", good[:-4] + struct.pack("<f", 7.0), "bad_class")
put("rowcache", good + b"\0", "bad_trailing")
