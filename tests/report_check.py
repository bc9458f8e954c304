"""report_check.py REPORT.json PREDICTIONS.csv DATA.csv TARGET

Recomputes every figure of `descent report --json` with sklearn.metrics
from the same predictions (`descent predict` writes the model's float32
outputs exactly, with 9 significant digits) and the targets of DATA's
TARGET column, and prints one line per figure: "ok NAME diff" or
"FAIL NAME ...".  Bounded figures (rates, AUC, AP, F1, ECE, R2, log
loss) must agree to 1e-9 absolutely; MSE, RMSE and MAE, in the target's
units, to 1e-9 relatively.  The last line is "max_diff X".

ECE has no sklearn function: it is computed here with the bins that
sklearn.calibration.calibration_curve(strategy="uniform") uses
(np.linspace(0, 1, B + 1), np.searchsorted on the inner edges), and the
bins' means are checked against calibration_curve itself.
"""
import csv
import json
import sys
import warnings

import numpy as np
from sklearn import metrics
from sklearn.calibration import calibration_curve

warnings.simplefilter("ignore")

TOL = 1e-9
worst = 0.0
failed = 0


def check(name, got, want, relative=False):
    global worst, failed
    got = np.asarray(got, dtype=float)
    want = np.asarray(want, dtype=float)
    if got.shape != want.shape:
        print("FAIL %s: shape %s, sklearn %s" % (name, got.shape, want.shape))
        failed += 1
        return
    both_nan = np.isnan(got) & np.isnan(want)
    diff = np.where(both_nan, 0.0, np.abs(got - want))
    if relative:
        diff = diff / np.maximum(np.abs(want), 1e-300)
    d = float(np.max(diff)) if diff.size else 0.0
    if not d <= TOL:  # NaN fails too
        print("FAIL %s: %s, sklearn %s (diff %g)" % (name, got, want, d))
        failed += 1
        return
    worst = max(worst, d)
    print("ok %s %.3g" % (name, d))


def f32(values):
    """Text read as float32, then widened: the values descent holds."""
    return np.array([float(v) for v in values], dtype=np.float32).astype(np.float64)


def main():
    rep_path, pred_path, data_path, target = sys.argv[1:5]
    rep = json.load(open(rep_path))
    with open(pred_path) as f:
        pred = list(csv.DictReader(f))
    with open(data_path) as f:
        rows = list(csv.DictReader(f))
    n = rep["n"]
    check("n", n, len(rows))

    if rep["task"] == "regression":
        y = f32(r[target] for r in rows)
        yhat = f32(r[target] for r in pred)
        check("mse", rep["mse"], metrics.mean_squared_error(y, yhat), True)
        check("rmse", rep["rmse"],
              metrics.mean_squared_error(y, yhat, squared=False), True)
        check("mae", rep["mae"], metrics.mean_absolute_error(y, yhat), True)
        check("r2", rep["r2"], metrics.r2_score(y, yhat))
    else:
        classify(rep, pred, rows, target, n)
    print("max_diff %.3g" % worst)
    sys.exit(1 if failed else 0)


def classify(rep, pred, rows, target, n):
    classes = rep["classes"]
    k = len(classes)
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[r[target]] for r in rows])
    P = np.stack([f32(r["p_" + c] for r in pred) for c in classes], axis=1)
    binary = k == 2
    if binary:
        # One sigmoid unit: P(class 1) is the model's output, exactly.
        s = P[:, 1]
        yhat = (s >= 0.5).astype(int)
        probs = s
    else:
        yhat = np.argmax(P, axis=1)
        probs = P
    labels = list(range(k))
    check("accuracy", rep["accuracy"], metrics.accuracy_score(y, yhat))
    check("log_loss", rep["log_loss"], metrics.log_loss(y, probs, labels=labels))
    check("confusion", rep["confusion"],
          metrics.confusion_matrix(y, yhat, labels=labels))
    p, r, f, sup = metrics.precision_recall_fscore_support(
        y, yhat, labels=labels, zero_division=0)
    pc = rep["per_class"]
    check("precision", pc["precision"], p)
    check("recall", pc["recall"], r)
    check("f1", pc["f1"], f)
    check("support", pc["support"], sup)
    for avg in ("macro", "weighted"):
        p, r, f, _ = metrics.precision_recall_fscore_support(
            y, yhat, average=avg, zero_division=0)
        check(avg + "_precision", rep[avg]["precision"], p)
        check(avg + "_recall", rep[avg]["recall"], r)
        check(avg + "_f1", rep[avg]["f1"], f)
        check(avg + "_f1_score", rep[avg]["f1"],
              metrics.f1_score(y, yhat, average=avg, zero_division=0))
    score = lambda c: (1 - P[:, 1]) if binary and c == 0 else P[:, c]
    auc = [metrics.roc_auc_score(y == c, score(c)) for c in labels]
    check("auc_per_class", pc["auc"], auc)
    if binary:
        check("roc_auc", rep["roc_auc"], metrics.roc_auc_score(y, s))
        check("average_precision", rep["average_precision"],
              metrics.average_precision_score(y, s))
        fpr, tpr, thr = metrics.roc_curve(y, s)
        check("roc_fpr", rep["roc"]["fpr"], fpr)
        check("roc_tpr", rep["roc"]["tpr"], tpr)
        check("roc_threshold", rep["roc"]["threshold"][1:], thr[1:])
        prec, rec, thr = metrics.precision_recall_curve(y, s)
        check("pr_precision", rep["pr"]["precision"], prec[::-1])
        check("pr_recall", rep["pr"]["recall"], rec[::-1])
        check("pr_threshold", rep["pr"]["threshold"][1:], thr[::-1])
        conf, hit = s, (y == 1).astype(float)
    else:
        check("auc_ovr_macro", rep["macro"]["auc"],
              metrics.roc_auc_score(y, P, multi_class="ovr", average="macro"))
        conf, hit = P.max(axis=1), (yhat == y).astype(float)
    cal = rep["calibration"]
    B = cal["bins"]
    edges = np.linspace(0.0, 1.0, B + 1)
    ids = np.searchsorted(edges[1:-1], conf)
    count = np.bincount(ids, minlength=B)
    full = count > 0
    acc_b = np.bincount(ids, weights=hit, minlength=B)[full] / count[full]
    conf_b = np.bincount(ids, weights=conf, minlength=B)[full] / count[full]
    ece = np.sum(count[full] / n * np.abs(acc_b - conf_b))
    check("bin_count", cal["count"], count)
    got_conf = np.array(cal["confidence"], dtype=float)[full]
    got_acc = np.array(cal["accuracy"], dtype=float)[full]
    check("bin_confidence", got_conf, conf_b)
    check("bin_accuracy", got_acc, acc_b)
    check("ece", cal["ece"], ece)
    # The same bins, as sklearn's own calibration_curve averages them.
    prob_true, prob_pred = calibration_curve(hit, conf, n_bins=B)
    check("calibration_curve_true", got_acc, prob_true)
    check("calibration_curve_pred", got_conf, prob_pred)


main()
