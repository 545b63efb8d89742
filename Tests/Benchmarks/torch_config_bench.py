#!/usr/bin/env python3
"""The PyTorch peer for any Weft config: ../shared/peer/torch_bench.py (its data, timing windows,
clean-window guard, evaluation passes and JSON output, unchanged) with the config's network in
place of one of its five reference models.

    ~/peer-venv/bin/python Tests/Benchmarks/torch_config_bench.py --config Configs/speedrun.json \
        --throughput-only --threads 2
    python3 Tests/Benchmarks/side_by_side.py --config Configs/speedrun.json --peers torch,keras

The network is `torch_model(config)` of Tests/Fixtures/make_torch_interop.py, the PyTorch
equivalent whose state_dict Weft's exports match (the same layers, shapes and names). As in
torch_bench.py the network trains with Adam at 1e-3 and plain cross-entropy, not the config's own
optimiser, schedule or label smoothing (their cost is well under a millisecond of a step of tens
of milliseconds); what the config's `training.freeze` names is frozen (`requires_grad` off), as
in Weft, so neither computes gradients the other skips. --autocast-bf16 runs each training step's
forward and loss under `torch.autocast("cpu", dtype=torch.bfloat16)` (PyTorch's mixed precision,
the peer of Weft's `training.precision` `"bf16"`); evaluation stays float32 as in Weft. Options
other than --config, --peer and --autocast-bf16 go to torch_bench.py.
"""
import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def frozen(model, prefixes):
    """`model` with the parameters `training.freeze` names kept fixed: Weft's `layers.3.weight` is
    PyTorch's `3.weight` (`layers` alone: all); a prefix matches a name equal to it or continuing
    with a dot. (A batch-norm whose parameters are all frozen keeps its running statistics in
    Weft; here it still normalises with the batch's: the same work.)"""
    wanted = ["" if prefix == "layers" else prefix.removeprefix("layers.") for prefix in prefixes]
    for name, parameter in model.named_parameters():
        if any(not prefix or name == prefix or name.startswith(prefix + ".") for prefix in wanted):
            parameter.requires_grad_(False)
    return model


def counted_flops(model, in_shape=(1, 28, 28)):
    """torch_bench.analytic_flops's keys, counted by torch.utils.flop_counter on one image: its
    shape walk reads only a top-level list of layers and misses residual blocks."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode
    model.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(torch.zeros((1,) + tuple(in_shape)))
    model.train()
    forward = counter.get_total_flops()
    return {"forward_flops": forward, "train_flops_3x": 3 * forward, "per_layer": [],
            "other_elementwise_ops": None}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                     add_help=True)
    parser.add_argument("--config", required=True, help="a Weft config (JSON) whose model to build")
    parser.add_argument("--peer", default=str(ROOT.parent / "shared" / "peer"),
                        help="the folder holding torch_bench.py")
    parser.add_argument("--autocast-bf16", action="store_true",
                        help="train under torch.autocast('cpu', dtype=torch.bfloat16)")
    args, rest = parser.parse_known_args()
    if "--model" in rest:
        sys.exit("torch_config_bench.py: --model does not apply; the network comes from --config")
    config = json.loads(Path(args.config).read_text())
    if config["model"]["input"] != [1, 28, 28]:
        sys.exit(f"{args.config}: model.input is {config['model']['input']}; torch_bench.py feeds "
                 "Fashion-MNIST's [1, 28, 28] images")

    sys.path.insert(0, str(Path(args.peer)))
    sys.path.insert(0, str(ROOT / "Tests" / "Fixtures"))
    import torch_bench
    from make_torch_interop import torch_model

    name = config.get("name", Path(args.config).stem)
    torch_bench.MODELS = (name,)
    torch_bench.build_model = lambda _: frozen(torch_model(config), config.get("training", {}).get("freeze", []))
    torch_bench.analytic_flops = counted_flops
    if args.autocast_bf16:
        import torch
        import torch.nn.functional as F

        def autocast_step(model, opt, xb, yb):
            """torch_bench.train_step with the forward and the loss under bfloat16 autocast."""
            opt.zero_grad(set_to_none=True)
            with torch.autocast("cpu", dtype=torch.bfloat16):
                loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            return loss
        torch_bench.train_step = autocast_step
    sys.argv = [sys.argv[0], "--model", name] + rest
    torch_bench.main()


if __name__ == "__main__":
    main()
