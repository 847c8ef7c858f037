"""Benchmark: the curvature study of `ddlab.analysis.hessian` at the active profile's budget.

Trains a fresh LeNet on real MNIST for the profile's number of steps and estimates, at every
checkpoint, the Hessian trace of the loss on a real sample, on the reference DD set
(`assets/dd_fixed_mnist_10`) and on 10 random real images (one per class, the same size as the DD
set). Prints the wall and CPU time, the peak RSS and the curves (CPU time is the steadier number
on a shared machine).

    DDLAB_PROFILE=default OMP_NUM_THREADS=2 python benchmarks/curvature.py
"""

from __future__ import annotations

import argparse
import resource
import time

import torch

import ddlab
from ddlab import profile
from ddlab.analysis import curvature_during_training
from ddlab.sources import assets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="lenet", choices=("lenet", "convnet", "mlp"))
    parser.add_argument("--models", type=int, default=1)
    parser.add_argument("--device", default=None)
    args = parser.parse_args()

    data = ddlab.load("mnist", device=args.device)
    g = torch.Generator().manual_seed(0)
    real_ten = ddlab.SyntheticSet(torch.cat([data.sample_per_class(c, 1, g) for c in range(10)]), torch.arange(10))
    sets = {"dd": assets.load("dd_fixed_mnist_10"), "real10": real_ten}
    start, cpu_start = time.perf_counter(), time.process_time()
    curve = curvature_during_training(sets, data, arch=args.arch, n_models=args.models)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"profile {profile.current()}: {seconds:.0f} s wall, {cpu:.0f} s CPU for {len(curve.steps)} checkpoints, "
        f"{torch.get_num_threads()} threads, device {data.device}, peak RSS {peak:.0f} MiB"
    )
    print("step  " + "  ".join(f"{name:>8}" for name in curve.traces))
    for i, step in enumerate(curve.steps):
        print(f"{step:>4}  " + "  ".join(f"{curve.traces[name][i].mean().item():>8.2f}" for name in curve.traces))


if __name__ == "__main__":
    main()
