#!/usr/bin/env python3
"""Generate PyTorch golden-value fixtures for Weft's Swift test suite.

Writes these JSON files into the `Golden/` folder next to this script:

    conv2d.json       F.conv2d forward + gradients (x, weight, bias)
    pool.json         max / average / global-average pooling forward + dx
    batchnorm.json    BatchNorm2d / BatchNorm1d (training and eval) forward,
                      gradients and running-statistics update
    linear.json       F.linear forward + gradients
    activations.json  relu, leakyRelu, sigmoid, tanh, softmax, logSoftmax
    loss.json         F.cross_entropy (mean, optional label smoothing) + dlogits
    dropout.json      one training-mode dropout sample (kept scale, dropped fraction)

Each file is {"generator": ..., "torch": <version>, "cases": [...]}; each case is
{"name", "params", "tensors": {name: {"shape": [...], "data": [flat row-major floats]}}}.
Gradients come from loss = (out * dout).sum(); loss.backward(), with the random
`dout` stored alongside (cross-entropy backpropagates its scalar loss directly).

Run from the repository root, with PyTorch installed (CPU build is enough):

    python3 Tests/Fixtures/make_golden.py

The output is deterministic for a given torch version (torch.manual_seed(0)).
The generated JSON files are committed, so `swift test` never needs Python or
PyTorch; rerun this script only to change or extend the fixtures.
"""

import json
from pathlib import Path

import torch
import torch.nn.functional as F

GENERATOR = "Tests/Fixtures/make_golden.py"
OUT_DIR = Path(__file__).resolve().parent / "Golden"


def tensor_json(t):
    t = t.detach().to(torch.float32)
    return {
        "shape": list(t.shape),
        "data": [float(v) for v in t.double().reshape(-1).tolist()],
    }


def case(name, params, tensors):
    return {
        "name": name,
        "params": params,
        "tensors": {k: tensor_json(v) for k, v in tensors.items()},
    }


def leaf(t):
    return t.detach().clone().requires_grad_(True)


def write(filename, cases):
    names = [c["name"] for c in cases]
    assert len(names) == len(set(names)), f"duplicate case names in {filename}"
    doc = {"generator": GENERATOR, "torch": torch.__version__, "cases": cases}
    path = OUT_DIR / filename
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    return path


# ---------------------------------------------------------------------------


def conv2d_cases():
    geoms = [  # N, C, H, W, F, k, stride, padding, bias
        (2, 3, 7, 6, 4, 3, 1, 1, True),
        (1, 2, 9, 9, 3, 5, 2, 2, True),
        (3, 1, 5, 8, 2, 1, 1, 0, True),
        (2, 4, 8, 8, 5, 3, 2, 0, False),
        (1, 3, 6, 5, 2, 3, 1, 2, True),
        (2, 2, 11, 7, 3, 5, 1, 0, True),
    ]
    cases = []
    for n, c, h, w, f, k, s, p, has_bias in geoms:
        x = leaf(torch.randn(n, c, h, w))
        weight = leaf(torch.randn(f, c, k, k) * 0.5)
        bias = leaf(torch.randn(f)) if has_bias else None
        out = F.conv2d(x, weight, bias, stride=s, padding=p)
        dout = torch.randn(out.shape)
        (out * dout).sum().backward()
        tensors = {"x": x, "weight": weight}
        if has_bias:
            tensors["bias"] = bias
        tensors.update({"dout": dout, "out": out, "dx": x.grad, "dweight": weight.grad})
        if has_bias:
            tensors["dbias"] = bias.grad
        name = f"conv2d_N{n}C{c}H{h}W{w}_F{f}k{k}_s{s}p{p}" + ("" if has_bias else "_nobias")
        cases.append(case(name, {"stride": s, "padding": p, "bias": has_bias}, tensors))
    return cases


def pool_cases():
    geoms = [  # kernel, stride, padding, shape
        (2, 2, 0, (2, 3, 8, 8)),
        (3, 2, 1, (1, 2, 7, 9)),
        (2, 2, 0, (2, 2, 7, 7)),
        (3, 1, 0, (1, 1, 6, 6)),
    ]
    cases = []
    for op in ("maxPool2d", "avgPool2d"):
        for k, s, p, shape in geoms:
            x = leaf(torch.randn(*shape))
            if op == "maxPool2d":
                out = F.max_pool2d(x, k, stride=s, padding=p)
            else:
                out = F.avg_pool2d(x, k, stride=s, padding=p)  # count_include_pad=True, ceil_mode=False
            dout = torch.randn(out.shape)
            (out * dout).sum().backward()
            name = f"{op}_{'x'.join(map(str, shape))}_k{k}s{s}p{p}"
            params = {"op": op, "kernel": k, "stride": s, "padding": p}
            cases.append(case(name, params, {"x": x, "dout": dout, "out": out, "dx": x.grad}))
    for shape in ((2, 3, 5, 4), (3, 1, 1, 1)):
        x = leaf(torch.randn(*shape))
        out = F.adaptive_avg_pool2d(x, 1)
        dout = torch.randn(out.shape)
        (out * dout).sum().backward()
        name = f"globalAvgPool_{'x'.join(map(str, shape))}"
        cases.append(case(name, {"op": "globalAvgPool"}, {"x": x, "dout": dout, "out": out, "dx": x.grad}))
    return cases


def batchnorm_cases():
    momentum, eps = 0.1, 1e-5
    configs = [  # dims, training, shape
        (2, True, (4, 3, 5, 5)),
        (2, False, (2, 3, 4, 4)),
        (1, True, (8, 5)),
        (1, False, (6, 4)),
        (2, True, (1, 2, 3, 3)),
    ]
    cases = []
    for dims, training, shape in configs:
        ch = shape[1]
        x = leaf(torch.randn(*shape) * 1.5 + 0.3)
        weight = leaf(torch.randn(ch))
        bias = leaf(torch.randn(ch))
        running_mean = torch.randn(ch)
        running_var = torch.rand(ch) + 0.5
        rm_after = running_mean.clone()
        rv_after = running_var.clone()
        # F.batch_norm is what nn.BatchNorm1d / nn.BatchNorm2d call; it updates
        # rm_after / rv_after in place when training (running_var uses the
        # unbiased batch variance, the normalisation uses the biased one).
        out = F.batch_norm(x, rm_after, rv_after, weight, bias,
                           training=training, momentum=momentum, eps=eps)
        dout = torch.randn(out.shape)
        (out * dout).sum().backward()
        name = f"batchnorm{dims}d_{'train' if training else 'eval'}_{'x'.join(map(str, shape))}"
        params = {"dims": dims, "training": training, "momentum": momentum, "eps": eps}
        tensors = {
            "x": x, "weight": weight, "bias": bias,
            "runningMean": running_mean, "runningVar": running_var,
            "dout": dout, "out": out, "dx": x.grad, "dweight": weight.grad, "dbias": bias.grad,
            "runningMeanAfter": rm_after, "runningVarAfter": rv_after,
        }
        cases.append(case(name, params, tensors))
    return cases


def linear_cases():
    cases = []
    for n, fin, fout in ((4, 7, 3), (1, 5, 6), (9, 16, 10)):
        x = leaf(torch.randn(n, fin))
        weight = leaf(torch.randn(fout, fin) * 0.5)
        bias = leaf(torch.randn(fout))
        out = F.linear(x, weight, bias)
        dout = torch.randn(out.shape)
        (out * dout).sum().backward()
        cases.append(case(f"linear_N{n}_in{fin}_out{fout}", {}, {
            "x": x, "weight": weight, "bias": bias, "dout": dout, "out": out,
            "dx": x.grad, "dweight": weight.grad, "dbias": bias.grad,
        }))
    return cases


def activation_cases():
    def away_from_zero(t):
        return t + torch.sign(t) * 0.05

    specs = [  # name, op, params, shape, fn, push away from 0
        ("relu_3x4x5", "relu", {}, (3, 4, 5), F.relu, True),
        ("leakyRelu_0.01_2x3x4", "leakyRelu", {"slope": 0.01}, (2, 3, 4),
         lambda t: F.leaky_relu(t, 0.01), True),
        ("leakyRelu_0.2_2x3x4", "leakyRelu", {"slope": 0.2}, (2, 3, 4),
         lambda t: F.leaky_relu(t, 0.2), True),
        ("sigmoid_2x7", "sigmoid", {}, (2, 7), torch.sigmoid, False),
        ("tanh_2x7", "tanh", {}, (2, 7), torch.tanh, False),
        ("softmax_4x6", "softmax", {}, (4, 6), lambda t: F.softmax(t, dim=1), False),
        ("logSoftmax_4x6", "logSoftmax", {}, (4, 6), lambda t: F.log_softmax(t, dim=1), False),
    ]
    cases = []
    for name, op, extra, shape, fn, push in specs:
        x0 = torch.randn(*shape) * 2.0
        if push:
            x0 = away_from_zero(x0)
        x = leaf(x0)
        out = fn(x)
        dout = torch.randn(out.shape)
        (out * dout).sum().backward()
        cases.append(case(name, {"op": op, **extra}, {"x": x, "dout": dout, "out": out, "dx": x.grad}))
    return cases


def loss_cases():
    cases = []
    for n, c, ls in ((5, 4, 0.0), (5, 4, 0.1), (16, 10, 0.0), (1, 3, 0.2)):
        logits = leaf(torch.randn(n, c) * 2.0)
        labels = torch.randint(0, c, (n,))
        loss = F.cross_entropy(logits, labels, label_smoothing=ls, reduction="mean")
        loss.backward()
        cases.append(case(f"crossEntropy_N{n}_C{c}_ls{ls}", {"labelSmoothing": ls}, {
            "logits": logits, "labels": labels.to(torch.float32),
            "loss": loss, "dlogits": logits.grad,
        }))
    return cases


def dropout_cases():
    p = 0.3
    x = torch.rand(1000) + 0.5
    out = F.dropout(x, p, training=True)
    kept = out != 0
    # PyTorch computes out = x * float32(1/(1-p)) on kept entries. The float32
    # quotient out/x is that scale up to one ulp of rounding, so take the most
    # common quotient and check it reproduces every kept output exactly.
    ratios = out[kept] / x[kept]
    scale = torch.mode(ratios).values
    assert torch.equal(out[kept], x[kept] * scale), "kept scale not constant"
    assert torch.all((ratios - scale).abs() <= 2e-7 * scale), "kept scale not constant"
    assert abs(scale.item() - 1.0 / (1.0 - p)) < 1e-6
    dropped = torch.tensor(float((~kept).sum().item()) / x.numel(), dtype=torch.float32)
    return [case("dropout_p0.3_n1000", {"p": p}, {
        "x": x, "out": out, "keptScale": scale, "droppedFraction": dropped,
    })]


def main():
    torch.manual_seed(0)
    torch.set_default_dtype(torch.float32)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    files = [
        ("conv2d.json", conv2d_cases),
        ("pool.json", pool_cases),
        ("batchnorm.json", batchnorm_cases),
        ("linear.json", linear_cases),
        ("activations.json", activation_cases),
        ("loss.json", loss_cases),
        ("dropout.json", dropout_cases),
    ]
    for filename, make in files:
        cases = make()
        path = write(filename, cases)
        print(f"{filename}: {len(cases)} cases, {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
