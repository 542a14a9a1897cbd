#!/usr/bin/python3
"""Reference values for MetricReferenceTests, computed once with scikit-learn and NumPy.

Run with Debian's scikit-learn (apt-get install python3-sklearn): /usr/bin/python3 make_metric_reference.py
It writes metric_reference.json beside itself; CI reads the JSON and never needs scikit-learn.

scikit-learn gives ROC AUC, precision, recall, F1 (per class, micro, macro, weighted), top-k accuracy, mean IoU
(macro Jaccard) and RMSE. The scores are chosen between Keras AUC's 200 thresholds, one distinct score per threshold
bin, so Keras' trapezoidal ROC AUC equals scikit-learn's exact value. PR AUC (Davis & Goadrich interpolation) and the
minoring/majoring sums have no scikit-learn counterpart; they are computed here from Keras 3's formulas
(keras/src/metrics/confusion_metrics.py, AUC.result and interpolate_pr_auc), with confusion counts taken directly
(score > threshold), independently of Praxis' bucketing. top_k/class_id precision and recall follow Keras'
metrics_utils (predictions outside a row's top k count as negative, then the class column is taken).
"""
import json
import os

import numpy as np
from sklearn.metrics import (f1_score, jaccard_score, mean_squared_error, precision_score, recall_score,
                             roc_auc_score, top_k_accuracy_score)

rng = np.random.default_rng(15)
n = 64
y_bin = (rng.random(n) < 0.4).astype(np.float64)
# Scores 0.025 + 0.05 k, more often high for positives.
k = np.clip(np.round(rng.normal(8 + 6 * y_bin, 4)), 0, 19)
score = 0.025 + 0.05 * k

num_thresholds = 200
thr = np.array([-1e-7] + [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)] + [1 + 1e-7], dtype=np.float32)
pos = y_bin != 0
s32 = score.astype(np.float32)
tp = np.array([np.sum(pos & (s32 > t)) for t in thr], dtype=np.float64)
fp = np.array([np.sum(~pos & (s32 > t)) for t in thr], dtype=np.float64)
fn = pos.sum() - tp
tn = (~pos).sum() - fp


def dnn(a, b):
    return np.where(b == 0, 0.0, a / np.where(b == 0, 1, b))


def riemann(x, y, method):
    h = {"interpolation": (y[:-1] + y[1:]) / 2, "minoring": np.minimum(y[:-1], y[1:]), "majoring": np.maximum(y[:-1], y[1:])}[method]
    return float(np.sum((x[:-1] - x[1:]) * h))


def interpolate_pr_auc():
    dtp = tp[:-1] - tp[1:]
    p = tp + fp
    dp = p[:-1] - p[1:]
    slope = dnn(dtp, np.maximum(dp, 0))
    intercept = tp[1:] - slope * p[1:]
    ratio = np.where((p[:-1] > 0) & (p[1:] > 0), dnn(p[:-1], np.maximum(p[1:], 0)), np.ones_like(p[1:]))
    return float(np.sum(dnn(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0))))


tpr, fpr = dnn(tp, tp + fn), dnn(fp, fp + tn)
prec = dnn(tp, tp + fp)
ref = {
    "y_bin": y_bin.tolist(), "score": score.tolist(),
    "roc_auc_sklearn": float(roc_auc_score(y_bin, score)),
    "roc_auc_minoring": riemann(fpr, tpr, "minoring"), "roc_auc_majoring": riemann(fpr, tpr, "majoring"),
    "pr_auc_interpolation": interpolate_pr_auc(), "pr_auc_minoring": riemann(tpr, prec, "minoring"),
    "precision_05": float(precision_score(y_bin, score > 0.5)), "recall_05": float(recall_score(y_bin, score > 0.5)),
    "precision_03": float(precision_score(y_bin, score > 0.3)), "precision_07": float(precision_score(y_bin, score > 0.7)),
    "recall_03": float(recall_score(y_bin, score > 0.3)), "recall_07": float(recall_score(y_bin, score > 0.7)),
}

# Multi-class: 40 rows, 4 classes, distinct scores.
m, c = 40, 4
labels = rng.integers(0, c, m)
probs = rng.random((m, c)) + 0.8 * np.eye(c)[labels] * (rng.random(m) < 0.6)[:, None]
probs = probs / probs.sum(1, keepdims=True)
onehot = np.eye(c)[labels]
pred = probs.argmax(1)
ref.update({
    "labels": labels.astype(float).tolist(), "probs": probs.tolist(),
    "f1_none": f1_score(labels, pred, average=None).tolist(),
    "f1_micro": float(f1_score(labels, pred, average="micro")),
    "f1_macro": float(f1_score(labels, pred, average="macro")),
    "f1_weighted": float(f1_score(labels, pred, average="weighted")),
    # Multi-label reading with a threshold: every (row, class) > 0.3 is predicted.
    "f1_threshold_macro": float(f1_score(onehot, (probs > 0.3).astype(int), average="macro", zero_division=0)),
    "top2": float(top_k_accuracy_score(labels, probs, k=2, labels=list(range(c)))),
    "top3": float(top_k_accuracy_score(labels, probs, k=3, labels=list(range(c)))),
    "mean_iou": float(jaccard_score(labels, pred, average="macro", labels=sorted(set(labels) | set(pred)))),
})
# Keras top_k=2, class_id=1 (threshold -inf when only top_k is given): class 1 is positive where it is among the two largest.
top2 = np.argsort(-probs, axis=1, kind="stable")[:, :2]
in_top = np.array([1 in row for row in top2])
col_true = onehot[:, 1] != 0
tp_k = np.sum(in_top & col_true)
fp_k = np.sum(in_top & ~col_true)
fn_k = np.sum(~in_top & col_true)
ref["precision_top2_class1"] = float(tp_k / (tp_k + fp_k))
ref["recall_top2_class1"] = float(tp_k / (tp_k + fn_k))
# class_id alone at 0.5: column 2.
col2 = probs[:, 2] > 0.5
ref["precision_class2"] = float(precision_score(onehot[:, 2], col2, zero_division=0))
ref["recall_class2"] = float(recall_score(onehot[:, 2], col2, zero_division=0))
reg_true = rng.normal(size=(10, 3))
reg_pred = reg_true + rng.normal(scale=0.3, size=(10, 3))
ref.update({"reg_true": reg_true.tolist(), "reg_pred": reg_pred.tolist(),
            "rmse": float(np.sqrt(mean_squared_error(reg_true.ravel(), reg_pred.ravel())))})
import sklearn
ref["sklearn_version"] = sklearn.__version__

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "metric_reference.json"), "w") as f:
    json.dump(ref, f, indent=1)
