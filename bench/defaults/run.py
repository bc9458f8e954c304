"""run.py — `make bench-defaults`: descent's defaults against scikit-learn's
MLP defaults on real tables, written to bench/DEFAULTS.md.

Every table is split once (seed 0) into three quarters for training and a
quarter held out (stratified for classification).  On the training part:

  descent   `descent train train.csv --task T --seed s -o m.st` — no other
            option; then `descent eval m.st test.csv --json`.  The time is
            the train command's wall time, process start included.
  sklearn   the pipeline a careful user builds: median imputation and
            scaling for numeric columns, the most frequent value and
            one-hot encoding for text ones, MLPClassifier or MLPRegressor
            with its defaults (random_state = s) and, for regression, the
            target standardized (TransformedTargetRegressor).  The time is
            the pipeline's fit, at sklearn's best thread setting for the
            table: its BLAS and OpenMP are tried at their default (one
            thread per core) and at one thread (threadpoolctl, which
            sklearn itself depends on), every seed each way, and the
            setting with the lower median time is reported, its scores
            with it.

Scores: accuracy (classification) or R² (regression) on the held-out
quarter; the median over seeds 1, 2, 3.

Usage: run.py DESCENT OUTDIR [TABLE...]   (/usr/bin/python3; needs
python3-sklearn, python3-statsmodels, python3-pandas, and Rscript with
r-cran-mlbench, r-cran-mass and r-cran-cardata for the R tables)."""
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = (1, 2, 3)
SKLEARN_THREADS = (None, 1)   # None: the libraries' default, one per core

# name: (task, source) — R tables come from tables.R; the rest from Python.
TABLES = {
    "servo": ("regression", "R"), "sonar": ("binary", "R"),
    "boston": ("regression", "R"), "satellite": ("multiclass", "R"),
    "letter": ("multiclass", "R"), "pima": ("binary", "R"),
    "breastcancer": ("binary", "R"), "glass": ("multiclass", "R"),
    "ionosphere": ("binary", "R"), "vehicle": ("multiclass", "R"),
    "vowel": ("multiclass", "R"), "housevotes": ("binary", "R"),
    "ozone": ("regression", "R"), "zoo": ("multiclass", "R"),
    "birthwt": ("regression", "R"), "cats": ("regression", "R"),
    "prestige": ("regression", "R"), "salaries": ("regression", "R"),
    "slid": ("regression", "R"), "mroz": ("binary", "R"),
    "iris": ("multiclass", "py"), "wine": ("multiclass", "py"),
    "wdbc": ("binary", "py"), "diabetes": ("regression", "py"),
    "digits": ("multiclass", "py"), "fair": ("regression", "py"),
    "modechoice": ("multiclass", "py"), "star98": ("regression", "py"),
}

# Smaller tables, all statsmodels' (its endogenous variable the target),
# 16 to 100 rows: reported in a table of their own, beside the suite.
SMALL = {
    "longley": "regression", "stackloss": "regression",
    "committee": "regression", "cpunish": "regression",
    "copper": "regression", "ccard": "regression",
    "statecrime": "regression", "spector": "binary",
    "scotland": "regression", "heart": "regression",
    "strikes": "regression", "nile": "regression",
}


def small_tables(out):
    """SMALL as CSV: the data set's columns, its endog as the target."""
    import importlib
    for name in SMALL:
        ds = importlib.import_module("statsmodels.datasets." + name) \
            .load_pandas()
        df = ds.data.copy()
        y = ds.endog.iloc[:, 0] if isinstance(ds.endog, pd.DataFrame) \
            else ds.endog
        # (the data's own column where it has one: nile's endog comes
        # indexed by year, all NaN)
        df["target"] = df.pop(y.name).values if y.name in df.columns \
            else y.values
        df.to_csv(os.path.join(out, name + ".csv"), index=False, na_rep="NA")


def python_tables(out):
    """The tables bundled with scikit-learn and statsmodels, as CSV."""
    from sklearn import datasets as skd
    import statsmodels.api as sm
    def put(name, X, y):
        df = pd.DataFrame(X).copy()
        df.columns = [str(c) for c in df.columns]
        df["target"] = y
        df.to_csv(os.path.join(out, name + ".csv"), index=False, na_rep="NA")
    for name, fn in (("iris", skd.load_iris), ("wine", skd.load_wine),
                     ("wdbc", skd.load_breast_cancer),
                     ("diabetes", skd.load_diabetes),
                     ("digits", skd.load_digits)):
        d = fn(as_frame=True)
        put(name, d.data, d.target)
    f = sm.datasets.fair.load_pandas().data
    put("fair", f.drop(columns="affairs"), f["affairs"])
    m = sm.datasets.modechoice.load_pandas().data
    m = m[m["choice"] == 1].drop(columns=["individual", "choice"])
    put("modechoice", m.drop(columns="mode"), m["mode"].astype(int))
    s = sm.datasets.star98.load_pandas().data
    y = s["NABOVE"] / (s["NABOVE"] + s["NBELOW"])
    put("star98", s.drop(columns=["NABOVE", "NBELOW"]), y)


def split(name, task, data, work):
    from sklearn.model_selection import train_test_split
    df = pd.read_csv(os.path.join(data, name + ".csv"), keep_default_na=True)
    # Rows without a target teach neither side anything (ozone has some).
    df = df[df["target"].notna()]
    strat = df["target"] if task != "regression" else None
    tr, te = train_test_split(df, test_size=0.25, random_state=0, stratify=strat)
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    tr.to_csv(os.path.join(d, "train.csv"), index=False, na_rep="NA")
    te.to_csv(os.path.join(d, "test.csv"), index=False, na_rep="NA")
    return df, tr, te, d


def run_descent(exe, d, task, seed):
    m = os.path.join(d, "m%d.st" % seed)
    t0 = time.perf_counter()
    # (DESCENT_ARGS: extra options, for trying a policy by hand; the
    # benchmark itself runs with none)
    extra = os.environ.get("DESCENT_ARGS", "").split()
    p = subprocess.run([exe, "train", os.path.join(d, "train.csv"), "--task",
                        task, "--seed", str(seed), "-o", m] + extra,
                       capture_output=True, text=True)
    t = time.perf_counter() - t0
    if p.returncode:
        return None, t, p.stderr.strip().splitlines()[-1][:120]
    if seed == SEEDS[0]:
        with open(os.path.join(d, "report.txt"), "w") as f:
            f.write(p.stdout)
    e = subprocess.run([exe, "eval", m, os.path.join(d, "test.csv"), "--json"],
                       capture_output=True, text=True)
    if e.returncode:
        return None, t, e.stderr.strip().splitlines()[-1][:120]
    r = json.loads(e.stdout)
    return (r["r2"] if task == "regression" else r["accuracy"]), t, ""


def run_sklearn(tr, te, task, seed, threads=None):
    """The pipeline's test score and fit time, with BLAS and OpenMP limited
    to `threads` (None: their defaults, one thread per core)."""
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=threads):
        return fit_sklearn(tr, te, task, seed)


def fit_sklearn(tr, te, task, seed):
    from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    X, y = tr.drop(columns="target"), tr["target"]
    Xt, yt = te.drop(columns="target"), te["target"]
    text = [c for c in X.columns if X[c].dtype == object]
    num = [c for c in X.columns if c not in text]
    pre = ColumnTransformer(
        [("num", make_pipeline(SimpleImputer(strategy="median"),
                               StandardScaler()), num),
         ("text", make_pipeline(SimpleImputer(strategy="most_frequent"),
                                OneHotEncoder(handle_unknown="ignore")), text)])
    if task == "regression":
        est = TransformedTargetRegressor(MLPRegressor(random_state=seed),
                                         transformer=StandardScaler())
    else:
        est = MLPClassifier(random_state=seed)
    model = make_pipeline(pre, est)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        model.fit(X, y)
        t = time.perf_counter() - t0
    return model.score(Xt, yt), t


def main():
    exe, out = os.path.abspath(sys.argv[1]), sys.argv[2]
    global KERNELS
    KERNELS = kernels(exe)
    only = sys.argv[3:]
    data, work = os.path.join(out, "data"), os.path.join(out, "work")
    os.makedirs(data, exist_ok=True)
    os.makedirs(work, exist_ok=True)
    subprocess.run(["Rscript", os.path.join(HERE, "tables.R"), data], check=True)
    python_tables(data)
    small_tables(data)
    rows = []
    tables = [(n, t, 0) for n, (t, _) in TABLES.items()] + \
        [(n, t, 1) for n, t in SMALL.items()]
    for name, task, small in tables:
        if only and name not in only:
            continue
        df, tr, te, d = split(name, task, data, work)
        ds, dt, why = [], [], ""
        # sklearn at its best on this machine: each thread setting of its
        # BLAS and OpenMP tried (the default, one per core, and one), the
        # faster by median fit time kept, with its scores
        sk = {n: [] for n in SKLEARN_THREADS}
        st = {n: [] for n in SKLEARN_THREADS}
        for s in SEEDS:
            score, t, err = run_descent(exe, d, task, s)
            if score is not None:
                ds.append(score)
            why = why or err
            dt.append(t)
            for n in SKLEARN_THREADS:
                a, b = (0.0, 1.0) if os.environ.get("NO_SKLEARN") else \
                    run_sklearn(tr, te, task, s, n)
                sk[n].append(a)
                st[n].append(b)
        best = min(SKLEARN_THREADS, key=lambda n: statistics.median(st[n]))
        text = sum(df[c].dtype == object for c in df.columns if c != "target")
        na = int(df.drop(columns="target").isna().sum().sum())
        r = dict(name=name, task=task, small=small, rows=len(df),
                 cols=df.shape[1] - 1,
                 text=int(text), na=na,
                 descent=statistics.median(ds) if len(ds) == len(SEEDS) else None,
                 sklearn=statistics.median(sk[best]),
                 t_descent=statistics.median(dt),
                 t_sklearn=statistics.median(st[best]),
                 sklearn_threads=best or os.cpu_count(),
                 t_sklearn_threads={str(n or os.cpu_count()):
                                    statistics.median(st[n])
                                    for n in SKLEARN_THREADS}, why=why)
        rows.append(r)
        print("%-13s %-10s %6d  descent %s  sklearn %.4f  %.2fs vs %.2fs %s" % (
            name, task, r["rows"],
            "%.4f" % r["descent"] if r["descent"] is not None else "failed",
            r["sklearn"], r["t_descent"], r["t_sklearn"], why), flush=True)
    with open(os.path.join(out, "defaults.json"), "w") as f:
        json.dump(rows, f, indent=1)
    write_md(rows, os.path.join(HERE, "..", "DEFAULTS.md"))


KERNELS = "?"


def kernels(exe):
    """The kernels descent runs on this CPU, as `descent --version` names
    them ("avx512", "avx2", "portable"): times differ between them."""
    v = subprocess.run([exe, "--version"], capture_output=True, text=True)
    for line in v.stdout.splitlines():
        if line.startswith("kernels:"):
            return line.split()[1]
    return "?"


def cpu():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def summary(rows):
    """The summary's counts over rows: (ran, within 0.01, worst, faster,
    descent s, sklearn s)."""
    ok = [r for r in rows if r["descent"] is not None]
    d = [r["descent"] - r["sklearn"] for r in ok]
    return (ok, sum(x >= -0.01 for x in d), min(d) if d else float("nan"),
            sum(r["t_descent"] < r["t_sklearn"] for r in ok),
            sum(r["t_descent"] for r in ok), sum(r["t_sklearn"] for r in ok))


def table_lines(rows):
    L = ["| table | task | rows | columns (text, missing cells) | descent | sklearn | difference | descent s | sklearn s | sklearn threads | time ratio |",
         "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["descent"] is None:
            L.append("| %s | %s | %d | %d (%d, %d) | failed: %s | %.4f | | | %.2f | %d | |" % (
                r["name"], r["task"], r["rows"], r["cols"], r["text"], r["na"],
                r["why"].replace("|", "/"), r["sklearn"], r["t_sklearn"],
                r["sklearn_threads"]))
            continue
        L.append("| %s | %s | %d | %d (%d, %d) | %.4f | %.4f | %+.4f | %.2f | %.2f | %d | %.2f |" % (
            r["name"], r["task"], r["rows"], r["cols"], r["text"], r["na"],
            r["descent"], r["sklearn"], r["descent"] - r["sklearn"],
            r["t_descent"], r["t_sklearn"], r["sklearn_threads"],
            r["t_descent"] / r["t_sklearn"]))
    return L


def write_md(all_rows, path):
    rows = [r for r in all_rows if not r.get("small")]
    small = [r for r in all_rows if r.get("small")]
    ok, within, worst, faster, t_d, t_s = summary(rows)
    L = ["# descent's defaults against scikit-learn's",
         "",
         "Written by `make bench-defaults` (bench/defaults/run.py); do not edit "
         "by hand. Analysis: bench/defaults/NOTES.md.",
         "",
         "| | |", "|---|---|",
         "| date | %s |" % time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
         "| machine | %d cores, %s (descent's kernels: %s) |" % (
             os.cpu_count(), cpu(), KERNELS),
         "| seeds | %s (median shown) |" % ", ".join(map(str, SEEDS)),
         "| split | the same held-out quarter of each table (seed 0, stratified for classes) |",
         "| score | accuracy (classification), R² (regression) |",
         "| sklearn's threads | its BLAS and OpenMP on %s or on 1 thread, whichever fits the table faster (median time); the column says which won |" % (
             "%d (their default)" % os.cpu_count()),
         "",
         "## Summary", "",
         "| criterion | measured | goal |", "|---|---|---|",
         "| tables descent ran | %d of %d | all |" % (len(ok), len(rows)),
         "| at least sklearn − 0.01 | %d of %d (%.0f%%) | ≥ 80%% |" % (
             within, len(ok), 100.0 * within / max(1, len(ok))),
         "| worst difference | %+.4f | ≥ −0.03 |" % worst,
         "| descent fits faster | %d of %d | all |" % (faster, len(ok)),
         "| total fit time, descent / sklearn | %.1f s / %.1f s |  |" % (
             t_d, t_s),
         "",
         "## Tables", ""]
    L += table_lines(rows)
    if small:
        ok_s, within_s, worst_s, faster_s, td, ts = summary(small)
        L += ["", "## Smaller tables (16 to 100 rows, statsmodels'; not in the summary above)", "",
              "Test quarters of 4 to 25 rows, so a score moves a lot with one row. "
              "Within 0.01 of sklearn: %d of %d; worst difference %+.4f; faster: %d of %d; "
              "total fit time %.1f s / %.1f s." % (within_s, len(ok_s), worst_s,
                                                   faster_s, len(ok_s), td, ts), ""]
        L += table_lines(small)
    notes = os.path.join(HERE, "NOTES.md")
    if os.path.exists(notes):
        L += ["", open(notes).read().rstrip()]
    with open(path, "w") as f:
        f.write("\n".join(L) + "\n")


if __name__ == "__main__":
    main()
