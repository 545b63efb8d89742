#!/usr/bin/env python3
"""Weft against PyTorch on the same model, in the same run, alternately (A B A B ...).

For each pair it runs `weft bench Configs/<model>.json --json` and the PyTorch peer script
`torch_bench.py --model <model> --throughput-only`, and prints Weft's training and evaluation
images/s, PyTorch's, and their ratios; then the median ratio over the pairs. Alternating keeps a
drifting, shared machine from faking a result.

    python3 Tests/Benchmarks/side_by_side.py --model cnn-bn --pairs 3 --threads 2

Needs a release build (swift build -c release) and PyTorch: --torch-python names the Python
that has it (default: $TORCH_PYTHON or ~/peer-venv/bin/python); --peer the folder holding
torch_bench.py (default: ../shared/peer beside the repository).
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
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--eval-batch", type=int, default=1000)
    parser.add_argument("--weft", default=str(ROOT / ".build" / "release" / "weft"))


def weft_bench(weft, model, threads, batch, eval_batch):
    """`weft bench Configs/<model>.json --json`: its JSON result."""
    return run_json([weft, "bench", str(ROOT / "Configs" / f"{model}.json"), "--json", "--threads", str(threads),
                     "--batch", str(batch), "--eval-batch", str(eval_batch), "--windows", "7", "--steps", "15"])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_arguments(parser)
    parser.add_argument("--torch-python", default=os.environ.get("TORCH_PYTHON", str(Path.home() / "peer-venv/bin/python")))
    parser.add_argument("--peer", default=str(ROOT.parent / "shared" / "peer"))
    parser.add_argument("--torch-steps", type=int, default=100, help="PyTorch's --measure-steps")
    args = parser.parse_args()

    torch = [args.torch_python, str(Path(args.peer) / "torch_bench.py"), "--model", args.model, "--throughput-only",
             "--threads", str(args.threads), "--batch", str(args.batch), "--eval-batch", str(args.eval_batch),
             "--measure-steps", str(args.torch_steps), "--max-wall", "180"]
    train_ratios, eval_ratios, rss = [], [], []
    print(f"{args.model}, batch {args.batch}, {args.threads} threads: Weft / PyTorch, pair by pair")
    print(f"{'pair':>4} {'weft train':>11} {'torch train':>12} {'ratio':>6}   {'weft eval':>10} {'torch eval':>11} {'ratio':>6}")
    for pair in range(1, args.pairs + 1):
        w = weft_bench(args.weft, args.model, args.threads, args.batch, args.eval_batch)
        t = run_json(torch, kind="throughput")
        train = w["trainImagesPerSecond"] / t["train_img_s_median"]
        evaluation = w["evalImagesPerSecond"] / t["eval_img_s"]
        train_ratios.append(train)
        eval_ratios.append(evaluation)
        rss.append((w["peakRSSMegabytes"], t.get("peak_rss_mb")))
        print(f"{pair:>4} {w['trainImagesPerSecond']:>11.0f} {t['train_img_s_median']:>12.0f} {train:>6.2f}   "
              f"{w['evalImagesPerSecond']:>10.0f} {t['eval_img_s']:>11.0f} {evaluation:>6.2f}")
    print(f"median ratio: train {statistics.median(train_ratios):.2f}x, eval {statistics.median(eval_ratios):.2f}x "
          f"(peak RSS in bench: Weft {statistics.median(r[0] for r in rss):.0f} MB, "
          f"PyTorch {statistics.median(r[1] for r in rss if r[1]):.0f} MB)")


if __name__ == "__main__":
    main()
