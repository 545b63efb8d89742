#!/usr/bin/env python3
"""Writes the PyTorch oracle of Weft's engine: random architectures, PyTorch weights and float64 results.

    ~/peer-venv/bin/python Tests/Fixtures/make_oracle.py [--cases 120] [--seed 2026]

For each case it draws an architecture from the whole layer grammar of a Weft config (conv2d with
kernels 1/3/5, strides 1/2, paddings 0-2, with and without bias; batch-norm over images and over
features with random momentum and epsilon; ReLU, leaky ReLU, sigmoid, tanh; max and average
pooling of several windows, strides and paddings, the fusable 2x2 among them; global average
pooling; dropout; flatten; dense with and without bias; residual blocks with an identity
shortcut, a forced projection and a strided projection), builds it in PyTorch with PyTorch's
default initialisation, random batch-norm statistics and affine weights (some gammas negative),
and runs it on a batch of real Fashion-MNIST training images, cropped to the case's input size
(so the batches hold the images' exactly constant backgrounds: tied windows). In float64 it
records:
  - the logits in evaluation mode (running statistics) and in training mode (batch statistics);
  - one SGD step (learning rate 0.1, no momentum) on the mean cross-entropy: the update of every
    parameter and the value of every buffer after the step;
and the same in float32 PyTorch, whose error against float64 sets each tensor's tolerance in
`swift test` (max(2e-3, 10 x float32 PyTorch's error), `TorchOracleTests`). An update that is 0 in
exact arithmetic (a bias right before batch-norm: the normalisation removes it) is listed in
`zeroUpdates` instead: both engines return rounding noise there, so the test asks only that the
parameter stays put (its update under 1e-5 of its norm).

Near-ties are redrawn. A window of a max pooling whose two largest values differ by less than
float32's error there (measured: 8 x the float32 errors of the two values), or a ReLU input that
close to 0, has no float32 answer: any float32 engine may send that gradient either way,
PyTorch's own float32 included (an equivalent model with its channels in another order does), and
the update then differs by percents. Such a draw is replaced by another (new weights and
images); each case records how many draws it took. Exact ties (identical windows of a constant
background, gap 0) are kept: they have one answer, the first maximum, which Weft must give.

Dropout is drawn with a random rate, which evaluation ignores; the training step runs the same
model with rate 0 (`trainingLayers`), since the masks come from each engine's own generator.

Writes Tests/Fixtures/Oracle/cases.json (architectures, inputs' sizes, labels, float32 errors),
NNN-weights.safetensors (the PyTorch state_dict, loaded by Weft through `TorchImport`, the path
`weft import` takes) and NNN-expected.safetensors (pixels, logits, updates, buffers; float32).
Needs torch, numpy, safetensors and the Fashion-MNIST IDX files in FASHION_MNIST_DIR (default
/usr/share/datasets/fashion-mnist).
"""
import argparse
import copy
import gzip
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_torch_interop import torch_layers, window  # noqa: E402  (the one PyTorch twin of a Weft config)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "Oracle")
MEAN, STD = 0.2860, 0.3530
LEARNING_RATE = 0.1
NEAR_TIE_FACTOR = 8.0


# ------------------------------------------------------------------ architectures
class Grammar:
    """Random layer stacks, walking the per-image shape as Weft's ModelBuilder does."""

    def __init__(self, rng):
        self.rng = rng

    def pick(self, options, weights=None):
        index = self.rng.choice(len(options), p=None if weights is None else np.array(weights) / np.sum(weights))
        return options[index]

    def activation(self):
        kind = self.pick(["relu", "leakyRelu", "sigmoid", "tanh", None], [4, 2, 1.5, 1.5, 1])
        if kind == "leakyRelu":
            return {"type": "leakyRelu", "slope": float(self.pick([0.01, 0.1, 0.3]))}
        return None if kind is None else {"type": kind}

    def batch_norm(self):
        spec = {"type": "batchNorm"}
        if self.rng.random() < 0.4:
            spec["momentum"] = float(self.pick([0.05, 0.3, 1.0]))
        if self.rng.random() < 0.3:
            spec["epsilon"] = float(self.pick([1e-3, 1e-4]))
        return spec

    def pool(self, shape):
        options = [("maxPool", 2, 2, 0), ("maxPool", 3, 2, 1), ("maxPool", 2, 1, 0), ("maxPool", 3, 3, 0),
                   ("maxPool", 3, 1, 1), ("avgPool", 2, 2, 0), ("avgPool", 3, 2, 1), ("avgPool", 3, 1, 0)]
        kind, size, stride, padding = self.pick(options, [5, 1.5, 1, 1, 0.5, 2, 1, 0.5])
        if min(shape[1], shape[2]) + 2 * padding < size:
            return None
        spec = {"type": kind, "size": size}
        if stride != size:
            spec["stride"] = stride
        if padding:
            spec["padding"] = padding
        return spec

    def conv(self, shape, filters=None, kernel=None, stride=None, padding=None):
        for _ in range(20):
            k = kernel or int(self.pick([1, 3, 5], [1, 4, 1.5]))
            s = stride or int(self.pick([1, 2], [3, 1]))
            p = padding if padding is not None else int(self.pick([0, 1, 2], [1.5, 3, 1]))
            if min(shape[1], shape[2]) + 2 * p >= k:
                break
        else:
            return None
        spec = {"type": "conv2d", "filters": filters or int(self.pick([4, 6, 8, 12, 16])), "kernel": k}
        if s != 1 or self.rng.random() < 0.2:
            spec["stride"] = s
        if p != 0 or self.rng.random() < 0.2:
            spec["padding"] = p
        if self.rng.random() < 0.4:
            spec["bias"] = False
        return spec

    def residual(self, shape):
        channels = shape[0]
        kind = self.pick(["identity", "forced", "strided", "widened", "preact"], [3, 1, 2, 1.5, 1])
        if kind == "strided" and (shape[1] % 2 or shape[2] % 2 or shape[1] != shape[2] or shape[1] < 4):
            kind = "identity"
        wide = max(channels, 8)
        if kind == "identity" or kind == "forced":
            body = [self.conv(shape, filters=channels, kernel=3, stride=1, padding=1), self.batch_norm(),
                    {"type": "relu"}, self.conv(shape, filters=channels, kernel=3, stride=1, padding=1)]
            spec = {"type": "residual", "layers": body}
            if kind == "forced":
                spec["projection"] = True
            elif self.rng.random() < 0.5:
                spec["projection"] = False
            return spec
        if kind == "strided":
            body = [self.conv(shape, filters=wide, kernel=3, stride=2, padding=1), self.batch_norm(), {"type": "relu"},
                    {"type": "conv2d", "filters": wide, "kernel": 3, "padding": 1}]
            spec = {"type": "residual", "layers": body}
            if self.rng.random() < 0.5:
                spec["projection"] = True
            return spec
        if kind == "widened":
            return {"type": "residual", "layers": [{"type": "conv2d", "filters": wide + 4, "kernel": 1, "bias": False},
                                                   self.batch_norm(), self.activation() or {"type": "tanh"}]}
        return {"type": "residual", "layers": [self.batch_norm(), {"type": "relu"},
                                               self.conv(shape, filters=channels, kernel=3, stride=1, padding=1)]}

    def architecture(self, height, width):
        shape = [1, height, width]
        layers = []

        def add(spec):
            nonlocal shape
            if spec is None:
                return
            _, shape = torch_layers([spec], shape)
            layers.append(spec)

        stages = int(self.pick([1, 2, 3], [2, 4, 2]))
        for stage in range(stages):
            if stage > 0 and self.rng.random() < 0.3 and len(shape) == 3:
                add(self.residual(shape))
            else:
                # A first stage is often Weft's fused conv -> batch-norm -> ReLU -> 2x2 max pooling, and
                # 3x3 convolutions over 8+ channels run through Winograd.
                add(self.conv(shape))
                if self.rng.random() < 0.3 and min(shape[1], shape[2]) >= 2:
                    # Weft's fused conv (-> batch-norm) -> ReLU -> 2x2 max pooling, or batch-norm -> ReLU -> pooling.
                    if self.rng.random() < 0.7:
                        add(self.batch_norm())
                    add({"type": "relu"})
                    add({"type": "maxPool", "size": 2})
                    continue
                if self.rng.random() < 0.55:
                    add(self.batch_norm())
                add(self.activation())
            if self.rng.random() < 0.15:
                add({"type": "dropout", "rate": float(self.pick([0.1, 0.25, 0.5]))})
            if self.rng.random() < 0.7 and min(shape[1], shape[2]) >= 2:
                add(self.pool(shape))
            if min(shape[1], shape[2]) < 3:
                break
        head = self.pick(["flat", "global", "global-bn"], [5, 2, 1])
        if head == "flat" and shape[0] * shape[1] * shape[2] > 900:
            head = "global"
        if head == "flat":
            add({"type": "flatten"})
            for _ in range(int(self.pick([0, 1, 2], [2, 3, 1]))):
                dense = {"type": "dense", "units": int(self.pick([8, 12, 16, 24]))}
                if self.rng.random() < 0.3:
                    dense["bias"] = False
                add(dense)
                order = self.pick(["act-bn", "bn-act", "act", "bn"], [2, 2, 2, 1])
                for part in order.split("-"):
                    add(self.activation() if part == "act" else self.batch_norm())
                if self.rng.random() < 0.2:
                    add({"type": "dropout", "rate": float(self.pick([0.1, 0.5]))})
        else:
            add({"type": "globalAvgPool"})
            if head == "global-bn":
                add(self.batch_norm())
            add({"type": "flatten"})
        dense = {"type": "dense", "units": 10}
        if self.rng.random() < 0.2:
            dense["bias"] = False
        add(dense)
        return layers


def single_value_batch_norm(layers, shape):
    """Whether a batch-norm layer (at any depth) sees one value per channel per image."""
    for spec in layers:
        if spec["type"] == "batchNorm" and all(extent == 1 for extent in shape[1:]):
            return True
        if spec["type"] == "residual" and single_value_batch_norm(spec["layers"], shape):
            return True
        _, shape = torch_layers([spec], shape)
    return False


def without_dropout(layers):
    """The same layers with every dropout rate 0 (the training step's model)."""
    result = []
    for spec in layers:
        spec = copy.deepcopy(spec)
        if spec["type"] == "dropout":
            spec["rate"] = 0.0
        if spec["type"] == "residual":
            spec["layers"] = without_dropout(spec["layers"])
        result.append(spec)
    return result


def is_pool2(spec):
    """Whether a layer is the 2x2 max pooling with stride 2 and no padding that Weft fuses."""
    return spec["type"] == "maxPool" and spec["size"] == 2 and spec.get("stride", 2) == 2 and spec.get("padding", 0) == 0


def features(layers, shape, first=True):
    """What a case exercises, for the coverage summary (and a reader of cases.json)."""
    found = set()
    for index, spec in enumerate(layers):
        kind = spec["type"]
        found.add(kind)
        following = [s["type"] for s in layers[index + 1:index + 4]]
        if kind == "conv2d":
            k, s, p = spec["kernel"], spec.get("stride", 1), spec.get("padding", 0)
            found.add(f"kernel{k}")
            found.add(f"stride{s}")
            found.add(f"padding{p}")
            found.add("bias" if spec.get("bias", True) else "no-bias")
            if k == 3 and s == 1 and shape[0] >= 8 and spec["filters"] >= 8:
                found.add("winograd")
            after = layers[index + 1:index + 4]
            if after and after[0]["type"] == "batchNorm":
                after = after[1:]
            if first and index == 0 and len(after) >= 2 and after[0]["type"] == "relu" and is_pool2(after[1]):
                found.add("first-stage")
        if kind == "batchNorm":
            found.add("batchNorm2d" if len(shape) == 3 else "batchNorm1d")
            if following[:1] == ["relu"] and index + 2 < len(layers) and is_pool2(layers[index + 2]):
                found.add("batchNorm+relu+maxPool")
            elif following[:1] == ["relu"]:
                found.add("batchNorm+relu")
        if kind in ("maxPool", "avgPool"):
            window_kind = (spec["size"], spec.get("stride", spec["size"]), spec.get("padding", 0))
            found.add(f"{kind}{'x'.join(map(str, window_kind))}")
        if kind == "residual":
            body_features = features(spec["layers"], shape, first=False)
            found |= body_features
            _, out = torch_layers(spec["layers"], shape)
            found.add("residual-projection" if spec.get("projection") is True or out != shape else "residual-identity")
        _, shape = torch_layers([spec], shape)
    return found


# ------------------------------------------------------------------ data
def read_idx(path):
    with gzip.open(path, "rb") as handle:
        data = handle.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def normalised(pixels):
    """Weft's normalisation (`Normalization.table`), in float32 as Weft computes it."""
    return (pixels.astype(np.float32) / np.float32(255) - np.float32(MEAN)) / np.float32(STD)


# ------------------------------------------------------------------ PyTorch runs
def randomize(model, generator):
    """Random batch-norm statistics and affine weights (a few gammas negative: Weft's min pooling)."""
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if name.endswith("num_batches_tracked"):
                tensor.fill_(int(torch.randint(0, 500, (1,), generator=generator)))
            elif name.endswith("running_var"):
                tensor.copy_(torch.rand(tensor.shape, generator=generator) * 1.5 + 0.25)
            elif name.endswith("running_mean"):
                tensor.copy_(torch.randn(tensor.shape, generator=generator) * 0.3)
            elif name.endswith("weight") and tensor.dim() == 1:
                sign = torch.where(torch.rand(tensor.shape, generator=generator) < 0.15, -1.0, 1.0)
                tensor.copy_(sign * (torch.rand(tensor.shape, generator=generator) + 0.5))
            elif name.endswith("bias") and tensor.dim() == 1:
                tensor.copy_(torch.randn(tensor.shape, generator=generator) * 0.1)


def run(model, images, labels, dtype):
    """Evaluation logits, training logits, the SGD step's updates and buffers, and what the
    decisive ops (max pooling, ReLU kinks) saw in training."""
    model = copy.deepcopy(model).to(dtype)
    x = torch.tensor(images).to(dtype)
    model.eval()
    with torch.no_grad():
        eval_logits = model(x)
    seen = {}
    hooks = []
    for name, module in model.named_modules():
        if isinstance(module, (nn.MaxPool2d, nn.ReLU, nn.LeakyReLU)):
            hooks.append(module.register_forward_hook(
                lambda m, inputs, output, name=name: seen.__setitem__(name, (m, inputs[0].detach().double()))))
    model.train()
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    logits = model(x)
    for hook in hooks:
        hook.remove()
    F.cross_entropy(logits, torch.tensor(labels)).backward()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter -= LEARNING_RATE * parameter.grad
    after = model.state_dict()
    results = {"eval.logits": eval_logits.detach().double(), "train.logits": logits.detach().double()}
    parameters = {name for name, _ in model.named_parameters()}
    for name, value in after.items():
        if name.endswith("num_batches_tracked"):
            continue
        if name in parameters:
            results[f"update.{name}"] = (value.double() - before[name].double())
        else:
            results[f"after.{name}"] = value.double()
    return results, seen


def near_ties(exact, approximate):
    """The decisive values of a float64 run that float32's error (measured against the float32 run)
    could turn the other way: max-pooling windows with 0 < gap <= 8 x (error of the two values),
    and ReLU inputs with 0 < |x| <= 8 x their error."""
    found = []
    for name, (module, x) in exact.items():
        error = (approximate[name][1] - x).abs()
        if isinstance(module, nn.MaxPool2d):
            k, s, p = module.kernel_size, module.stride, module.padding
            padded = F.pad(x, (p, p, p, p), value=-float("inf"))
            padded_error = F.pad(error, (p, p, p, p), value=0.0)
            n, c = x.shape[:2]
            values = F.unfold(padded.reshape(n * c, 1, *padded.shape[2:]), k, stride=s)  # [NC, k*k, windows]
            errors = F.unfold(padded_error.reshape(n * c, 1, *padded.shape[2:]), k, stride=s)
            order = values.argsort(dim=1, descending=True)
            top = values.gather(1, order[:, :1])
            top_error = errors.gather(1, order[:, :1])
            gap = top - values
            margin = NEAR_TIE_FACTOR * (top_error + errors)
            close = (gap > 0) & (gap <= margin)
            if bool(close.any()):
                found.append(f"{name}: {int(close.sum())} max-pooling windows within float32 error of a tie")
        else:
            close = (x.abs() > 0) & (x.abs() <= NEAR_TIE_FACTOR * error)
            if bool(close.any()):
                found.append(f"{name}: {int(close.sum())} ReLU inputs within float32 error of 0")
    return found


def relative_error(value, reference, base=None):
    """||value - reference|| / ||reference|| (updates: at least 1e-6 ||weights||, as check.sh)."""
    scale = max(float(reference.norm()), 1e-12 if base is None else 1e-6 * float(base.norm()), 1e-12)
    return float((value - reference).norm()) / scale


# ------------------------------------------------------------------ one case
def draw_case(index, grammar, rng, train_images, train_labels):
    """A case without near-ties: up to 12 draws of weights and images for an architecture, then
    another architecture (some, such as a stride-1 max pooling over a sigmoid, tie too often)."""
    for architecture in range(1, 20):
        height, width = (int(v) for v in grammar.pick([(28, 28), (24, 24), (19, 19), (16, 16), (13, 13), (20, 15), (15, 22)],
                                                      [3, 2, 2, 2, 1, 1, 1]))
        layers = grammar.architecture(height, width)
        training_layers = without_dropout(layers)
        # A batch of two through a batch-norm that sees one value per channel (after a dense layer, or
        # on 1x1 planes) normalises every channel to exactly -1 and +1: its input gradient is 0 up to
        # eps/variance, so the step is rounding noise in either engine (ill-conditioned, as batch-norm
        # over nearly constant channels). Such models get larger batches.
        batches = [5, 8, 8, 12, 16] if single_value_batch_norm(layers, [1, height, width]) else [2, 5, 8, 8, 12, 16]
        batch = int(grammar.pick(batches))
        for attempt in range(1, 13):
            torch.manual_seed(int(rng.integers(1 << 62)))
            modules, out = torch_layers(layers, [1, height, width])
            assert out == [10], out
            model = nn.Sequential(*modules)
            randomize(model, torch.Generator().manual_seed(int(rng.integers(1 << 62))))
            picked = rng.choice(len(train_labels), size=batch, replace=False)
            top = int(rng.integers(0, 28 - height + 1))
            left = int(rng.integers(0, 28 - width + 1))
            pixels = train_images[picked, top:top + height, left:left + width].reshape(batch, 1, height, width)
            labels = train_labels[picked].astype(np.int64)
            images = normalised(pixels)
            trainable = nn.Sequential(*torch_layers(training_layers, [1, height, width])[0])
            trainable.load_state_dict(model.state_dict())
            exact, exact_seen = run(trainable, images, labels, torch.float64)
            approximate, approximate_seen = run(trainable, images, labels, torch.float32)
            ties = near_ties(exact_seen, approximate_seen)
            if not ties:
                break
            print(f"  case {index}: architecture {architecture}, draw {attempt} redrawn ({'; '.join(ties)})")
        else:
            continue
        break
    else:
        raise RuntimeError(f"case {index}: no draw without near-ties")
    # Evaluation with the real dropout rates (evaluation ignores them; the model is the same).
    exact["eval.logits"] = run(model, images, labels, torch.float64)[0]["eval.logits"]
    approximate["eval.logits"] = run(model, images, labels, torch.float32)[0]["eval.logits"]
    state = model.state_dict()
    float32_errors = {}
    zero_updates = []
    for key, reference in exact.items():
        base = state[key[len("update."):]].double() if key.startswith("update.") else None
        if base is not None and float(reference.norm()) <= 1e-9 * float(base.norm()):
            zero_updates.append(key)  # a bias right before batch-norm: 0 in exact arithmetic, rounding noise in both engines
            continue
        float32_errors[key] = relative_error(approximate[key], reference, base)
    record = {
        "name": f"oracle-{index:03d}",
        "input": [1, height, width],
        "batch": batch,
        "labels": labels.tolist(),
        "layers": layers,
        "trainingLayers": training_layers,
        "architectureDraws": architecture,
        "draws": attempt,
        "float32Error": float32_errors,
        "zeroUpdates": zero_updates,
        "features": sorted(features(layers, [1, height, width])),
    }
    weights = {k: v.contiguous() for k, v in state.items()}
    expected = {"pixels": torch.tensor(pixels.astype(np.float32))}
    expected.update({k: v.float().contiguous() for k, v in exact.items()})
    return record, weights, expected


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=120)
    parser.add_argument("--seed", type=int, default=2026)
    arguments = parser.parse_args()
    root = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
    train_images = read_idx(os.path.join(root, "train-images-idx3-ubyte.gz"))
    train_labels = read_idx(os.path.join(root, "train-labels-idx1-ubyte.gz"))
    rng = np.random.default_rng(arguments.seed)
    grammar = Grammar(rng)
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        if name.endswith(".safetensors"):
            os.remove(os.path.join(OUT, name))
    records = []
    coverage = {}
    for index in range(arguments.cases):
        record, weights, expected = draw_case(index, grammar, rng, train_images, train_labels)
        save_file(weights, os.path.join(OUT, f"{index:03d}-weights.safetensors"))
        save_file(expected, os.path.join(OUT, f"{index:03d}-expected.safetensors"))
        records.append(record)
        for feature in record["features"]:
            coverage[feature] = coverage.get(feature, 0) + 1
        worst = max(record["float32Error"].values())
        print(f"{record['name']}: {len(record['layers'])} layers, input {record['input']}, batch {record['batch']}, "
              f"float32 worst {worst:.1e}, {record['draws']} draw(s)")
    manifest = {
        "generator": "Tests/Fixtures/make_oracle.py",
        "torch": torch.__version__,
        "seed": arguments.seed,
        "learningRate": LEARNING_RATE,
        "normalization": {"mean": MEAN, "std": STD},
        "coverage": dict(sorted(coverage.items())),
        "cases": records,
    }
    with open(os.path.join(OUT, "cases.json"), "w") as handle:
        json.dump(manifest, handle, indent=1)
        handle.write("\n")
    print("coverage:", json.dumps(manifest["coverage"]))


if __name__ == "__main__":
    main()
