#!/usr/bin/env python3
"""Writes scikit-learn's handwritten digits as a small IDX dataset for the fine-tuning example:

    .venv/bin/pip install scikit-learn Pillow
    .venv/bin/python Tests/Benchmarks/make_digits_idx.py [OUTPUT_FOLDER]   # default Data/digits

`sklearn.datasets.load_digits` is bundled with the package (1797 images of 8×8 pixels, values
0..16, ink high, background 0 as in Fashion-MNIST), so nothing is downloaded. Each image is
scaled to 0..255 (`round(v * 255 / 16)`), enlarged to 28×28 with PIL's bilinear filter and
rounded to bytes. The training split is a stratified slice of 500 images (50 per class, drawn
with a fixed seed, in the dataset's order); the test split is the other 1297. The four files are
uncompressed IDX with Fashion-MNIST's names (train-images-idx3-ubyte, train-labels-idx1-ubyte,
t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte), which Configs/digits-finetune.json reads.
"""
import os
import struct
import sys

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits

TRAIN_PER_CLASS = 50
SEED = 0
SIZE = 28


def enlarged(image):
    """One 8×8 digit (0..16) as 28×28 bytes."""
    scaled = np.rint(image * 255.0 / 16.0).astype(np.uint8)
    return np.asarray(Image.fromarray(scaled, mode="L").resize((SIZE, SIZE), Image.BILINEAR), dtype=np.uint8)


def write_idx(path, array):
    """An IDX file of unsigned bytes: magic 0x0000 08 <rank>, big-endian dimensions, the bytes."""
    with open(path, "wb") as file:
        file.write(struct.pack(">BBBB", 0, 0, 0x08, array.ndim))
        file.write(struct.pack(">" + "I" * array.ndim, *array.shape))
        file.write(array.astype(np.uint8).tobytes())


def main():
    output = sys.argv[1] if len(sys.argv) > 1 else os.path.join("Data", "digits")
    os.makedirs(output, exist_ok=True)
    digits = load_digits()
    images = np.stack([enlarged(image) for image in digits.images])  # [1797, 28, 28]
    labels = digits.target.astype(np.uint8)
    generator = np.random.RandomState(SEED)
    train = np.zeros(len(labels), dtype=bool)
    for digit in range(10):
        members = np.flatnonzero(labels == digit)
        train[generator.choice(members, TRAIN_PER_CLASS, replace=False)] = True
    for prefix, chosen in (("train", train), ("t10k", ~train)):
        write_idx(os.path.join(output, f"{prefix}-images-idx3-ubyte"), images[chosen])
        write_idx(os.path.join(output, f"{prefix}-labels-idx1-ubyte"), labels[chosen])
    print(f"{output}: {train.sum()} training and {(~train).sum()} test images of {SIZE}×{SIZE}")


if __name__ == "__main__":
    main()
