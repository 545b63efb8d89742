#!/usr/bin/env python3
"""Writes the committed part of the fuzz seed corpus to Tests/Fuzz/Seeds/<target>/.

Small, valid examples of each format the repository has no file of: IDX (plain and gzipped),
PGM (P2, P5, 16-bit), PNG (gray, RGB, palette, 16-bit, interlaced, with alpha), JPEG and a PNG with
a gAMA chunk (copies of the Pillow-written image fixtures: gray, RGB, progressive, 4:4:4, CMYK),
search files and a stored search (search.json), .npy arrays and .npz archives (stored and
deflated, written with the standard library's zipfile), CIFAR-10 and CIFAR-100 batches and a
class-name file, and one tiny Weft checkpoint trained by the weft binary given as the first
argument (the IDX seeds are its dataset). run.sh adds the repository's own files (Configs/, the
fixtures' safetensors and JSON, the image, array and CSV fixtures) at run time.

    python3 Tests/Fuzz/make_seeds.py .build/debug/weft
"""
import gzip
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = os.path.join(HERE, "Seeds")
ROOT = os.path.dirname(os.path.dirname(HERE))


def write(target, name, data):
    folder = os.path.join(SEEDS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as handle:
        handle.write(data if isinstance(data, bytes) else data.encode())


def idx(dimensions, payload):
    return bytes([0, 0, 0x08, len(dimensions)]) + b"".join(struct.pack(">I", d) for d in dimensions) + bytes(payload)


def png(width, height, color_type, bit_depth, rows, palette=None, interlace=0):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, interlace)
    raw = b"".join(b"\x00" + bytes(row) for row in rows)
    body = chunk(b"IHDR", header)
    if palette:
        body += chunk(b"PLTE", bytes(palette))
    return b"\x89PNG\r\n\x1a\n" + body + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def npy(descr, shape, payload, version=1):
    """A .npy array as numpy.save writes it: magic, version, header length, padded dict, data."""
    shape_text = "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_text}, }}"
    length_bytes = 2 if version == 1 else 4
    padding = -(10 + length_bytes - 2 + len(header) + 1) % 64
    header = (header + " " * padding + "\n").encode()
    length = struct.pack("<H" if version == 1 else "<I", len(header))
    return b"\x93NUMPY" + bytes([version, 0]) + length + header + bytes(payload)


def npz(arrays, compression):
    handle = io.BytesIO()
    with zipfile.ZipFile(handle, "w", compression) as archive:
        for name, data in arrays.items():
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = compression
            archive.writestr(info, data)
    return handle.getvalue()


def array_seeds():
    """Seeds of the npz and cifar targets."""
    x = npy("|u1", [2, 3, 2], [(i * 41) % 256 for i in range(12)])
    y = npy("<i8", [2], struct.pack("<qq", 1, 0))
    write("npz", "stored.npz", npz({"x_train": x, "y_train": y, "x_test": x, "y_test": y}, zipfile.ZIP_STORED))
    write("npz", "deflated.npz", npz({"x": npy("|u1", [1, 2, 2, 3], [7] * 12), "y": npy(">u2", [1, 1], [0, 2])},
                                     zipfile.ZIP_DEFLATED))
    write("npz", "v2.npy", npy("<i4", [3], struct.pack("<iii", -1, 0, 5), version=2))
    write("npz", "v3.npy", npy("|i1", [2, 2], [1, 2, 3, 255], version=3))
    record10 = lambda label: bytes([label]) + bytes((i * 7) % 256 for i in range(3072))
    record100 = lambda coarse, fine: bytes([coarse, fine]) + bytes((i * 5) % 256 for i in range(3072))
    write("cifar", "data_batch.bin", record10(3) + record10(9))
    write("cifar", "train.bin", record100(19, 99) + record100(0, 4))
    write("cifar", "batches.meta.txt", "\n".join(f"class{i}" for i in range(10)) + "\n\n")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_seeds.py WEFT_BINARY")
    weft = os.path.abspath(sys.argv[1])
    shutil.rmtree(SEEDS, ignore_errors=True)

    # IDX: labels, images, rank 4, gzipped, an empty dimension.
    images = idx([6, 4, 4], [(i * 37) % 256 for i in range(6 * 16)])
    labels = idx([6], [0, 1, 2, 0, 1, 2])
    write("idx", "images-idx3-ubyte", images)
    write("idx", "labels-idx1-ubyte", labels)
    write("idx", "rgb-idx4-ubyte", idx([2, 2, 2, 3], range(24)))
    write("idx", "empty-idx2-ubyte", idx([0, 5], []))
    write("idx", "images-idx3-ubyte.gz", gzip.compress(images, mtime=0))

    # PGM: binary, ASCII with comments, 16-bit.
    write("pgm", "binary.pgm", b"P5\n# a comment\n3 2\n255\n" + bytes([0, 10, 20, 30, 40, 255]))
    write("pgm", "ascii.pgm", b"P2 3 2 15\n0 1 2\n3 # comment\n 4 15\n")
    write("pgm", "wide.pgm", b"P5 2 1 65535\n" + bytes([0xFF, 0xFF, 0x80, 0x00]))

    # PNG: gray, RGB, palette, 16-bit gray, interlaced gray, gray + alpha, 1-bit.
    write("png", "gray.png", png(3, 2, 0, 8, [[0, 128, 255], [10, 20, 30]]))
    write("png", "rgb.png", png(2, 2, 2, 8, [[255, 0, 0, 0, 255, 0], [0, 0, 255, 9, 9, 9]]))
    write("png", "palette.png", png(2, 1, 3, 8, [[0, 1]], palette=[255, 0, 0, 0, 0, 255]))
    write("png", "gray16.png", png(2, 1, 0, 16, [[0xFF, 0xFF, 0x80, 0x00]]))
    write("png", "interlaced.png", png(3, 3, 0, 8, [[1, 2, 3]] * 3, interlace=1))
    write("png", "alpha.png", png(2, 1, 4, 8, [[200, 255, 100, 0]]))
    write("png", "bits.png", png(8, 1, 0, 1, [[0b10110001]]))

    # JPEG, and a PNG with a gAMA chunk: copies of Tests/Fixtures/Images (make_image_fixtures.py
    # writes them with Pillow).
    for target, name in [("jpeg", "gray.jpg"), ("jpeg", "small.jpg"), ("jpeg", "progressive.jpg"),
                         ("jpeg", "rgb-q95-444.jpg"), ("jpeg", "cmyk.jpg"), ("png", "gamma.png")]:
        with open(os.path.join(ROOT, "Tests", "Fixtures", "Images", name), "rb") as handle:
            write(target, name, handle.read())
    array_seeds()

    # Search files (weft tune --search) and a stored search (search.json).
    write("search", "grid.json", json.dumps({"training.optimizer.learningRate": [0.001, 0.003],
                                             "model.layers[0].filters": [4, 8]}))
    write("search", "range.json", json.dumps({
        "training.optimizer.weightDecay": {"min": 1e-5, "max": 1e-2, "log": True},
        "model.layers[4].filters": {"min": 8, "max": 32, "integer": True},
        "training.optimizer.type": ["sgd", "adam"]}))
    with open(os.path.join(ROOT, "Configs", "quick.json")) as handle:
        quick = json.load(handle)
    write("search", "search.json", json.dumps({
        "weftTune": 1, "source": "Configs/quick.json", "config": quick,
        "space": {"training.batchSize": [32, 64]}, "folds": 3, "trials": 2, "seed": 42, "halving": False,
        "eta": 3, "minimumEpochs": 1, "threads": 1}))

    # A Weft checkpoint: a logistic regression trained for one epoch on the IDX seeds.
    with tempfile.TemporaryDirectory() as folder:
        for name, data in [("train-images", images), ("train-labels", labels),
                           ("test-images", images), ("test-labels", labels)]:
            with open(os.path.join(folder, name), "wb") as handle:
                handle.write(data)
        config = {
            "name": "seed",
            "data": {"dataset": "idx", "directory": ".", "validationFraction": 0,
                     "files": {"trainImages": "train-images", "trainLabels": "train-labels",
                               "testImages": "test-images", "testLabels": "test-labels"},
                     "classNames": ["a", "b", "c"]},
            "model": {"input": [1, 4, 4], "layers": [{"type": "flatten"}, {"type": "dense", "units": 3}]},
            "training": {"epochs": 1, "batchSize": 3, "seed": 1, "optimizer": {"type": "sgd", "learningRate": 0.1}},
            "checkpoint": {"directory": "run"},
        }
        config_path = os.path.join(folder, "seed.json")
        with open(config_path, "w") as handle:
            json.dump(config, handle)
        subprocess.run([weft, "train", "seed.json"], cwd=folder, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        checkpoints = sorted(n for n in os.listdir(os.path.join(folder, "run")) if n.endswith(".safetensors"))
        with open(os.path.join(folder, "run", checkpoints[-1]), "rb") as handle:
            write("safetensors", "checkpoint.safetensors", handle.read())
        write("config", "seed.json", json.dumps(config, indent=2))
        write("config", "options.json", json.dumps(options_config(config), indent=2))


def options_config(config):
    """The seed config with every training option that has settings of its own."""
    options = json.loads(json.dumps(config))
    training = options["training"]
    training["optimizer"]["lookahead"] = {"steps": 5, "alpha": 0.5}
    training["ema"] = {"decay": 0.99, "warmupSteps": 2, "everySteps": 2}
    training["parameterGroups"] = [{"layerTypes": ["dense"], "parameterNames": "bias", "prefixes": "layers.1",
                                    "learningRateScale": 2, "weightDecay": 0}]
    options["evaluation"] = {"tta": ["flip", "shift1"]}
    return options


if __name__ == "__main__":
    main()
