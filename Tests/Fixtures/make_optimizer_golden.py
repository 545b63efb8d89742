#!/usr/bin/env python3
"""Generate PyTorch golden values for Weft's optimisers and learning-rate schedules.

Writes these JSON files into the `Golden/` folder next to this script:

    optimizers.json   20-step training trajectories of a small net under
                      torch.optim.SGD / Adam / AdamW (single-tensor path,
                      foreach=False), some with torch.nn.utils.clip_grad_norm_
    optimizerOptions.json
                      20-step trajectories of the same net with param groups
                      (a learning-rate scale and weight decay for the biases),
                      with Lookahead (the paper's Algorithm 1 written out in
                      torch: slow weights from the initial ones) around SGD and
                      Adam, and with torch.optim.swa_utils.AveragedModel and
                      get_ema_multi_avg_fn (the averaged parameters after steps
                      1, 5 and 20 as `average5.layers.0.weight`, ...)
    schedules.json    learning rates of torch.optim.lr_scheduler schedulers
                      (StepLR, MultiStepLR, SequentialLR(LinearLR,
                      CosineAnnealingLR), CosineAnnealingLR, OneCycleLR),
                      stepped once per optimiser step

Same format as make_golden.py: {"generator", "torch": <version>, "cases": [...]},
each case {"name", "params", "tensors": {name: {"shape", "data"}}}. Params hold
only numbers, booleans and strings; lists (milestones, steps) are tensors.

The net is x [8, 5] -> linear 5->4 -> tanh -> linear 4->3 -> cross_entropy
against fixed labels, with parameters named as nn.Sequential names them
(`layers.0.weight`, `layers.0.bias`, `layers.2.weight`, `layers.2.bias`).
Each trajectory case stores the inputs, the initial parameters, the loss of
every step (computed before that step's update), the parameters after steps
1, 5 and 20 (`step5.layers.0.weight`, ...) and, when clipping, the gradient
norm clip_grad_norm_ returned at every step.

Run from the repository root, with PyTorch installed (CPU build is enough):

    python3 Tests/Fixtures/make_optimizer_golden.py

The output is deterministic for a given torch version (torch.manual_seed(0)).
The generated JSON files are committed, so `swift test` never needs Python.
"""

import json
from pathlib import Path

import torch
import torch.nn.functional as F

GENERATOR = "Tests/Fixtures/make_optimizer_golden.py"
OUT_DIR = Path(__file__).resolve().parent / "Golden"

STEPS = 20
SAVED_STEPS = (1, 5, 20)
NAMES = ("layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias")


def tensor_json(t):
    t = torch.as_tensor(t).detach().to(torch.float32)
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
# Optimiser trajectories


def initial_problem():
    torch.manual_seed(0)
    x = torch.randn(8, 5)
    labels = torch.randint(0, 3, (8,))
    weights = {
        "layers.0.weight": torch.randn(4, 5) * 0.5,
        "layers.0.bias": torch.randn(4) * 0.1,
        "layers.2.weight": torch.randn(3, 4) * 0.5,
        "layers.2.bias": torch.randn(3) * 0.1,
    }
    return x, labels, weights


def make_optimizer(kind, parameters, settings):
    if kind == "sgd":
        return torch.optim.SGD(
            parameters, lr=settings["learningRate"], momentum=settings.get("momentum", 0.0),
            dampening=settings.get("dampening", 0.0), nesterov=settings.get("nesterov", False),
            weight_decay=settings.get("weightDecay", 0.0), foreach=False)
    if kind == "adam":
        return torch.optim.Adam(
            parameters, lr=settings["learningRate"], betas=(settings.get("beta1", 0.9), settings.get("beta2", 0.999)),
            eps=settings.get("epsilon", 1e-8), weight_decay=settings.get("weightDecay", 0.0), foreach=False)
    if kind == "adamw":
        return torch.optim.AdamW(
            parameters, lr=settings["learningRate"], betas=(settings.get("beta1", 0.9), settings.get("beta2", 0.999)),
            eps=settings.get("epsilon", 1e-8), weight_decay=settings.get("weightDecay", 1e-2), foreach=False)
    raise ValueError(kind)


def trajectory_case(name, kind, settings):
    x, labels, weights = initial_problem()
    parameters = [weights[n].clone().requires_grad_(True) for n in NAMES]
    optimizer = make_optimizer(kind, parameters, settings)
    max_norm = settings.get("clipMaxNorm")
    losses, norms = [], []
    tensors = {"x": x, "labels": labels.to(torch.float32)}
    tensors.update({n: weights[n] for n in NAMES})
    for step in range(1, STEPS + 1):
        optimizer.zero_grad()
        w1, b1, w2, b2 = parameters
        loss = F.cross_entropy(F.linear(torch.tanh(F.linear(x, w1, b1)), w2, b2), labels)
        loss.backward()
        losses.append(loss.item())
        if max_norm is not None:
            norm = torch.nn.utils.clip_grad_norm_(parameters, max_norm)
            norms.append(norm.item())
        optimizer.step()
        if step in SAVED_STEPS:
            for n, p in zip(NAMES, parameters):
                tensors[f"step{step}.{n}"] = p.detach().clone()
    tensors["losses"] = torch.tensor(losses)
    if max_norm is not None:
        tensors["gradientNorms"] = torch.tensor(norms)
        # Make sure the threshold really clips (otherwise the case tests nothing).
        assert sum(n > max_norm for n in norms) >= STEPS // 2, f"{name}: max norm {max_norm} rarely clips: {norms}"
    params = {"optimizer": kind, "steps": STEPS}
    params.update(settings)
    return case(name, params, tensors)


def optimizer_cases():
    return [
        trajectory_case("sgd", "sgd", {"learningRate": 0.1}),
        trajectory_case("sgdMomentumDampeningWeightDecay", "sgd",
                        {"learningRate": 0.1, "momentum": 0.9, "dampening": 0.1, "weightDecay": 1e-2}),
        trajectory_case("sgdNesterovWeightDecay", "sgd",
                        {"learningRate": 0.1, "momentum": 0.9, "nesterov": True, "weightDecay": 1e-2}),
        trajectory_case("adam", "adam", {"learningRate": 1e-2}),
        trajectory_case("adamWeightDecay", "adam", {"learningRate": 1e-2, "weightDecay": 1e-2}),
        trajectory_case("adamW", "adamw", {"learningRate": 1e-2, "weightDecay": 1e-1}),
        trajectory_case("adamClipped", "adam", {"learningRate": 1e-2, "clipMaxNorm": 0.25}),
        trajectory_case("sgdMomentumClipped", "sgd", {"learningRate": 0.1, "momentum": 0.9, "clipMaxNorm": 0.25}),
    ]


# ---------------------------------------------------------------------------
# Parameter groups, Lookahead and weight averaging


def option_case(name, kind, settings, groups=None, lookahead=None, ema_decay=None):
    """A trajectory like trajectory_case's, with options:

    groups: {"learningRateScale", "weightDecay"} for the biases' param group (the
        weights keep the optimiser's settings);
    lookahead: {"steps", "alpha"}: slow weights cloned from the initial parameters,
        every `steps` optimiser steps slow.add_(fast - slow, alpha) and fast.copy_(slow);
    ema_decay: an AveragedModel(multi_avg_fn=get_ema_multi_avg_fn(decay)) of the
        parameters, updated after every step.
    """
    x, labels, weights = initial_problem()
    parameters = [weights[n].clone().requires_grad_(True) for n in NAMES]
    if groups is None:
        optimizer = make_optimizer(kind, parameters, settings)
    else:
        weight_group = {"params": [parameters[0], parameters[2]]}
        bias_group = {"params": [parameters[1], parameters[3]], "lr": settings["learningRate"] * groups["learningRateScale"],
                      "weight_decay": groups["weightDecay"]}
        optimizer = make_optimizer(kind, [weight_group, bias_group], settings)
    slow = [p.detach().clone() for p in parameters] if lookahead else None
    averaged = None
    if ema_decay is not None:
        from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
        module = torch.nn.ParameterList(parameters)
        averaged = AveragedModel(module, multi_avg_fn=get_ema_multi_avg_fn(ema_decay))
    losses = []
    tensors = {"x": x, "labels": labels.to(torch.float32)}
    tensors.update({n: weights[n] for n in NAMES})
    for step in range(1, STEPS + 1):
        optimizer.zero_grad()
        w1, b1, w2, b2 = parameters
        loss = F.cross_entropy(F.linear(torch.tanh(F.linear(x, w1, b1)), w2, b2), labels)
        loss.backward()
        losses.append(loss.item())
        optimizer.step()
        if lookahead and step % lookahead["steps"] == 0:
            with torch.no_grad():
                for fast, s in zip(parameters, slow):
                    s.add_(fast - s, alpha=lookahead["alpha"])
                    fast.copy_(s)
        if averaged is not None:
            averaged.update_parameters(module)
        if step in SAVED_STEPS:
            for n, p in zip(NAMES, parameters):
                tensors[f"step{step}.{n}"] = p.detach().clone()
            if averaged is not None:
                for n, p in zip(NAMES, averaged.module.parameters()):
                    tensors[f"average{step}.{n}"] = p.detach().clone()
    tensors["losses"] = torch.tensor(losses)
    params = {"optimizer": kind, "steps": STEPS}
    params.update(settings)
    if groups is not None:
        params.update({"biasLearningRateScale": groups["learningRateScale"], "biasWeightDecay": groups["weightDecay"]})
    if lookahead is not None:
        params.update({"lookaheadSteps": lookahead["steps"], "lookaheadAlpha": lookahead["alpha"]})
    if ema_decay is not None:
        params["emaDecay"] = ema_decay
    return case(name, params, tensors)


def option_cases():
    return [
        option_case("sgdMomentumParameterGroups", "sgd", {"learningRate": 0.1, "momentum": 0.9, "weightDecay": 1e-2},
                    groups={"learningRateScale": 3.0, "weightDecay": 0.0}),
        option_case("adamWParameterGroups", "adamw", {"learningRate": 1e-2, "weightDecay": 0.1},
                    groups={"learningRateScale": 0.5, "weightDecay": 0.0}),
        option_case("adamParameterGroupsWeightDecay", "adam", {"learningRate": 1e-2},
                    groups={"learningRateScale": 2.0, "weightDecay": 0.05}),
        option_case("adamLookahead", "adam", {"learningRate": 1e-2}, lookahead={"steps": 5, "alpha": 0.5}),
        option_case("sgdNesterovLookahead", "sgd", {"learningRate": 0.1, "momentum": 0.9, "nesterov": True},
                    lookahead={"steps": 3, "alpha": 0.8}),
        option_case("sgdMomentumEMA", "sgd", {"learningRate": 0.1, "momentum": 0.9}, ema_decay=0.9),
        option_case("adamEMADecay0.3", "adam", {"learningRate": 1e-2}, ema_decay=0.3),
    ]


# ---------------------------------------------------------------------------
# Learning-rate schedules


def scheduled_rates(base, make_scheduler, last_step):
    """The learning rate the optimiser uses at steps 0...last_step (scheduler stepped once per step)."""
    parameter = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([parameter], lr=base)
    scheduler = make_scheduler(optimizer)
    rates = []
    for step in range(last_step + 1):
        rates.append(scheduler.get_last_lr()[0])
        assert rates[-1] == optimizer.param_groups[0]["lr"]
        optimizer.step()
        if step < last_step:
            scheduler.step()
    return rates


def schedule_case(name, params, base, make_scheduler, last_step, extra=None):
    rates = scheduled_rates(base, make_scheduler, last_step)
    tensors = {
        "steps": torch.arange(last_step + 1, dtype=torch.float32),
        "learningRates": torch.tensor(rates, dtype=torch.float64),
    }
    tensors.update(extra or {})
    return case(name, {"base": base, **params}, tensors)


def sequential_warmup_cosine(total, warmup, minimum):
    """Weft's cosine schedule: LinearLR(1/(warmup+1) -> 1 over warmup steps), then CosineAnnealingLR."""
    def make(optimizer):
        cosine = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total - warmup, eta_min=minimum)
        if warmup == 0:
            return cosine
        linear = torch.optim.lr_scheduler.LinearLR(
            optimizer, start_factor=1.0 / (warmup + 1), end_factor=1.0, total_iters=warmup)
        return torch.optim.lr_scheduler.SequentialLR(optimizer, [linear, cosine], milestones=[warmup])
    return make


def schedule_cases():
    sched = torch.optim.lr_scheduler
    cases = [
        schedule_case("constant", {"type": "constant"}, 0.05,
                      lambda o: sched.LambdaLR(o, lambda step: 1.0), 12),
        schedule_case("stepSize3Gamma0.5", {"type": "step", "stepSize": 3, "gamma": 0.5}, 0.1,
                      lambda o: sched.StepLR(o, step_size=3, gamma=0.5), 40),
        schedule_case("stepSize1Gamma0.9", {"type": "step", "stepSize": 1, "gamma": 0.9}, 0.2,
                      lambda o: sched.StepLR(o, step_size=1, gamma=0.9), 30),
        schedule_case("multiStep", {"type": "multiStep", "gamma": 0.1}, 0.1,
                      lambda o: sched.MultiStepLR(o, milestones=[2, 5, 9], gamma=0.1), 14,
                      {"milestones": torch.tensor([2.0, 5.0, 9.0])}),
        schedule_case("multiStepUnsortedRepeated", {"type": "multiStep", "gamma": 0.5}, 0.3,
                      lambda o: sched.MultiStepLR(o, milestones=[9, 3, 6, 6], gamma=0.5), 14,
                      {"milestones": torch.tensor([9.0, 3.0, 6.0, 6.0])}),
    ]
    for total, warmup, minimum, base in ((20, 5, 1e-3, 0.1), (100, 10, 0.0, 0.4), (12, 0, 1e-4, 0.05),
                                         (8, 1, 0.0, 1.0)):
        cases.append(schedule_case(
            f"cosineTotal{total}Warmup{warmup}Minimum{minimum}",
            {"type": "cosine", "totalSteps": total, "warmupSteps": warmup, "minimumLearningRate": minimum},
            base, sequential_warmup_cosine(total, warmup, minimum), total))
    for total, max_lr, pct, div, final_div in ((20, 0.1, 0.3, 25.0, 1e4), (100, 0.4, 0.25, 10.0, 100.0),
                                               (7, 0.01, 0.5, 25.0, 1e4)):
        # Steps 0...total-1 are the steps an optimiser takes; torch also allows one more
        # scheduler.step() (last_epoch == total), which extrapolates the cosine past its end.
        cases.append(schedule_case(
            f"oneCycleTotal{total}Max{max_lr}Start{pct}",
            {"type": "oneCycle", "totalSteps": total, "maxLearningRate": max_lr, "percentStart": pct,
             "divFactor": div, "finalDivFactor": final_div},
            0.123,  # OneCycleLR ignores the optimiser's own learning rate
            lambda o, t=total, m=max_lr, p=pct, d=div, f=final_div: sched.OneCycleLR(
                o, max_lr=m, total_steps=t, pct_start=p, anneal_strategy="cos", cycle_momentum=False,
                div_factor=d, final_div_factor=f, three_phase=False),
            total - 1))
    return cases


def main():
    torch.set_default_dtype(torch.float32)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for filename, make in (("optimizers.json", optimizer_cases), ("optimizerOptions.json", option_cases),
                           ("schedules.json", schedule_cases)):
        cases = make()
        path = write(filename, cases)
        print(f"{filename}: {len(cases)} cases, {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
