#!/usr/bin/env python3
"""Writes Tests/Fixtures/Golden/whitening.json: patch-whitening filters computed by NumPy
(`np.linalg.eigh` of the float64 second moments of every k×k patch, airbench's
`init_whitening_conv`) for a few images, so that `swift test` needs no Python.

    ~/peer-venv/bin/python Tests/Fixtures/make_whitening_golden.py

Case "fashion": the first 16 Fashion-MNIST training images (from the installed dataset),
3×3 patches. Case "rgb": 6 seeded 3×10×10 images with correlated channels, 2×2 patches (as
airbench's first layer). Eigenvectors get their largest-magnitude component positive, the
convention Weft uses (eigh's signs are arbitrary).
"""
import gzip
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
FASHION = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"


def normalised(images, mean, std):
    """Weft's (and ToTensor + Normalize's) float32 arithmetic, then float64."""
    table = [(np.float32(np.arange(256, dtype=np.float32) / np.float32(255)) - np.float32(m)) / np.float32(s)
             for m, s in zip(mean, std)]
    out = np.empty(images.shape, dtype=np.float64)
    for c in range(images.shape[1]):
        out[:, c] = table[c][images[:, c]].astype(np.float64)
    return out


def whitening(images, kernel, epsilon, mean, std):
    x = normalised(images, mean, std)
    n, c, h, w = x.shape
    windows = np.lib.stride_tricks.sliding_window_view(x, (kernel, kernel), axis=(2, 3))  # n c h' w' k k
    patches = windows.transpose(0, 2, 3, 1, 4, 5).reshape(-1, c * kernel * kernel)
    moments = patches.T @ patches / patches.shape[0]
    values, vectors = np.linalg.eigh(moments)
    values, vectors = values[::-1], vectors[:, ::-1].T.copy()
    for row in vectors:
        largest = np.argmax(np.abs(row))
        if row[largest] < 0:
            row *= -1
    scaled = vectors / np.sqrt(np.maximum(values, 0) + epsilon)[:, None]
    filters = np.concatenate([scaled, -scaled])
    return values, filters


def case(images, kernel, epsilon, mean, std):
    values, filters = whitening(images, kernel, epsilon, mean, std)
    n, c, h, w = images.shape
    return {
        "count": n, "channels": c, "height": h, "width": w, "kernel": kernel, "epsilon": epsilon,
        "mean": mean, "std": std, "images": images.reshape(-1).tolist(),
        "eigenvalues": values.tolist(), "filters": filters.reshape(-1).tolist(),
    }


def main():
    with gzip.open(FASHION, "rb") as handle:
        raw = handle.read()
    fashion = np.frombuffer(raw, dtype=np.uint8, offset=16)[:16 * 784].reshape(16, 1, 28, 28)
    rng = np.random.default_rng(20261204)
    base = rng.integers(0, 256, size=(6, 1, 10, 10))
    rgb = np.clip(np.concatenate([base, base // 2 + rng.integers(0, 128, size=base.shape),
                                  255 - base // 2 - rng.integers(0, 128, size=base.shape)], axis=1), 0, 255).astype(np.uint8)
    out = {
        "fashion": case(fashion, 3, 5e-4, [0.2860], [0.3530]),
        "rgb": case(rgb, 2, 1e-2, [0.5, 0.4, 0.45], [0.25, 0.2, 0.3]),
    }
    path = os.path.join(HERE, "Golden", "whitening.json")
    with open(path, "w") as handle:
        json.dump(out, handle)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
