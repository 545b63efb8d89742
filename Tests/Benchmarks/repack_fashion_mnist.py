"""Writes Fashion-MNIST's IDX files out as the layouts Weft reads besides IDX, to check that each
trains to the same accuracy and to time loading:

    .venv/bin/python Tests/Benchmarks/repack_fashion_mnist.py OUT [--idx-dir DIR] [--layouts png,jpeg,csv,npz]

OUT/png/{train,test}/<class>/<index>.png and OUT/jpeg/... (quality 95, 4:4:4) are image folders
(class folders named "0-T-shirt_top" ... "9-Ankle boot" so they sort in label order);
OUT/csv/{train,test}.csv list the PNG files with class-name labels; OUT/npz/fashion.npz holds
x_train, y_train, x_test, y_test as Keras's mnist.npz does; OUT/cifar/ holds the images in the
CIFAR-10 binary layout (data_batch_1..5.bin, test_batch.bin, batches.meta.txt: 32×32 RGB records,
each image padded by 2 black pixels a side, its gray copied to R, G and B). Needs NumPy and Pillow.
"""
import argparse
import gzip
import os

import numpy as np
from PIL import Image

NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--idx-dir", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--layouts", default="png,jpeg,csv,npz,cifar")
    args = parser.parse_args()
    layouts = args.layouts.split(",")
    splits = {}
    for split, prefix in [("train", "train"), ("test", "t10k")]:
        images = read_idx(os.path.join(args.idx_dir, f"{prefix}-images-idx3-ubyte.gz"))
        labels = read_idx(os.path.join(args.idx_dir, f"{prefix}-labels-idx1-ubyte.gz"))
        splits[split] = (images, labels)
    folders = [f"{label}-{name.replace('/', '_')}" for label, name in enumerate(NAMES)]
    for layout, extension in [("png", "png"), ("jpeg", "jpg")]:
        if layout not in layouts and not (layout == "png" and "csv" in layouts):
            continue
        for split, (images, labels) in splits.items():
            for folder in folders:
                os.makedirs(os.path.join(args.out, layout, split, folder), exist_ok=True)
            for index, (image, label) in enumerate(zip(images, labels)):
                path = os.path.join(args.out, layout, split, folders[label], f"{index:05d}.{extension}")
                if extension == "png":
                    Image.fromarray(image).save(path)
                else:
                    Image.fromarray(image).save(path, quality=95, subsampling=0)
    if "csv" in layouts:
        os.makedirs(os.path.join(args.out, "csv"), exist_ok=True)
        for split, (images, labels) in splits.items():
            with open(os.path.join(args.out, "csv", f"{split}.csv"), "w") as f:
                f.write("path,label\n")
                for index, label in enumerate(labels):
                    f.write(f"../png/{split}/{folders[label]}/{index:05d}.png,{folders[label]}\n")
    if "npz" in layouts:
        os.makedirs(os.path.join(args.out, "npz"), exist_ok=True)
        np.savez(os.path.join(args.out, "npz", "fashion.npz"),
                 x_train=splits["train"][0], y_train=splits["train"][1],
                 x_test=splits["test"][0], y_test=splits["test"][1])
    if "cifar" in layouts:
        folder = os.path.join(args.out, "cifar")
        os.makedirs(folder, exist_ok=True)

        def records(images, labels):
            padded = np.pad(images, ((0, 0), (2, 2), (2, 2)))
            planes = np.repeat(padded[:, None, :, :], 3, axis=1).reshape(len(images), -1)
            return np.concatenate([labels.astype(np.uint8)[:, None], planes], axis=1).tobytes()

        train_images, train_labels = splits["train"]
        batch = len(train_images) // 5
        for number in range(5):
            part = slice(number * batch, (number + 1) * batch)
            with open(os.path.join(folder, f"data_batch_{number + 1}.bin"), "wb") as f:
                f.write(records(train_images[part], train_labels[part]))
        with open(os.path.join(folder, "test_batch.bin"), "wb") as f:
            f.write(records(*splits["test"]))
        with open(os.path.join(folder, "batches.meta.txt"), "w") as f:
            f.write("\n".join(NAMES) + "\n\n")


if __name__ == "__main__":
    main()
