#!/usr/bin/env python3
"""Keras (TensorFlow CPU) peer of ../shared/peer/torch_bench.py: the same five reference models,
trained as a Keras user trains them, for side-by-side throughput against Weft and PyTorch.

    python3 Tests/Benchmarks/keras_bench.py --model cnn-bn --threads 2
    python3 Tests/Benchmarks/keras_bench.py --config Configs/speedrun.json --threads 2
    python3 Tests/Benchmarks/side_by_side.py --model cnn-bn --peers torch,keras   # all three

The layers are the reference ones (torch_bench.py's build_model): 3×3 convolutions with padding
1 and bias, batch-norm (momentum 0.1 in PyTorch's sense, Keras's 0.9; epsilon 1e-5), ReLU, 2×2
max pooling, dropout 0.25 (0.5 in vgg), dense layers, in Keras's NHWC layout. Adam at 1e-3,
batch 128, sparse categorical cross-entropy from logits; pixels /255, then (x − 0.2860) / 0.3530.
With --config the network is built from a Weft config's layers instead (`config_model`: the same
layer types, shapes and parameter counts as Weft's, NHWC; residual blocks through the functional
API), trained the same way (not with the config's optimiser or label smoothing); the variables
its `training.freeze` names are frozen, as in Weft.

"train img/s": one `model.fit` epoch over exactly the steps needed (the training images in a
seeded random order, repeated when more steps are asked than an epoch holds), timed by a callback from `on_train_batch_begin` to `on_train_batch_end` in windows of at
least --window-s seconds after --warmup steps (so graph tracing is excluded), the last partial
window included when no whole one closed; the median over windows. "eval img/s": `model.predict` of the 10,000 test images in
batches of --eval-batch, after one untimed pass; the median of --eval-passes passes. Peak RSS
from getrusage. Output: one JSON line {"kind": "throughput", ...} with the same keys as
torch_bench.py's (train_img_s_median, eval_img_s, peak_rss_mb).

Set-up (a benchmark dependency, not a test dependency):

    python3 -m venv ~/keras-venv && ~/keras-venv/bin/pip install tensorflow-cpu numpy
"""
import argparse
import gzip
import json
import os
import resource
import statistics
import struct
import time

import numpy as np

MEAN, STD = 0.2860, 0.3530
MODELS = ("logreg", "mlp", "cnn", "cnn-bn", "vgg")


def read_idx(path):
    with gzip.open(path, "rb") as handle:
        data = handle.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(root, split):
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(os.path.join(root, f"{prefix}-images-idx3-ubyte.gz")).astype(np.float32)
    labels = read_idx(os.path.join(root, f"{prefix}-labels-idx1-ubyte.gz")).astype(np.int64)
    return ((images / 255.0 - MEAN) / STD)[..., None], labels  # [N, 28, 28, 1]


def build_model(keras, name):
    layers = keras.layers

    def conv_block(filters, batch_norm):
        block = [layers.Conv2D(filters, 3, padding="same")]
        if batch_norm:
            block.append(layers.BatchNormalization(momentum=0.9, epsilon=1e-5))
        return block + [layers.ReLU()]

    stack = [keras.Input((28, 28, 1))]
    if name == "logreg":
        stack += [layers.Flatten(), layers.Dense(10)]
    elif name == "mlp":
        stack += [layers.Flatten(), layers.Dense(256, activation="relu"), layers.Dense(128, activation="relu"),
                  layers.Dense(10)]
    elif name in ("cnn", "cnn-bn"):
        bn = name == "cnn-bn"
        stack += conv_block(32, bn) + [layers.MaxPooling2D(2)] + conv_block(64, bn) + [layers.MaxPooling2D(2)]
        stack += [layers.Flatten(), layers.Dense(128, activation="relu"), layers.Dropout(0.25), layers.Dense(10)]
    elif name == "vgg":
        stack += conv_block(64, True) + conv_block(64, True) + [layers.MaxPooling2D(2)]
        stack += conv_block(128, True) + conv_block(128, True) + [layers.MaxPooling2D(2)]
        stack += conv_block(256, True) + [layers.MaxPooling2D(2)]
        stack += [layers.Flatten(), layers.Dense(256, activation="relu"), layers.Dropout(0.5), layers.Dense(10)]
    else:
        raise ValueError(name)
    return keras.Sequential(stack)


def config_model(keras, config):
    """The Keras network of a Weft config's `model`: its layers in order on [H, W, C] images."""
    layers = keras.layers
    channels, height, width = config["model"]["input"]

    def padded(x, padding):
        return layers.ZeroPadding2D(padding)(x) if padding else x

    frozen = [prefix.split(".") for prefix in config.get("training", {}).get("freeze", [])]
    keras_names = {"weight": ("kernel", "gamma"), "bias": ("bias", "beta")}  # of Weft's parameter names

    def freeze(layer, path):
        """Turns off the variables of the Weft layer at `path` (["layers", "3", "body", "0"]) that a
        freeze prefix names: the whole layer when the prefix is a start of its path (`layers.3`
        freezes a residual block's body and projection), one variable when the prefix is its
        path and `weight` or `bias`."""
        for prefix in frozen:
            if path[:len(prefix)] == prefix:
                names = None  # every variable
            elif prefix[:len(path)] == path and len(prefix) == len(path) + 1:
                names = keras_names.get(prefix[-1], ())
            else:
                continue
            for variable in layer.trainable_variables:
                if names is None or variable.name in names:
                    variable.trainable = False
        return layer

    def build(specs, x, path=("layers",)):
        for index, spec in enumerate(specs):
            here = list(path) + [str(index)]
            kind = spec["type"]
            if kind == "conv2d":
                kernel, stride, padding = spec["kernel"], spec.get("stride", 1), spec.get("padding", 0)
                same = stride == 1 and 2 * padding == kernel - 1
                conv = layers.Conv2D(spec["filters"], kernel, strides=stride, padding="same" if same else "valid",
                                     use_bias=spec.get("bias", True))
                x = conv(x if same else padded(x, padding))
                freeze(conv, here)
            elif kind == "dense":
                dense = layers.Dense(spec["units"], use_bias=spec.get("bias", True))
                x = dense(x)
                freeze(dense, here)
            elif kind == "batchNorm":
                norm = layers.BatchNormalization(momentum=1 - spec.get("momentum", 0.1), epsilon=spec.get("epsilon", 1e-5))
                x = norm(x)
                freeze(norm, here)
            elif kind in ("maxPool", "avgPool"):
                if spec.get("padding", 0):
                    raise ValueError("keras_bench.py: pooling with padding is not built here")
                pool = layers.MaxPooling2D if kind == "maxPool" else layers.AveragePooling2D
                x = pool(spec["size"], strides=spec.get("stride", spec["size"]))(x)
            elif kind == "globalAvgPool":
                x = layers.GlobalAveragePooling2D(keepdims=True)(x)
            elif kind in ("relu", "sigmoid", "tanh"):
                x = layers.Activation(kind)(x)
            elif kind == "leakyRelu":
                x = layers.LeakyReLU(negative_slope=spec.get("slope", 0.01))(x)
            elif kind == "dropout":
                x = layers.Dropout(spec["rate"])(x)
            elif kind == "flatten":
                x = layers.Flatten()(x)
            elif kind == "residual":
                body = build(spec["layers"], x, here + ["body"])
                shortcut = x
                if spec.get("projection") is True or tuple(body.shape[1:]) != tuple(x.shape[1:]):
                    projection = layers.Conv2D(body.shape[-1], 1, strides=x.shape[1] // body.shape[1])
                    shortcut = projection(x)
                    freeze(projection, here + ["projection"])
                x = layers.Add()([body, shortcut])
            else:
                raise ValueError(f"keras_bench.py: layer type {kind!r} is not built here")
        return x

    inputs = keras.Input((height, width, channels))
    return keras.Model(inputs, build(config["model"]["layers"], inputs))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=MODELS, default="cnn-bn")
    parser.add_argument("--config", help="a Weft config whose network to build instead of --model")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--eval-batch", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=20, help="untimed steps first")
    parser.add_argument("--measure-steps", type=int, default=100, help="timed steps")
    parser.add_argument("--window-s", type=float, default=1.0)
    parser.add_argument("--eval-passes", type=int, default=3)
    parser.add_argument("--data-dir", default=os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"))
    args = parser.parse_args()

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    import keras

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    keras.utils.set_random_seed(0)
    x_train, y_train = load(args.data_dir, "train")
    x_test, _ = load(args.data_dir, "test")
    config = json.loads(open(args.config).read()) if args.config else None
    if config and config["model"]["input"] != [1, 28, 28]:
        raise SystemExit(f"{args.config}: model.input is {config['model']['input']}; this script feeds "
                         "Fashion-MNIST's [1, 28, 28] images")
    model = config_model(keras, config) if config else build_model(keras, args.model)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))

    class Windows(keras.callbacks.Callback):
        """Images/s per window of whole steps of at least window_s seconds, after the warm-up."""

        def __init__(self):
            super().__init__()
            self.step, self.windows, self.opened, self.images = 0, [], None, 0

        def on_train_batch_begin(self, batch, logs=None):
            if self.step >= args.warmup and self.opened is None:
                self.opened, self.images = time.perf_counter(), 0

        def on_train_batch_end(self, batch, logs=None):
            self.step += 1
            if self.opened is None:
                return
            self.images += args.batch
            elapsed = time.perf_counter() - self.opened
            if elapsed >= args.window_s:
                self.windows.append(self.images / elapsed)
                self.opened = None

    steps = args.warmup + args.measure_steps
    order = np.random.default_rng(0).permutation(len(x_train))
    count = steps * args.batch
    chosen = np.resize(order, count)  # repeats the order when more steps than one epoch
    windows = Windows()
    started = time.perf_counter()
    model.fit(x_train[chosen], y_train[chosen], batch_size=args.batch, epochs=1, shuffle=False, verbose=0,
              callbacks=[windows])
    if windows.opened is not None and windows.images and not windows.windows:
        windows.windows.append(windows.images / (time.perf_counter() - windows.opened))
    fit_seconds = time.perf_counter() - started

    model.predict(x_test, batch_size=args.eval_batch, verbose=0)
    passes = []
    for _ in range(args.eval_passes):
        began = time.perf_counter()
        model.predict(x_test, batch_size=args.eval_batch, verbose=0)
        passes.append(len(x_test) / (time.perf_counter() - began))
    print(json.dumps({
        "kind": "throughput", "peer": "keras",
        "model": config.get("name", args.config) if config else args.model, "parameters": model.count_params(), "threads": args.threads,
        "tensorflow": tf.__version__, "keras": keras.__version__,
        "train_img_s_median": round(statistics.median(windows.windows), 1) if windows.windows else None,
        "train_img_s_min": round(min(windows.windows), 1) if windows.windows else None,
        "train_img_s_max": round(max(windows.windows), 1) if windows.windows else None,
        "windows": len(windows.windows), "steps_total": steps, "fit_seconds": round(fit_seconds, 2),
        "eval_img_s": round(statistics.median(passes), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
    }), flush=True)


if __name__ == "__main__":
    main()
