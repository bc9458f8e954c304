#!/usr/bin/python3
"""gen_messy.py DIR — deliberately messy CSV files for tests/test_tables.sh,
each with a file of new rows to predict (NAME.csv, NAME_new.csv):

  semi    ';' with decimal commas, quoted text holding ';' and a line
          break, NA / ? / empty cells, an 'id' column, a row without a
          target; binary
  tabs    tab-separated, N/A and null, a customerID text column (every
          value distinct), regression
  pipes   '|' with doubled quotes inside quoted fields, NaN cells in a
          text column, multiclass
  commas  ',' with quoted commas and line breaks, empty cells
The new rows hold missing values and a category never seen in training.
Seeded: the same files every run."""
import os
import random
import sys

out = sys.argv[1]
R = random.Random(16)


def q(s):
    return '"' + s.replace('"', '""') + '"'


def write(name, head, rows, sep):
    with open(os.path.join(out, name), "w", newline="") as f:
        f.write(sep.join(head) + "\n")
        for r in rows:
            f.write(sep.join(r) + "\n")


def maybe(v, p, tokens):
    return R.choice(tokens) if R.random() < p else v


def semi(n, new):
    rows = []
    for i in range(n):
        size = R.gauss(10, 3)
        colour = R.choice(["red", "green", "blue"]) if not new or i % 3 else "purple"
        weight = R.gauss(5, 1)
        note = R.choice(["plain", "has; semicolon", "two\nlines", 'say "hi"'])
        label = "big" if size + (2 if colour == "red" else 0) + R.gauss(0, 1) > 11 else "small"
        r = [str(i + 1), maybe(("%.2f" % size).replace(".", ","), 0.12, ["", "NA", "?"]),
             maybe(colour, 0.1, ["", "na"]), ("%.3f" % weight).replace(".", ","), q(note)]
        if not new:
            r.append("" if i == 5 else label)
        rows.append(r)
    head = ["id", "size", '"colour"', "weight", "note"] + ([] if new else ["label"])
    return head, rows


def tabs(n, new):
    rows = []
    for i in range(n):
        a, b = R.gauss(0, 1), R.uniform(0, 10)
        kind = R.choice(["x", "y"]) if not new or i % 4 else "z"
        y = 3 * a + 0.5 * b + (1 if kind == "x" else -1) + R.gauss(0, 0.3)
        r = ["C%05d" % R.randrange(10 ** 5 * (i + 1), 10 ** 5 * (i + 2)),
             maybe("%.4f" % a, 0.1, ["N/A", "null"]), "%.3f" % b, kind]
        if not new:
            r.append("%.4f" % y)
        rows.append(r)
    return ["customerID", "a", "b", "kind"] + ([] if new else ["y"]), rows


def pipes(n, new):
    rows = []
    for i in range(n):
        x1, x2 = R.gauss(0, 1), R.gauss(0, 1)
        shop = R.choice(['Joe\'s "best"', "plain|shop", "corner"])
        if new and i % 5 == 0:
            shop = "brand new"
        c = "a" if x1 > 0.5 else ("b" if x2 > 0 else "c")
        r = ["%.3f" % x1, maybe("%.3f" % x2, 0.08, ["NaN", "?"]),
             maybe(q(shop), 0.1, ["NaN", ""])]
        if not new:
            r.append(c)
        rows.append(r)
    return ["x1", "x2", "shop"] + ([] if new else ["cls"]), rows


def commas(n, new):
    rows = []
    for i in range(n):
        t = R.uniform(-2, 2)
        city = R.choice(["Paris, France", "Rome,\nItaly", "Oslo"])
        if new and i % 4 == 1:
            city = "Lima, Peru"
        r = [maybe("%.3f" % t, 0.15, [""]), q(city), maybe(str(R.randrange(3)), 0.1, [""])]
        if not new:
            r.append("yes" if t + (0.5 if city == "Oslo" else 0) > 0 else "no")
        rows.append(r)
    return ["t", "city", "level"] + ([] if new else ["ok"]), rows


for name, make, sep, n in (("semi", semi, ";", 80), ("tabs", tabs, "\t", 80),
                           ("pipes", pipes, "|", 90), ("commas", commas, ",", 70)):
    write(name + ".csv", *make(n, False), sep)
    write(name + "_new.csv", *make(20, True), sep)
