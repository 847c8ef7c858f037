"""Trajectory matching on a CPU: expert build time and accuracy, seconds per MTT iteration, and what a
short run at 1 image per class reaches against random real images.

    OMP_NUM_THREADS=1 python benchmarks/mtt.py                   # the default profile's budget
    OMP_NUM_THREADS=1 python benchmarks/mtt.py --sweep 100:1e-3 1000:1e-3 10000:1e-3 1000:1e-2 1000:0.1

Evaluation of every set (theirs and the baseline alike): `ddlab.protocol` with a ConvNet of the
experts' width, no augmentation, 300 epochs of SGD (momentum 0.9, weight decay 5e-4, batch 256,
x0.1 after half), `--models` fresh networks trained at once by `train_many`, tested on all 10,000
test images. The MTT set is trained with its learned step size (as the paper evaluates), and also
with the protocol's 0.01; random real images with 0.01 and with the same learned step size.
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import torch

from ddlab import distill, protocol
from ddlab.data import load
from ddlab.methods.mtt import expert_spec
from ddlab.recipes import mtt_mnist
from ddlab.sources import experts
from ddlab.synthetic import SyntheticSet


def outer_steps(config, data, n: int) -> SyntheticSet:
    """`n` outer iterations of a fresh method, run by the driver without its validation checks
    (the experts come from the cache): the set, with its losses in ``history``."""
    return distill(dataclasses.replace(config, iterations=n), data, seed=0, progress=False, validate=False)


def accuracy(synthetic: SyntheticSet, data, width: int, lr: float, models: int) -> str:
    chosen = protocol.Protocol(width=width, augmentation="none", epochs=300, lr=lr)
    scores = protocol.accuracies(synthetic, data, chosen, models, torch.Generator().manual_seed(1))
    return f"{100 * scores.mean():.1f} ± {100 * scores.std():.1f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=300, help="outer iterations of the short run")
    parser.add_argument(
        "--sweep",
        nargs="*",
        default=[],
        metavar="LR:LR_LR",
        help="(pixel lr, step-size lr) pairs to try in short runs, e.g. 1000:0.1",
    )
    parser.add_argument("--sweep-iterations", type=int, default=80)
    parser.add_argument("--models", type=int, default=3, help="fresh networks per evaluation")
    parser.add_argument("--eval-every", type=int, default=50, help="driver's validation checks in the short run")
    parser.add_argument("--repeats", type=int, default=5, help="timed iterations per ipc")
    parser.add_argument("--test-examples", type=int, default=2000, help="test images for the experts' accuracy")
    args = parser.parse_args()
    data = load("mnist", device="cpu")
    config = mtt_mnist(iterations=args.iterations)
    spec = expert_spec(config)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {config}")

    cpu = time.process_time()
    trajectories = experts.load_or_build(spec, data)
    cpu = time.process_time() - cpu
    epochs = spec.n_experts * spec.epochs
    print(
        f"experts: {spec}\n  build {trajectories.seconds:.0f} s wall on {trajectories.built_on} = "
        f"{trajectories.seconds / epochs:.1f} s per expert-epoch of {spec.train_examples} images"
        + (f" ({cpu / epochs:.1f} s CPU per expert-epoch in this process)" if cpu > 1 else " (from the cache)")
    )
    per_epoch = experts.accuracy_per_epoch(trajectories, data, examples=args.test_examples)
    print(
        f"  test accuracy per epoch (mean over experts, first {args.test_examples} test images): "
        + ", ".join(f"{t}: {100 * a:.1f}%" for t, a in enumerate(per_epoch.mean(0).tolist()))
    )

    for ipc in (1, 10):  # wall and CPU time: on a shared machine the CPU time is the steadier number
        start, cpu = time.perf_counter(), time.process_time()
        outer_steps(dataclasses.replace(config, ipc=ipc), data, args.repeats)
        wall, cpu = (time.perf_counter() - start) / args.repeats, (time.process_time() - cpu) / args.repeats
        print(
            f"ipc {ipc:2d}: {wall:.3f} s wall, {cpu:.3f} s CPU per MTT iteration "
            f"({config.syn_steps} student steps, width {config.width}; includes building the method)"
        )

    for pair in args.sweep:
        lr, lr_lr = map(float, pair.split(":"))
        swept = outer_steps(dataclasses.replace(config, lr=lr, lr_lr=lr_lr), data, args.sweep_iterations)
        loss = swept.history["loss"]
        print(
            f"sweep pixels lr {lr:g}, step-size lr {lr_lr:g}: loss {sum(loss[:20]) / 20:.3f} -> "
            f"{sum(loss[-20:]) / 20:.3f} (first/last 20 mean), alpha {swept.config['learned_lr']:.4f}"
        )

    start = time.perf_counter()
    result = distill(config, data, eval_every=args.eval_every, progress=False)
    seconds = time.perf_counter() - start
    alpha = result.config["learned_lr"]
    loss = result.history["loss"]
    print(
        f"short run: {config.iterations} iterations in {seconds:.0f} s, loss {sum(loss[:20]) / 20:.3f} -> "
        f"{sum(loss[-20:]) / 20:.3f} (first/last 20 mean), learned alpha {alpha:.4f}"
    )
    print(
        f"  MTT set, ipc 1:           lr alpha {accuracy(result, data, config.width, alpha, args.models)}, "
        f"lr 0.01 {accuracy(result, data, config.width, 0.01, args.models)}"
    )
    for seed in (0, 1):
        generator = torch.Generator().manual_seed(100 + seed)
        images = torch.cat([data.sample_per_class(c, 1, generator) for c in range(data.num_classes)])
        real = SyntheticSet(images, torch.arange(data.num_classes), config={"method": "random"})
        print(
            f"  random real, draw {seed}:    lr alpha {accuracy(real, data, config.width, alpha, args.models)}, "
            f"lr 0.01 {accuracy(real, data, config.width, 0.01, args.models)}"
        )


if __name__ == "__main__":
    main()
