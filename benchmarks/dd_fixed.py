"""Benchmark: Wang et al.'s fixed-init MNIST run (10 images, 1 step x 3 epochs), as notebook 01 runs it.

Prints seconds per outer iteration, the wall time at which test accuracy (all 10,000 test images)
first reaches 85 / 88 / 90 / 94 %, the final accuracy of the returned set, and peak memory; writes
the accuracy-vs-time curve as a PNG next to this file. The benchmark's own test-set measurements
are subtracted from the wall times; the driver's validation measurements are part of the run and
stay in.

    python benchmarks/dd_fixed.py                      # the default profile's budget (notebook 01)
    python benchmarks/dd_fixed.py --iterations 20000   # longer
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import resource
import time
from pathlib import Path

import torch

import ddlab
from ddlab.methods.dd import DD

THRESHOLDS = (0.85, 0.88, 0.90, 0.94)


def notebook_config() -> DD:
    """The config of notebook 01 in the active profile (kept in one place: ddlab.recipes)."""
    return ddlab.recipes.dd_fixed_mnist_10()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=None, help="override the profile's budget")
    parser.add_argument("--eval-every", type=int, default=100)
    parser.add_argument("--device", default=None)
    parser.add_argument("--plot", default=str(Path(__file__).with_name("dd_fixed_curve.png")))
    args = parser.parse_args()

    config = notebook_config()
    if args.iterations:
        config = dataclasses.replace(config, iterations=args.iterations)
    data = ddlab.load("mnist", device=args.device)
    curve: list[tuple[float, float]] = []  # (seconds of distillation, test accuracy)
    overhead = [0.0]  # seconds spent measuring the curve

    def record(event: ddlab.Event) -> None:
        if event.iteration % args.eval_every and not event.done:
            return
        start = time.perf_counter()
        snapshot = ddlab.SyntheticSet(
            event.images, event.labels, event.lrs, {"method": "dd", **dataclasses.asdict(config)}
        )
        curve.append((event.elapsed - overhead[0], ddlab.evaluate(snapshot, data).mean))
        overhead[0] += time.perf_counter() - start

    start = time.perf_counter()
    result = ddlab.distill(config, data, callbacks=[record], seed=0, eval_every=args.eval_every, progress=False)
    wall = time.perf_counter() - start - overhead[0]
    final = ddlab.evaluate(result, data)

    print(
        f"machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, "
        f"device {data.device}{' (' + torch.cuda.get_device_name(0) + ')' if data.device.type == 'cuda' else ''}, "
        f"torch {torch.__version__}"
    )
    print(f"config: {config}")
    print(
        f"iterations: {config.iterations}, wall {wall:.1f} s, {wall / config.iterations:.4f} s per outer iteration "
        f"(validation every {args.eval_every} iterations included; the curve's test measurements excluded)"
    )
    for threshold in THRESHOLDS:
        reached = next((t for t, a in curve if a >= threshold), None)
        print(f"time to {100 * threshold:.0f}%: " + (f"{reached:.1f} s" if reached is not None else "not reached"))
    print(f"final test accuracy: {final}")
    print(
        f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB RSS"
        + (f", {torch.cuda.max_memory_allocated() / 2**20:.0f} MiB CUDA" if data.device.type == "cuda" else "")
    )
    _plot(curve, args.plot)


def _plot(curve, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot([t for t, _ in curve], [100 * a for _, a in curve])
    for threshold in THRESHOLDS:
        ax.axhline(100 * threshold, color="gray", lw=0.5, ls=":")
    ax.set(xlabel="wall time (s)", ylabel="test accuracy (%)", title="DD, fixed init, 10 MNIST images")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"curve: {path}")


if __name__ == "__main__":
    main()
