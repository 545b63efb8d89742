#!/usr/bin/env python3
"""Weft against its peers on the same model, in the same run, alternately (A B C A B C ...).

For each round it runs `weft bench Configs/<model>.json --json`, then each peer of --peers: the
PyTorch script `torch_bench.py --model <model> --throughput-only` and the Keras script
`Tests/Benchmarks/keras_bench.py --model <model>`, and prints Weft's training and evaluation
images/s, each peer's, and Weft's ratio to each; then the median ratios over the rounds and the
peak RSS of all. Alternating keeps a drifting, shared machine from faking a result.

    python3 Tests/Benchmarks/side_by_side.py --model cnn-bn --pairs 3 --threads 2
    python3 Tests/Benchmarks/side_by_side.py --model cnn --peers torch,keras
    python3 Tests/Benchmarks/side_by_side.py --config Configs/speedrun.json --peers torch,keras

--config runs any config: `weft bench` on it, and the peers build the same network from it
(Tests/Benchmarks/torch_config_bench.py, keras_bench.py --config), trained as the reference
models are (Adam 1e-3, plain cross-entropy), freezing what its `training.freeze` names. --set
passes overrides to `weft bench` (e.g. training.precision=bf16); --torch-autocast-bf16 runs the
PyTorch peer under bfloat16 autocast.

Needs a release build (swift build -c release), PyTorch (--torch-python: default $TORCH_PYTHON
or ~/peer-venv/bin/python; --peer: the folder holding torch_bench.py, default ../shared/peer
beside the repository) and for keras TensorFlow (--keras-python: default $KERAS_PYTHON or
~/keras-venv/bin/python; see keras_bench.py for its set-up).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_json(command, kind=None):
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    records = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    if kind:
        records = [r for r in records if r.get("kind") == kind]
    if not records:
        sys.exit(f"no JSON result from: {' '.join(map(str, command))}")
    return records[-1]


def add_common_arguments(parser):
    """The options every benchmark script here takes: model, pairs, threads, batch sizes, weft binary."""
    parser.add_argument("--model", default="cnn-bn", choices=["logreg", "mlp", "cnn", "cnn-bn", "vgg"])
    parser.add_argument("--config", help="a config file to run instead of Configs/<model>.json")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--eval-batch", type=int, default=1000)
    parser.add_argument("--weft", default=str(ROOT / ".build" / "release" / "weft"))
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        help="a config override for weft bench, e.g. training.precision=bf16 (repeatable)")


def config_path(args):
    """The config a run benchmarks: --config, or Configs/<model>.json."""
    return args.config or str(ROOT / "Configs" / f"{args.model}.json")


def weft_bench(weft, config, threads, batch, eval_batch, overrides=()):
    """`weft bench CONFIG --json` (with `--set` for each of `overrides`): its JSON result."""
    sets = [argument for override in overrides for argument in ("--set", override)]
    return run_json([weft, "bench", config, "--json", "--threads", str(threads),
                     "--batch", str(batch), "--eval-batch", str(eval_batch), "--windows", "7", "--steps", "15"] + sets)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_arguments(parser)
    parser.add_argument("--peers", default="torch", help="comma-separated: torch, keras (default torch)")
    parser.add_argument("--torch-python", default=os.environ.get("TORCH_PYTHON", str(Path.home() / "peer-venv/bin/python")))
    parser.add_argument("--keras-python", default=os.environ.get("KERAS_PYTHON", str(Path.home() / "keras-venv/bin/python")))
    parser.add_argument("--peer", default=str(ROOT.parent / "shared" / "peer"))
    parser.add_argument("--torch-steps", type=int, default=100, help="PyTorch's and Keras's --measure-steps")
    parser.add_argument("--torch-autocast-bf16", action="store_true",
                        help="PyTorch trains under torch.autocast('cpu', dtype=torch.bfloat16) "
                             "(through torch_config_bench.py), to compare with --set training.precision=bf16")
    args = parser.parse_args()
    peers = [name.strip() for name in args.peers.split(",") if name.strip()]
    if not peers or any(name not in ("torch", "keras") for name in peers):
        sys.exit(f"--peers must list torch and/or keras, got {args.peers!r}")

    network = ["--config", args.config] if args.config else ["--model", args.model]
    common = ["--threads", str(args.threads), "--batch", str(args.batch),
              "--eval-batch", str(args.eval_batch), "--measure-steps", str(args.torch_steps)]
    if args.config or args.torch_autocast_bf16:
        torch_script = [str(ROOT / "Tests" / "Benchmarks" / "torch_config_bench.py"), "--peer", args.peer,
                        "--config", config_path(args)] + (["--autocast-bf16"] if args.torch_autocast_bf16 else [])
    else:
        torch_script = [str(Path(args.peer) / "torch_bench.py"), "--model", args.model]
    commands = {
        "torch": [args.torch_python] + torch_script + ["--throughput-only", "--max-wall", "180"] + common,
        "keras": [args.keras_python, str(ROOT / "Tests" / "Benchmarks" / "keras_bench.py")] + network + common,
    }
    ratios = {name: {"train": [], "eval": []} for name in peers}
    rss = {name: [] for name in ["weft"] + peers}
    print(f"{args.config or args.model}{''.join(' --set ' + o for o in args.overrides)}"
          f"{' (PyTorch under bf16 autocast)' if args.torch_autocast_bf16 else ''}, batch {args.batch}, {args.threads} threads: Weft / {' / '.join(peers)}, round by round")
    header = f"{'round':>5} {'weft train':>11} {'weft eval':>10}"
    for name in peers:
        header += f" | {name + ' train':>12} {'ratio':>6} {name + ' eval':>11} {'ratio':>6}"
    print(header)
    for round_number in range(1, args.pairs + 1):
        w = weft_bench(args.weft, config_path(args), args.threads, args.batch, args.eval_batch, args.overrides)
        if "training.precision=bf16" in args.overrides and w.get("convolutionProducts") != "bf16":
            sys.exit("weft bench ran in float32: this CPU has no AVX-512 BF16, so there is no bf16 run to compare")
        rss["weft"].append(w["peakRSSMegabytes"])
        line = f"{round_number:>5} {w['trainImagesPerSecond']:>11.0f} {w['evalImagesPerSecond']:>10.0f}"
        for name in peers:
            p = run_json(commands[name], kind="throughput")
            if not p.get("train_img_s_median") or not p.get("eval_img_s"):
                sys.exit(f"{name} measured no training or evaluation rate: {p}")
            train = w["trainImagesPerSecond"] / p["train_img_s_median"]
            evaluation = w["evalImagesPerSecond"] / p["eval_img_s"]
            ratios[name]["train"].append(train)
            ratios[name]["eval"].append(evaluation)
            if p.get("peak_rss_mb"):
                rss[name].append(p["peak_rss_mb"])
            line += f" | {p['train_img_s_median']:>12.0f} {train:>6.2f} {p['eval_img_s']:>11.0f} {evaluation:>6.2f}"
        print(line, flush=True)
    for name in peers:
        train, evaluation = ratios[name]["train"], ratios[name]["eval"]
        print(f"median ratio against {name}: train {statistics.median(train):.2f}x "
              f"({min(train):.2f}-{max(train):.2f}), eval {statistics.median(evaluation):.2f}x "
              f"({min(evaluation):.2f}-{max(evaluation):.2f})")
    print("peak RSS (MB, median): " + ", ".join(
        f"{name} {statistics.median(values):.0f}" for name, values in rss.items() if values))


if __name__ == "__main__":
    main()
