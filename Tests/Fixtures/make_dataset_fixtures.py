"""Writes the small image datasets `ImageFolderTests` reads (Tests/Fixtures/Datasets) and what
PIL makes of them, so `swift test` needs no Python:

    .venv/bin/python Tests/Fixtures/make_dataset_fixtures.py

folder/{train,test}/<class>/...: PNG images of several sizes, gray and RGB, gray+alpha and
RGBA, 16-bit, palette, a nested folder, a hidden file and a text file (both ignored), in classes
whose names sort differently by code point than by locale. csv/: lists of the same files with
quoted fields and an extra column. expected.json: per target shape and resize mode, the class
names, labels and the pixels PIL gives: convert("L" or "RGB") (alpha composited over black;
16-bit samples as round(v / 257)),
crop to the aspect ratio for centerCrop, then per axis Image.BOX when shrinking and
Image.BILINEAR when enlarging, horizontal first. resize.json: the same resampling of random
images without datasets.
"""
import json
import os
import random

import numpy as np
from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Datasets")
CLASSES = ["Zebra", "apple", "Äpfel"]  # code-point order: "Zebra" < "apple" < "Äpfel"


def sixteen_to_eight(samples):
    """16-bit samples to 8 bits as Weft reads them, round(v / 257) (Pillow's convert clips)."""
    return ((samples.astype(np.uint32) + 128) // 257).astype(np.uint8)


def rgb_of(image):
    """PIL's RGB of any mode, alpha composited over black."""
    if image.mode in ("RGBA", "LA", "P", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        black = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        return Image.alpha_composite(black, rgba).convert("RGB")
    if image.mode == "I;16" or image.mode == "I":
        return Image.fromarray(sixteen_to_eight(np.array(image))).convert("RGB")
    return image.convert("RGB")


def gray_of(image):
    if image.mode in ("L",):
        return image
    if image.mode in ("I;16", "I"):
        return Image.fromarray(sixteen_to_eight(np.array(image)))
    if image.mode == "LA":
        rgba = image.convert("RGBA")
        black = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        return Image.alpha_composite(black, rgba).convert("L")
    return rgb_of(image).convert("L")


def fit(image, channels, height, width, mode):
    im = gray_of(image) if channels == 1 else rgb_of(image)
    w, h = im.size
    if (w, h) != (width, height) and mode == "centerCrop":
        cw, ch = w, h
        if w * height > h * width:
            cw = max(1, (h * width + height // 2) // height)
        else:
            ch = max(1, (w * height + width // 2) // width)
        left, top = (w - cw) // 2, (h - ch) // 2
        im = im.crop((left, top, left + cw, top + ch))
    w, h = im.size
    if w != width:
        im = im.resize((width, h), Image.BOX if width < w else Image.BILINEAR)
    if h != height:
        im = im.resize((width, height), Image.BOX if height < h else Image.BILINEAR)
    array = np.array(im)
    if channels == 3:
        array = array.transpose(2, 0, 1)
    return [int(v) for v in array.ravel()]


def random_image(rng, mode, size):
    w, h = size
    if mode == "L":
        return Image.fromarray(rng.integers(0, 256, (h, w), dtype=np.uint8))
    if mode == "RGB":
        return Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
    if mode == "RGBA":
        return Image.fromarray(rng.integers(0, 256, (h, w, 4), dtype=np.uint8), "RGBA")
    if mode == "LA":
        return Image.fromarray(rng.integers(0, 256, (h, w, 2), dtype=np.uint8), "LA")
    if mode == "P":
        return Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).quantize(16)
    if mode == "I;16":
        return Image.fromarray(rng.integers(0, 65536, (h, w), dtype=np.uint16))
    raise ValueError(mode)


def main():
    rng = np.random.default_rng(7)
    kinds = ["L", "RGB", "RGBA", "LA", "P", "I;16"]
    sizes = [(8, 8), (12, 6), (5, 9), (16, 16), (3, 4), (10, 10)]
    files = {"train": [], "test": []}
    for split, per_class in [("train", 3), ("test", 2)]:
        for label, name in enumerate(CLASSES):
            folder = os.path.join(ROOT, "folder", split, name)
            os.makedirs(folder, exist_ok=True)
            for i in range(per_class):
                kind = kinds[(label * 3 + i) % len(kinds)]
                size = sizes[(label + i * 2) % len(sizes)]
                image = random_image(rng, kind, size)
                sub = folder if not (split == "train" and label == 1 and i == 2) else os.path.join(folder, "nested")
                os.makedirs(sub, exist_ok=True)
                path = os.path.join(sub, f"img{i}.png")
                image.save(path)
                files[split].append((os.path.relpath(path, os.path.join(ROOT, "folder", split)), label, path))
        with open(os.path.join(ROOT, "folder", split, CLASSES[0], ".hidden.png"), "wb") as f:
            f.write(b"not an image")
        with open(os.path.join(ROOT, "folder", split, CLASSES[0], "notes.txt"), "w") as f:
            f.write("ignored\n")
    # torchvision's order: classes sorted; within a class sorted(os.walk()) then sorted names.
    order = {}
    for split in files:
        entries = []
        for label, name in enumerate(sorted(CLASSES)):
            class_dir = os.path.join(ROOT, "folder", split, name)
            for root, _, names in sorted(os.walk(class_dir)):
                for file in sorted(names):
                    if file.startswith(".") or not file.endswith(".png"):
                        continue
                    entries.append((os.path.join(root, file), label))
        order[split] = entries
    os.makedirs(os.path.join(ROOT, "csv"), exist_ok=True)
    with open(os.path.join(ROOT, "csv", "train.csv"), "w") as f:
        f.write("id,path,label\r\n")
        for n, (path, label) in enumerate(order["train"]):
            rel = os.path.relpath(path, os.path.join(ROOT, "csv"))
            f.write(f'{n},"{rel}",{sorted(CLASSES)[label]}\r\n')
    with open(os.path.join(ROOT, "csv", "test.csv"), "w") as f:
        f.write("path,label\n")
        for path, label in order["test"]:
            f.write(f"{os.path.relpath(path, os.path.join(ROOT, 'csv'))},{sorted(CLASSES)[label]}\n\n")
    expected = {"classNames": sorted(CLASSES), "cases": []}
    for channels, height, width, mode in [(1, 8, 8, "stretch"), (3, 6, 10, "stretch"), (3, 8, 8, "centerCrop"),
                                          (1, 7, 5, "centerCrop")]:
        case = {"shape": [channels, height, width], "resize": mode}
        for split in order:
            case[split] = {
                "files": [os.path.relpath(p, ROOT) for p, _ in order[split]],
                "labels": [l for _, l in order[split]],
                "pixels": [fit(Image.open(p), channels, height, width, mode) for p, _ in order[split]],
            }
        expected["cases"].append(case)
    with open(os.path.join(ROOT, "expected.json"), "w") as f:
        json.dump(expected, f)
    resize = []
    r = random.Random(3)
    for _ in range(24):
        w, h = r.randint(1, 40), r.randint(1, 40)
        nw, nh = r.randint(1, 40), r.randint(1, 40)
        channels = r.choice([1, 3])
        image = random_image(rng, "L" if channels == 1 else "RGB", (w, h))
        box = image.resize((nw, nh), Image.BOX)
        out = fit(image, channels, nh, nw, "stretch")
        resize.append({"width": w, "height": h, "channels": channels, "pixels": [int(v) for v in np.array(image).ravel()],
                       "newWidth": nw, "newHeight": nh, "box": [int(v) for v in np.array(box).ravel()],
                       "scaledPlanes": out})
    with open(os.path.join(ROOT, "resize.json"), "w") as f:
        json.dump(resize, f)


if __name__ == "__main__":
    main()
