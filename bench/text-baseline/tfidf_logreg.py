#!/usr/bin/python3
"""Peer baseline for examples/TextClassification: TF-IDF + logistic regression (Debian's python3-sklearn).

Run from the repository root:  /usr/bin/python3 bench/text-baseline/tfidf_logreg.py [--seed 42]
It reads the same archive (data/spam-assassin/spam-assassin-0.2.3.tar.gz), decodes each message the same way
(UTF-8, else Latin-1) and makes the same split as Praxis.Data.SpamAssassin.Split: a message is in the test set when
the first 8 bytes of SHA-256("{seed}:{group}/{file}"), big-endian, are below int(0.2 * 2**64).
The vectorizer is scikit-learn's default TfidfVectorizer (lower case, word tokens, l2, smooth idf) and the classifier
LogisticRegression(C=1, max_iter=1000): a plain, untuned, widely used baseline.
"""
import argparse
import hashlib
import json
import tarfile
import time

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_score, recall_score, roc_auc_score

p = argparse.ArgumentParser()
p.add_argument("--seed", type=int, default=42)
p.add_argument("--test-fraction", type=float, default=0.2)
p.add_argument("--data", default="data/spam-assassin/spam-assassin-0.2.3.tar.gz")
args = p.parse_args()

threshold = int(args.test_fraction * 2**64)
train, test = [], []
with tarfile.open(args.data, "r:gz") as tar:
    for m in tar:
        if not m.isfile():
            continue
        group, name = m.name.split("/", 1)
        raw = tar.extractfile(m).read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        h = int.from_bytes(hashlib.sha256(f"{args.seed}:{group}/{name}".encode()).digest()[:8], "big")
        (test if h < threshold else train).append((text, 1 if group.startswith("spam") else 0))

xtr, ytr = [t for t, _ in train], [y for _, y in train]
xte, yte = [t for t, _ in test], [y for _, y in test]
t0 = time.perf_counter()
vec = TfidfVectorizer()
Xtr = vec.fit_transform(xtr)
clf = LogisticRegression(C=1.0, max_iter=1000)
clf.fit(Xtr, ytr)
train_seconds = time.perf_counter() - t0
prob = clf.predict_proba(vec.transform(xte))[:, 1]
pred = (prob >= 0.5).astype(int)
tn, fp, fn, tp = confusion_matrix(yte, pred).ravel()
print(json.dumps({
    "model": "tfidf_logreg", "train": len(train), "test": len(test), "test_spam": int(sum(yte)),
    "accuracy": round(accuracy_score(yte, pred), 4), "f1": round(f1_score(yte, pred), 4),
    "precision": round(precision_score(yte, pred), 4), "recall": round(recall_score(yte, pred), 4),
    "auc": round(roc_auc_score(yte, prob), 4), "confusion": {"tn": int(tn), "fp": int(fp), "fn": int(fn), "tp": int(tp)},
    "train_seconds": round(train_seconds, 2), "features": len(vec.vocabulary_),
}))
