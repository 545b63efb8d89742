#!/usr/bin/env python3
"""Writes the PyTorch interop fixtures of Weft's export and import (run offline, with PyTorch).

    ~/peer-venv/bin/python Tests/Fixtures/make_torch_interop.py [--weft .build/debug/weft]

1. For every config in Configs/, builds the equivalent PyTorch model (`torch_model` below: the
   reference for the names Weft's safetensors export uses) and records its state_dict keys,
   shapes and dtypes in Tests/Fixtures/Torch/state_dicts.json. `swift test` checks that Weft's
   export has exactly these (what `load_state_dict(strict=True)` checks).
2. With --weft, round-trips each model through Weft: random weights and batch-norm statistics
   saved by PyTorch, `weft import`, `weft export --format safetensors|npz|onnx`, then
   `load_state_dict(load_file(export), strict=True)` into a fresh PyTorch model, a bit-for-bit
   comparison, and ONNX Runtime's logits against PyTorch's. The results go to
   Tests/Fixtures/Torch/interop_report.json.
3. Trains two small models one epoch on Fashion-MNIST (the peer's `mlp`, Configs/mlp.json, and
   Configs/quick.json with its batch-norm), normalised with mean 0.2860 and std 0.3530 as
   ../shared/peer/torch_bench.py does, and saves their state_dicts as safetensors with their
   test accuracy and every test prediction (Tests/Fixtures/Torch/trained.json). `swift test`
   imports them and checks that Weft's predictions and accuracy are PyTorch's.

Needs torch, safetensors, numpy (and onnx, onnxruntime for --weft); the Fashion-MNIST IDX files
in FASHION_MNIST_DIR (default /usr/share/datasets/fashion-mnist).
"""
import argparse
import gzip
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "Torch")
MEAN, STD = 0.2860, 0.3530


# ------------------------------------------------------------------ the equivalent PyTorch model
class Residual(nn.Module):
    """Weft's residual block: body(x) + shortcut(x), the shortcut a 1x1 strided projection or x."""

    def __init__(self, body, projection):
        super().__init__()
        self.body = body
        self.projection = projection

    def forward(self, x):
        return self.body(x) + (x if self.projection is None else self.projection(x))


def window(extent, size, stride, padding):
    return (extent + 2 * padding - size) // stride + 1


def torch_layers(layers, shape):
    """The PyTorch modules of Weft layer specs, walking the per-image shape [C, H, W] or [F]."""
    modules = []
    for spec in layers:
        kind = spec["type"]
        if kind == "conv2d":
            k, s, p = spec["kernel"], spec.get("stride", 1), spec.get("padding", 0)
            modules.append(nn.Conv2d(shape[0], spec["filters"], k, stride=s, padding=p, bias=spec.get("bias", True)))
            shape = [spec["filters"], window(shape[1], k, s, p), window(shape[2], k, s, p)]
        elif kind == "dense":
            modules.append(nn.Linear(shape[0], spec["units"], bias=spec.get("bias", True)))
            shape = [spec["units"]]
        elif kind == "batchNorm":
            norm = nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d
            modules.append(norm(shape[0], eps=spec.get("epsilon", 1e-5), momentum=spec.get("momentum", 0.1)))
        elif kind in ("maxPool", "avgPool"):
            size = spec["size"]
            s, p = spec.get("stride", size), spec.get("padding", 0)
            pool = nn.MaxPool2d(size, s, p) if kind == "maxPool" else nn.AvgPool2d(size, s, p, count_include_pad=True)
            modules.append(pool)
            shape = [shape[0], window(shape[1], size, s, p), window(shape[2], size, s, p)]
        elif kind == "globalAvgPool":
            modules.append(nn.AdaptiveAvgPool2d(1))
            shape = [shape[0], 1, 1]
        elif kind == "relu":
            modules.append(nn.ReLU())
        elif kind == "leakyRelu":
            modules.append(nn.LeakyReLU(spec.get("slope", 0.01)))
        elif kind == "sigmoid":
            modules.append(nn.Sigmoid())
        elif kind == "tanh":
            modules.append(nn.Tanh())
        elif kind == "dropout":
            modules.append(nn.Dropout(spec["rate"]))
        elif kind == "flatten":
            modules.append(nn.Flatten())
            shape = [int(np.prod(shape))]
        elif kind == "residual":
            body, out = torch_layers(spec["layers"], shape)
            projection = None
            if spec.get("projection") is True or out != shape:
                projection = nn.Conv2d(shape[0], out[0], 1, stride=shape[1] // out[1])
            modules.append(Residual(nn.Sequential(*body), projection))
            shape = out
        else:
            raise ValueError(f"unknown layer type {kind}")
    return modules, shape


def torch_model(config):
    """The nn.Sequential equivalent to a Weft config's model."""
    modules, _ = torch_layers(config["model"]["layers"], list(config["model"]["input"]))
    return nn.Sequential(*modules)


def randomize(model, generator):
    """Random weights and batch-norm statistics, so that every tensor is exercised."""
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if name.endswith("num_batches_tracked"):
                tensor.fill_(int(torch.randint(1, 5000, (1,), generator=generator)))
            elif name.endswith("running_var"):
                tensor.copy_(torch.rand(tensor.shape, generator=generator) * 1.5 + 0.25)
            elif name.endswith("running_mean"):
                tensor.copy_(torch.randn(tensor.shape, generator=generator) * 0.3)
            elif name.endswith("weight") and tensor.dim() == 1:
                tensor.copy_(torch.rand(tensor.shape, generator=generator) + 0.5)
            elif name.endswith("bias") and tensor.dim() == 1:
                tensor.copy_(torch.randn(tensor.shape, generator=generator) * 0.1)


def dtype_name(tensor):
    return {torch.float32: "F32", torch.int64: "I64"}[tensor.dtype]


def configs():
    folder = os.path.join(ROOT, "Configs")
    for name in sorted(os.listdir(folder)):
        if name.endswith(".json"):
            with open(os.path.join(folder, name)) as f:
                yield name, json.load(f)


# ------------------------------------------------------------------ 1. state_dict names
def write_state_dicts():
    result = {}
    for file, config in configs():
        model = torch_model(config)
        result[file] = [{"name": k, "shape": list(v.shape), "dtype": dtype_name(v)} for k, v in model.state_dict().items()]
    path = os.path.join(OUT, "state_dicts.json")
    with open(path, "w") as f:
        json.dump({"torch": torch.__version__, "configs": result}, f, indent=1)
        f.write("\n")
    print(f"wrote {path}: {len(result)} configs", file=sys.stderr)


# ------------------------------------------------------------------ 2. round trip through weft
def run(arguments):
    done = subprocess.run(arguments, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(arguments)} failed: {done.stderr.strip()}")
    return done.stdout


def round_trip(weft):
    import onnx
    import onnxruntime

    report = {"torch": torch.__version__, "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__, "configs": {}}
    generator = torch.Generator().manual_seed(7)
    with tempfile.TemporaryDirectory() as folder:
        for file, config in configs():
            entry = {}
            model = torch_model(config)
            randomize(model, generator)
            model.eval()
            original = {k: v.clone() for k, v in model.state_dict().items()}
            weights = os.path.join(folder, "torch.safetensors")
            save_file(original, weights)
            checkpoint = os.path.join(folder, "imported.safetensors")
            run([weft, "import", os.path.join(ROOT, "Configs", file), weights, "--mean", str(MEAN), "--std", str(STD),
                 "--output", checkpoint])
            exported = {}
            for format in ("safetensors", "npz", "onnx"):
                exported[format] = os.path.join(folder, "export." + format)
                run([weft, "export", checkpoint, "--format", format, "--output", exported[format]])

            fresh = torch_model(config)
            try:
                fresh.load_state_dict(load_file(exported["safetensors"]), strict=True)
                entry["load_state_dict_strict"] = "ok"
            except Exception as error:  # report, do not stop
                entry["load_state_dict_strict"] = f"failed: {error}"
            entry["tensors_bit_identical"] = all(torch.equal(fresh.state_dict()[k], v) for k, v in original.items())
            arrays = np.load(exported["npz"])
            entry["npz_keys_match"] = sorted(arrays.files) == sorted(original)
            entry["npz_values_identical"] = all(np.array_equal(arrays[k], v.numpy()) for k, v in original.items())

            onnx_model = onnx.load(exported["onnx"])
            onnx.checker.check_model(onnx_model, full_check=True)
            entry["onnx_check_model_full"] = "ok"
            session = onnxruntime.InferenceSession(exported["onnx"], providers=["CPUExecutionProvider"])
            pixels = torch.rand((64, *config["model"]["input"]), generator=generator)
            with torch.no_grad():
                expected = model((pixels - MEAN) / STD)
            logits, probabilities = session.run(["logits", "probabilities"], {"images": pixels.numpy()})
            entry["onnx_vs_torch_max_abs_logit_difference"] = float(np.abs(logits - expected.numpy()).max())
            entry["onnx_vs_torch_same_classes"] = bool((logits.argmax(1) == expected.numpy().argmax(1)).all())
            entry["onnx_probabilities_max_abs_difference"] = float(np.abs(probabilities - torch.softmax(expected, 1).numpy()).max())
            report["configs"][file] = entry
            print(f"{file}: {entry}", file=sys.stderr)
    path = os.path.join(OUT, "interop_report.json")
    with open(path, "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")
    print(f"wrote {path}", file=sys.stderr)


# ------------------------------------------------------------------ 3. trained models
def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    dims = struct.unpack(">" + "I" * (magic & 0xFF), data[4:4 + 4 * (magic & 0xFF)])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * len(dims)).reshape(dims)


def load_split(root, images, labels):
    """Pixels /255, then (x - 0.2860) / 0.3530 in float32, as torch_bench.py prepares them."""
    x = read_idx(os.path.join(root, images)).astype(np.float32) / 255.0
    x = (x - MEAN) / STD
    y = read_idx(os.path.join(root, labels)).astype(np.int64)
    return torch.from_numpy(np.ascontiguousarray(x[:, None, :, :])), torch.from_numpy(y)


def train_models():
    root = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
    xtr, ytr = load_split(root, "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")
    xte, yte = load_split(root, "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
    fixture = {"torch": torch.__version__, "normalization": {"mean": MEAN, "std": STD}, "models": {}}
    for name in ("mlp", "quick"):
        torch.manual_seed(0)
        with open(os.path.join(ROOT, "Configs", name + ".json")) as f:
            model = torch_model(json.load(f))
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        generator = torch.Generator().manual_seed(0)
        model.train()
        order = torch.randperm(xtr.shape[0], generator=generator)
        for start in range(0, xtr.shape[0], 128):
            batch = order[start:start + 128]
            optimizer.zero_grad()
            F.cross_entropy(model(xtr[batch]), ytr[batch]).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            logits = torch.cat([model(xte[i:i + 1000]) for i in range(0, xte.shape[0], 1000)])
        predictions = logits.argmax(1)
        ordered = torch.sort(logits, 1, descending=True).values
        weights = f"{name}-trained.safetensors"
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(OUT, weights))
        fixture["models"][name] = {
            "config": f"Configs/{name}.json", "weights": weights, "epochs": 1, "optimizer": "Adam(lr=0.001)", "batchSize": 128,
            "testAccuracy": float((predictions == yte).double().mean()), "testImages": int(yte.shape[0]),
            "testLoss": float(F.cross_entropy(logits, yte)),
            "smallestTopTwoMargin": float((ordered[:, 0] - ordered[:, 1]).min()),
            "predictions": "".join(str(int(p)) for p in predictions),
        }
        print(f"{name}: test accuracy {fixture['models'][name]['testAccuracy']:.4f}", file=sys.stderr)
    path = os.path.join(OUT, "trained.json")
    with open(path, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print(f"wrote {path}", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weft", help="the weft executable: also round-trip every config through it")
    parser.add_argument("--skip-training", action="store_true", help="leave trained.json and the weights as they are")
    arguments = parser.parse_args()
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    write_state_dicts()
    if arguments.weft:
        round_trip(os.path.abspath(arguments.weft))
    if not arguments.skip_training:
        train_models()


if __name__ == "__main__":
    main()
