"""Benchmark: where the noise in random-init DD's outer gradient comes from — the inits or the real batch?

At a distilled set, computes the meta-gradient for every pair of `--inits` random initialisations
and `--batches` real batches, and splits its variance (two-way ANOVA on the gradient vectors) into
the part from the draw of inits, the part from the real batch, and their interaction. From these it
predicts the variance of the driver's estimator (mean over `n_nets` inits on one real batch) for a
few (n_nets, real batch) choices, beside each one's cost — what picks the settings of a long run.

    OMP_NUM_THREADS=2 python benchmarks/dd_gradient_noise.py --set dd_random_mnist_100_stage1
"""

from __future__ import annotations

import argparse
import dataclasses

import torch

import ddlab
from ddlab.functional import loss, unroll
from ddlab.methods import config_from_dict
from ddlab.methods.dd import draw_inits, network


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="dd_random_mnist_100_stage1", help="reference set to measure at")
    parser.add_argument("--inits", type=int, default=6)
    parser.add_argument("--batches", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--device", default=None)
    args = parser.parse_args()

    data = ddlab.load("mnist", device=args.device)
    start = ddlab.assets.load(args.set, data.device)
    config = config_from_dict(start.config)
    net = network(config, data)
    generator = torch.Generator().manual_seed(1)
    inits = draw_inits(config, data, "random", args.inits, generator)
    real_batches = [data.sample(args.batch_size, generator) for _ in range(args.batches)]
    images = start.images.clone().requires_grad_()
    schedule, lrs = dataclasses.replace(start, images=images).schedule()

    def gradient(i: int, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """d(real loss after training init i on the set) / d(images), flattened."""
        trained = unroll(net, {k: v[i] for k, v in inits.items()}, schedule, lrs)
        return torch.autograd.grad(loss(net, trained, x, y), images)[0].flatten()

    gradients = torch.stack(
        [torch.stack([gradient(i, x, y) for x, y in real_batches]) for i in range(args.inits)]
    )  # (inits, batches, pixels)

    mean = gradients.mean((0, 1))
    from_inits = ((gradients.mean(1) - mean) ** 2).sum(-1).mean().item()
    from_batch = ((gradients.mean(0) - mean) ** 2).sum(-1).mean().item()
    interaction = (
        ((gradients - gradients.mean(1, keepdim=True) - gradients.mean(0, keepdim=True) + mean) ** 2)
        .sum(-1)
        .mean()
        .item()
    )
    print(
        f"at {args.set}: squared mean {(mean**2).sum().item():.4f}; variance of one gradient "
        f"(1 init, {args.batch_size} real images) from the inits {from_inits:.4f}, from the real batch "
        f"{from_batch:.4f}, interaction {interaction:.4f}"
    )
    for n_nets, real_batch in ((4, 256), (4, 1024), (8, 256), (8, 512)):
        scale = args.batch_size / real_batch
        predicted = from_inits / n_nets + from_batch * scale + interaction * scale / n_nets
        print(f"  n_nets {n_nets}, real batch {real_batch:5d}: predicted variance of the estimator {predicted:.4f}")


if __name__ == "__main__":
    main()
