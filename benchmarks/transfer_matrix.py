"""Benchmark: the transfer matrix of Wang et al.'s four init settings, on a small CPU budget.

Distils one tiny set (10 images: 1 image per class, 1 step x 3 epochs) under each init setting,
then evaluates every set under every setting. Prints the pretrained pool's accuracy on the source
digits and on MNIST (before adaptation), the seconds each distillation took and the matrix, and
writes the heat map next to this file.

    python benchmarks/transfer_matrix.py                       # 300 iterations per setting
    python benchmarks/transfer_matrix.py --iterations 1000 --test-images 10000
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import time
from pathlib import Path

import torch

import ddlab
from ddlab.experiments.transfer import transfer_matrix
from ddlab.methods.dd import DD, INIT_SETTINGS, pool
from ddlab.plots import plot_transfer
from ddlab.sources.other_digits import load_source_digits

# The default recipe's outer optimiser (ddlab.recipes.dd_fixed_mnist_10), shortened.
CONFIG = DD(ipc=1, steps=1, epochs=3, lr=0.02, real_batch=256, n_nets=4, lr_decay_every=1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--n-models", type=int, default=10, help="networks per random-setting cell")
    parser.add_argument("--test-images", type=int, default=2000, help="first N MNIST test images")
    parser.add_argument("--device", default=None)
    parser.add_argument("--plot", default=str(Path(__file__).with_name("transfer_matrix.png")))
    args = parser.parse_args()

    data = ddlab.load("mnist", device=args.device)
    config = dataclasses.replace(CONFIG, iterations=args.iterations)
    start = time.perf_counter()
    networks = pool(config, data)
    ready = time.perf_counter() - start
    on_source = networks.accuracies(load_source_digits(device=data.device))
    on_mnist = networks.accuracies(data)
    print(
        f"pool of {networks.size} LeNets pretrained on {networks.source} (ready in {ready:.0f} s): "
        f"source test {100 * on_source.mean():.1f} ± {100 * on_source.std():.1f}%, "
        f"MNIST test {100 * on_mnist.mean():.1f} ± {100 * on_mnist.std():.1f}% (paper: 67.5 ± 3.9%)"
    )

    sets = {}
    for setting in INIT_SETTINGS:
        start = time.perf_counter()
        sets[setting] = ddlab.distill(dataclasses.replace(config, init=setting), data, seed=0, progress=False)
        print(f"distilled under {setting}: {args.iterations} iterations in {time.perf_counter() - start:.0f} s")
    start = time.perf_counter()
    on = (data.x_test[: args.test_images], data.y_test[: args.test_images])
    matrix = transfer_matrix(sets, data, n_models=args.n_models, on=on)
    print(
        f"evaluated in {time.perf_counter() - start:.0f} s on the first {len(on[1])} test images "
        f"({args.n_models} networks per random cell)\n{matrix}"
    )
    device = (
        torch.cuda.get_device_name(0)
        if data.device.type == "cuda"
        else f"CPU ({platform.machine()}, {torch.get_num_threads()} threads)"
    )
    print(f"device: {device}, torch {torch.__version__}")

    import matplotlib.pyplot as plt

    ax = plot_transfer(matrix)
    ax.set_title(f"10 images, {args.iterations} iterations per setting")
    plt.savefig(args.plot, dpi=120)
    print(f"heat map: {args.plot}")


if __name__ == "__main__":
    main()
