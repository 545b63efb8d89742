#!/usr/bin/env bash
# Installs what Weft needs on a fresh Debian machine with Swift: the C libraries, the
# Fashion-MNIST dataset, and a Python virtual environment (.venv) with the real readers the
# interop tests check Weft's files with. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
packages=(pkg-config libopenblas-dev zlib1g-dev libpng-dev libturbojpeg0-dev libopenmpi-dev openmpi-bin iproute2 dataset-fashion-mnist python3-venv chromium)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import numpy, safetensors, onnx, onnxruntime, PIL" 2>/dev/null; then
    python3 -m venv .venv
    .venv/bin/pip install -q --disable-pip-version-check numpy safetensors onnx onnxruntime pillow
fi
