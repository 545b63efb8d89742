#!/usr/bin/env python3
"""Writes Tests/Fixtures/Arrays/: small CIFAR-10 and CIFAR-100 binary datasets, NumPy .npy and
.npz files (written by NumPy itself), damaged variants of each, and expected.json with what NumPy
reads from them, so that `swift test` needs no Python.

    .venv/bin/python Tests/Fixtures/make_array_fixtures.py
"""
import io
import json
import os
import shutil
import struct
import zipfile
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "Arrays")
rng = np.random.default_rng(20261204)

CIFAR10_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def write(relative, data):
    path = os.path.join(OUT, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data if isinstance(data, bytes) else data.encode())


def cifar_records(labels, label_bytes):
    """Records of label bytes then 3072 pixel bytes; returns (bytes, pixels [N, 3, 32, 32])."""
    count = len(labels)
    pixels = rng.integers(0, 256, size=(count, 3, 32, 32), dtype=np.uint8)
    body = b"".join(bytes(label) + pixels[i].tobytes() for i, label in enumerate(labels))
    assert len(body) == count * (label_bytes + 3072)
    return body, pixels


def split_summary(pixels, labels):
    return {"count": len(labels), "labels": [int(v) for v in labels],
            "crc32": zlib.crc32(pixels.tobytes()) & 0xFFFFFFFF, "sum": int(pixels.astype(np.int64).sum()),
            "first": [int(v) for v in pixels.reshape(-1)[:8]]}


def make_cifar(expected):
    # CIFAR-10: five training batches of 2, 1, 1, 1, 1 records and a test batch of 2.
    train_pixels, train_labels = [], []
    for batch, labels in enumerate([[3, 9], [0], [1], [8], [5]], start=1):
        body, pixels = cifar_records([[label] for label in labels], 1)
        write(f"cifar10/data_batch_{batch}.bin", body)
        train_pixels.append(pixels)
        train_labels += labels
    body, test_pixels = cifar_records([[7], [2]], 1)
    write("cifar10/test_batch.bin", body)
    write("cifar10/batches.meta.txt", "\n".join(CIFAR10_NAMES) + "\n\n")  # as the real file: a blank line at the end
    expected["cifar10"] = {"classNames": CIFAR10_NAMES,
                           "train": split_summary(np.concatenate(train_pixels), train_labels),
                           "test": split_summary(test_pixels, [7, 2])}

    # CIFAR-100: (coarse, fine) pairs; 3 training and 2 test records.
    fine = [f"fine{i:02d}" for i in range(100)]
    coarse = [f"coarse{i:02d}" for i in range(20)]
    train_pairs, test_pairs = [[19, 99], [0, 4], [7, 50]], [[3, 1], [11, 98]]
    body, train_pixels = cifar_records(train_pairs, 2)
    write("cifar100/train.bin", body)
    body, test_pixels = cifar_records(test_pairs, 2)
    write("cifar100/test.bin", body)
    write("cifar100/fine_label_names.txt", "\n".join(fine) + "\n")
    write("cifar100/coarse_label_names.txt", "\n\n".join(coarse) + "\n")  # blank lines between names
    for which, column, names in [("fine", 1, fine), ("coarse", 0, coarse)]:
        expected[f"cifar100-{which}"] = {
            "classNames": names,
            "train": split_summary(train_pixels, [pair[column] for pair in train_pairs]),
            "test": split_summary(test_pixels, [pair[column] for pair in test_pairs])}

    # Damaged: one record and a byte, a label of 10, a meta file of 9 names, a fine label of 100.
    good, _ = cifar_records([[1]], 1)
    write("damaged/cifar10-truncated.bin", good + b"\x00")
    bad, _ = cifar_records([[1], [10]], 1)
    write("damaged/cifar10-label.bin", bad)
    write("damaged/batches.meta.txt", "\n".join(CIFAR10_NAMES[:9]) + "\n")
    bad, _ = cifar_records([[2, 3], [4, 100]], 2)
    write("damaged/cifar100-fine-label.bin", bad)


def npy(array, version=None):
    handle = io.BytesIO()
    np.lib.format.write_array(handle, array, version=version, allow_pickle=True)
    return handle.getvalue()


def describe(array):
    # Strings: JSON numbers are doubles, which do not hold every 64-bit integer.
    return {"descr": array.dtype.str, "shape": list(array.shape), "values": [str(int(v)) for v in array.ravel()]}


def nchw(x):
    return x[:, None] if x.ndim == 3 else x.transpose(0, 3, 1, 2)


def dataset_summary(x, y):
    x = nchw(x)
    return {"shape": list(x.shape), "labels": [int(v) for v in np.asarray(y).reshape(-1)],
            "pixels": [int(v) for v in np.ascontiguousarray(x).reshape(-1)]}


def savez(relative, compressed=False, **arrays):
    path = os.path.join(OUT, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    (np.savez_compressed if compressed else np.savez)(path, **arrays)
    return path


def make_npz(expected):
    datasets = expected.setdefault("datasets", {})
    arrays = expected.setdefault("arrays", {})

    # Keras's mnist.npz layout, stored: [N, H, W] images, int64 and uint8 labels.
    x_train = rng.integers(0, 256, size=(5, 4, 3), dtype=np.uint8)
    y_train = np.array([0, 2, 1, 2, 0], dtype=np.int64)
    x_test = rng.integers(0, 256, size=(2, 4, 3), dtype=np.uint8)
    y_test = np.array([1, 2], dtype=np.uint8)
    savez("mnist.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    datasets["mnist.npz"] = {"classCount": 3, "train": dataset_summary(x_train, y_train),
                             "test": dataset_summary(x_test, y_test)}
    arrays["mnist.npz"] = {"x_train": describe(x_train), "y_train": describe(y_train),
                           "x_test": describe(x_test), "y_test": describe(y_test)}

    # Compressed, [N, H, W, 3] images, [N, 1] int32 labels, int16 test labels.
    x_train = rng.integers(0, 256, size=(4, 3, 2, 3), dtype=np.uint8)
    x_train[0] = 7  # a run that deflate compresses
    y_train = np.array([[4], [0], [1], [3]], dtype=np.int32)
    x_test = rng.integers(0, 256, size=(2, 3, 2, 3), dtype=np.uint8)
    y_test = np.array([3, 4], dtype=np.int16)
    savez("rgb-compressed.npz", compressed=True, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    datasets["rgb-compressed.npz"] = {"classCount": 5, "train": dataset_summary(x_train, y_train),
                                      "test": dataset_summary(x_test, y_test)}

    # A file per split: [N, H, W, 1] with int64 [N, 1] labels; [N, H, W] with big-endian labels.
    x = rng.integers(0, 256, size=(3, 5, 4, 1), dtype=np.uint8)
    y = np.array([[1], [0], [1]], dtype=np.int64)
    savez("split-train.npz", x=x, y=y)
    datasets["split"] = {"classCount": 3, "train": dataset_summary(x, y)}
    x = rng.integers(0, 256, size=(2, 5, 4), dtype=np.uint8)
    y = np.array([2, 0], dtype=">i4")
    savez("split-test.npz", compressed=True, x=x, y=y)
    datasets["split"]["test"] = dataset_summary(x, y)

    # Every label type, and .npy format versions 1.0, 2.0 and 3.0, in one hand-made archive.
    labels = {
        "i8": np.array([0, -1, 2**40, -(2**62)], dtype="<i8"), "i4": np.array([5, -7, 2**31 - 1], dtype="<i4"),
        "i2": np.array([-32768, 300], dtype="<i2"), "i1": np.array([-128, 127, 0], dtype="|i1"),
        "u1": np.array([255, 0], dtype="|u1"), "u2": np.array([65535, 1], dtype="<u2"),
        "u4": np.array([2**32 - 1], dtype="<u4"), "u8": np.array([2**63 - 1, 3], dtype="<u8"),
        "be_i8": np.array([-2, 2**50], dtype=">i8"), "be_u2": np.array([258, 7], dtype=">u2"),
        "be_i2": np.array([-300], dtype=">i2"), "scalar": np.array(9, dtype="<i4"),
        "matrix": np.arange(6, dtype="<u2").reshape(2, 3), "empty": np.zeros((0, 3), dtype="|u1"),
    }
    with zipfile.ZipFile(os.path.join(OUT, "labels.npz"), "w", zipfile.ZIP_DEFLATED) as archive:
        for name, array in labels.items():
            archive.writestr(name + ".npy", npy(array))
        archive.writestr("v2.npy", npy(labels["i4"], version=(2, 0)))
        archive.writestr("v3.npy", npy(labels["u2"], version=(3, 0)))
    arrays["labels.npz"] = {name: describe(array) for name, array in labels.items()}
    arrays["labels.npz"]["v2"] = describe(labels["i4"])
    arrays["labels.npz"]["v3"] = describe(labels["u2"])
    write("v1.npy", npy(labels["i8"], version=(1, 0)))
    write("v2.npy", npy(labels["be_u2"], version=(2, 0)))
    write("v3.npy", npy(labels["u1"], version=(3, 0)))
    arrays["npy"] = {"v1.npy": describe(labels["i8"]), "v2.npy": describe(labels["be_u2"]),
                     "v3.npy": describe(labels["u1"])}


def make_damaged_npz():
    x = rng.integers(0, 256, size=(3, 2, 2), dtype=np.uint8)
    y = np.array([0, 1, 0], dtype=np.int64)
    savez("damaged/missing-y-test.npz", x_train=x, y_train=y, x_test=x)
    savez("damaged/lengths.npz", x_train=x, y_train=y[:2], x_test=x, y_test=y)
    savez("damaged/negative.npz", x_train=x, y_train=np.array([0, -1, 1]), x_test=x, y_test=y)
    savez("damaged/float.npz", x_train=x.astype(np.float32), y_train=y, x_test=x, y_test=y)
    savez("damaged/fortran.npz", x_train=np.asfortranarray(x), y_train=y, x_test=x, y_test=y)
    savez("damaged/object.npz", x_train=x, y_train=np.array([0, "a", None], dtype=object), x_test=x, y_test=y)
    savez("damaged/two-channels.npz", x_train=np.zeros((3, 2, 2, 2), np.uint8), y_train=y, x_test=x, y_test=y)
    savez("damaged/one-hot.npz", x_train=x, y_train=np.eye(3, dtype=np.int64), x_test=x, y_test=y)
    savez("damaged/huge-label.npz", x_train=x, y_train=np.array([0, 2**63, 1], dtype=np.uint64), x_test=x, y_test=y)
    savez("damaged/structured.npz", x_train=x, y_train=np.zeros(3, dtype=[("a", "<i4")]), x_test=x, y_test=y)

    # A flipped byte in the last data byte of the first member (stored): the CRC-32 check.
    stored = open(os.path.join(OUT, "damaged/negative.npz"), "rb").read()
    good = bytearray(open(os.path.join(OUT, "mnist.npz"), "rb").read())
    with zipfile.ZipFile(io.BytesIO(bytes(good))) as archive:
        info = archive.getinfo("x_train.npy")
    local = info.header_offset
    data = local + 30 + struct.unpack("<H", good[local + 26:local + 28])[0] + struct.unpack("<H", good[local + 28:local + 30])[0]
    corrupt = bytearray(good)
    corrupt[data + info.compress_size - 1] ^= 0xFF
    write("damaged/crc.npz", bytes(corrupt))
    write("damaged/truncated.npz", bytes(good[: len(good) // 2]))
    del stored

    # Deflated archives whose central directory lies about the uncompressed size.
    packed = bytearray(open(os.path.join(OUT, "rgb-compressed.npz"), "rb").read())
    end = packed.rfind(b"PK\x05\x06")
    directory = struct.unpack("<I", packed[end + 16:end + 20])[0]
    assert packed[directory:directory + 4] == b"PK\x01\x02"
    compressed, size = struct.unpack("<II", packed[directory + 20:directory + 28])
    for name, claim in [("bomb", 0xFFFF_FFF0), ("short-claim", size - 1), ("long-claim", size + 1)]:
        lying = bytearray(packed)
        lying[directory + 24:directory + 28] = struct.pack("<I", claim)
        write(f"damaged/{name}.npz", bytes(lying))

    # Bare .npy files: a shape that disagrees with the data, a shape that overflows, a bad header.
    good_npy = npy(np.arange(4, dtype="<i4"))
    write("damaged/shape.npy", good_npy.replace(b"(4,)", b"(5,)"))
    header = "{'descr': '<i4', 'fortran_order': False, 'shape': (4611686018427387904, 4611686018427387904), }"
    write("damaged/overflow.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header) + 1) + header.encode() + b"\n")
    header = "{'descr': '<i4', 'fortran_order': False, 'shape': (1,), 'extra': 1}"
    write("damaged/extra-key.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header) + 1) + header.encode() + b"\n" + bytes(4))
    write("damaged/version.npy", b"\x93NUMPY\x04\x00" + good_npy[8:])
    write("damaged/bare.npz", good_npy)


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    expected = {}
    make_cifar(expected)
    make_npz(expected)
    make_damaged_npz()
    write("expected.json", json.dumps(expected, indent=1, sort_keys=True) + "\n")
    total = sum(os.path.getsize(os.path.join(folder, name)) for folder, _, names in os.walk(OUT) for name in names)
    print(f"wrote {OUT}: {total} bytes")


if __name__ == "__main__":
    main()
