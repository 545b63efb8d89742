#!/usr/bin/env python3
"""Generate scikit-learn golden values for Weft's evaluation metrics and PCA.

Writes `Golden/evaluation.json` next to this script:

    {"generator": ..., "sklearn": <version>, "numpy": <version>,
     "classification": [case, ...], "pca": [case, ...]}

A classification case holds the inputs (`classNames`, `labels`, float32 `logits` [N, K],
row-major) and what scikit-learn computes from them with `labels=range(K)` and the default
`zero_division="warn"` (a 0/0 metric counts as 0):

    report        classification_report(..., output_dict=True)
    reportText    classification_report(..., digits=4), the text layout
    confusion     confusion_matrix
    accuracy      accuracy_score
    top2Accuracy  top_k_accuracy_score(k=2) on the softmax probabilities
    logLoss       log_loss on the softmax probabilities (float64)

The "zeroDivision" case has a class that is never predicted, a class that is predicted but
never true, and a class that is neither.

A PCA case holds a matrix `x` [N, D] and sklearn's `PCA(n_components=2)`: `components`
[2, D], `explainedVariance`, `explainedVarianceRatio` and `projection` [N, 2] (components
are defined up to sign). The "wide" case has more columns than rows.

Run from the repository root with scikit-learn installed:

    python3 Tests/Fixtures/make_evaluation_golden.py

The output is deterministic (numpy's default_rng(0)); the JSON is committed, so `swift test`
never needs Python.
"""

import json
from pathlib import Path

import numpy as np
import sklearn
from sklearn.decomposition import PCA
from sklearn.metrics import (accuracy_score, classification_report, confusion_matrix, log_loss,
                             top_k_accuracy_score)

GENERATOR = "Tests/Fixtures/make_evaluation_golden.py"
OUT = Path(__file__).resolve().parent / "Golden" / "evaluation.json"


def softmax(logits):
    z = logits.astype(np.float64)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def classification_case(name, class_names, labels, logits):
    logits = logits.astype(np.float32)
    classes = list(range(len(class_names)))
    predicted = logits.argmax(axis=1)
    probabilities = softmax(logits)
    report = classification_report(labels, predicted, labels=classes, target_names=class_names,
                                   output_dict=True, zero_division="warn")
    text = classification_report(labels, predicted, labels=classes, target_names=class_names,
                                 digits=4, zero_division="warn")
    return {
        "name": name,
        "classNames": class_names,
        "labels": [int(v) for v in labels],
        "logits": [float(v) for v in logits.reshape(-1)],
        "report": report,
        "reportText": text,
        "confusion": confusion_matrix(labels, predicted, labels=classes).tolist(),
        "accuracy": float(accuracy_score(labels, predicted)),
        "top2Accuracy": float(top_k_accuracy_score(labels, probabilities, k=2, labels=classes)),
        "logLoss": float(log_loss(labels, probabilities, labels=classes)),
    }


def pca_case(name, x):
    x = x.astype(np.float32).astype(np.float64)
    pca = PCA(n_components=2, svd_solver="full").fit(x)
    return {
        "name": name,
        "rows": x.shape[0],
        "columns": x.shape[1],
        "x": [float(v) for v in x.reshape(-1)],
        "components": [float(v) for v in pca.components_.reshape(-1)],
        "explainedVariance": [float(v) for v in pca.explained_variance_],
        "explainedVarianceRatio": [float(v) for v in pca.explained_variance_ratio_],
        "projection": [float(v) for v in pca.transform(x).reshape(-1)],
    }


def main():
    rng = np.random.default_rng(0)
    cases = []

    # A 6-class problem where the model is right about two times in three.
    names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal"]
    labels = rng.integers(0, len(names), size=240)
    logits = rng.normal(0, 1.5, size=(240, len(names)))
    logits[np.arange(240), labels] += 1.8
    cases.append(classification_case("random", names, labels, logits))

    # Zero divisions: class 3 is never predicted, class 2 never true, class 4 neither.
    names = ["zero", "one", "two", "three", "four"]
    labels = rng.choice([0, 1, 3], size=60)
    predicted = np.where(rng.random(60) < 0.6, labels, rng.choice([0, 1, 2], size=60))
    predicted[labels == 3] = rng.choice([0, 1, 2], size=int((labels == 3).sum()))
    logits = rng.normal(0, 1, size=(60, len(names)))
    logits[np.arange(60), predicted] = logits.max(axis=1) + 0.5 + rng.random(60)
    cases.append(classification_case("zeroDivision", names, labels, logits))

    pcas = []
    # Six dimensions of very different variance, mixed by a random rotation, shifted.
    q, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    x = rng.normal(size=(50, 6)) * np.array([5, 3, 1.5, 1, 0.5, 0.2]) @ q.T + rng.normal(0, 4, size=6)
    pcas.append(pca_case("rotated", x))
    # Points along y = 2x with a little noise across.
    t = rng.normal(size=30)
    x = np.stack([t, 2 * t + 0.05 * rng.normal(size=30), 0.01 * rng.normal(size=30)], axis=1)
    pcas.append(pca_case("line", x))
    # More columns than rows: Weft works on the Gram matrix then.
    x = rng.normal(size=(8, 20)) * np.linspace(3, 0.5, 20) + 1
    pcas.append(pca_case("wide", x))

    document = {"generator": GENERATOR, "sklearn": sklearn.__version__, "numpy": np.__version__,
                "classification": cases, "pca": pcas}
    OUT.write_text(json.dumps(document) + "\n")
    print(f"wrote {OUT}: {len(cases)} classification and {len(pcas)} PCA cases")


if __name__ == "__main__":
    main()
