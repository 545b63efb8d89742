#!/usr/bin/env python3
"""Weft's speed-up from 1 to N threads, measured alternately (1, N, 1, N, ...) in one run.

    python3 Tests/Benchmarks/thread_scaling.py --model cnn-bn --pairs 3 --threads 2

For each pair it runs `weft bench Configs/<model>.json --json` at 1 thread and at N threads and
prints training and evaluation images/s and the ratio N/1; then the median ratio. Needs a
release build (swift build -c release).
"""
import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from side_by_side import add_common_arguments, config_path, weft_bench  # noqa: E402  (the same runner and options)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_arguments(parser)
    args = parser.parse_args()

    train_ratios, eval_ratios = [], []
    print(f"{args.config or args.model}, batch {args.batch}: 1 thread against {args.threads}, pair by pair")
    print(f"{'pair':>4} {'train 1T':>9} {f'train {args.threads}T':>9} {'ratio':>6}   {'eval 1T':>8} {f'eval {args.threads}T':>8} {'ratio':>6}")
    for pair in range(1, args.pairs + 1):
        one = weft_bench(args.weft, config_path(args), 1, args.batch, args.eval_batch, args.overrides)
        many = weft_bench(args.weft, config_path(args), args.threads, args.batch, args.eval_batch, args.overrides)
        train = many["trainImagesPerSecond"] / one["trainImagesPerSecond"]
        evaluation = many["evalImagesPerSecond"] / one["evalImagesPerSecond"]
        train_ratios.append(train)
        eval_ratios.append(evaluation)
        print(f"{pair:>4} {one['trainImagesPerSecond']:>9.0f} {many['trainImagesPerSecond']:>9.0f} {train:>6.2f}   "
              f"{one['evalImagesPerSecond']:>8.0f} {many['evalImagesPerSecond']:>8.0f} {evaluation:>6.2f}")
    print(f"median speed-up 1 → {args.threads} threads: train {statistics.median(train_ratios):.2f}x, "
          f"eval {statistics.median(eval_ratios):.2f}x")


if __name__ == "__main__":
    main()
