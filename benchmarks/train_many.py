"""Benchmark: training many fresh networks at once (`train_many`, vmap) vs one after another.

Trains N networks on 100 synthetic-size images with the same minibatch SGD schedule both ways and
prints the wall times and their ratio (measured in this one run, on this machine).

    python benchmarks/train_many.py --arch lenet --models 20
"""

from __future__ import annotations

import argparse
import time

import torch

import ddlab
from ddlab.functional import Schedule, accuracy_many, train_many
from ddlab.nets import make_net, sample_inits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="lenet", choices=("lenet", "convnet", "mlp"))
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--device", default=None)
    args = parser.parse_args()

    data = ddlab.load("mnist", device=args.device)
    x, y = data.sample(100, torch.Generator().manual_seed(0))  # 100 images, like ipc=10
    net = make_net(args.arch)
    inits = sample_inits(net, args.models, "kaiming", torch.Generator().manual_seed(1), data.device)
    schedule = Schedule(epochs=args.epochs, batch_size=50, lr=0.01, momentum=0.9, weight_decay=5e-4, decay_at=(0.5,))
    times = {}
    for vectorize in (True, False):
        train_many(
            net, inits, x, y, Schedule(epochs=1, batch_size=50, lr=0.01), torch.Generator(), vectorize
        )  # warm-up
        _sync(data.device)
        start = time.perf_counter()
        trained = train_many(net, inits, x, y, schedule, torch.Generator().manual_seed(2), vectorize)
        _sync(data.device)
        times[vectorize] = time.perf_counter() - start
        accuracy = accuracy_many(net, trained, data.x_test, data.y_test).mean().item()
        print(
            f"{'vmap' if vectorize else 'loop'}: {times[vectorize]:.2f} s for {args.models} {args.arch}s x "
            f"{args.epochs} epochs on {data.device} (mean test accuracy {100 * accuracy:.1f}%)"
        )
    print(f"speed-up of vmap over the loop: {times[False] / times[True]:.2f}x")


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


if __name__ == "__main__":
    main()
