"""SRe2L and RDED on MNIST at 1 and 10 images per class, judged fairly: each set with class labels
and with its teacher's soft labels, beside random real images of the same counts under both
(`ddlab.experiments.fair`, the random images relabelled by the same teacher at the same temperature).
DD-Ranking's question: how much of a decoupled method's score is its images, and how much its labels?

    OMP_NUM_THREADS=1 DDLAB_PROFILE=default python benchmarks/decoupled.py                 # all four runs
    OMP_NUM_THREADS=1 DDLAB_PROFILE=default python benchmarks/decoupled.py --runs rded:1
    OMP_NUM_THREADS=1 DDLAB_PROFILE=default python benchmarks/decoupled.py --temperature 1   # labels as they are
    OMP_NUM_THREADS=1 DDLAB_PROFILE=default python benchmarks/decoupled.py --runs rded:1:2 rded:10:2   # their ImageNet factor
    OMP_NUM_THREADS=1 DDLAB_PROFILE=default python benchmarks/decoupled.py --dataset fashion_mnist   # the same recipes on clothes

The sets are the course's recipes (`recipes.sre2l_mnist`, `recipes.rded_mnist`); every set is
judged like a leaderboard row (`recipes.leaderboard()`'s evaluation: the ConvNet of the plan's width,
DSA augmentation, its share of the epochs, its networks and test images). The table goes into
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import time

import torch

from ddlab import profile, protocol, recipes
from ddlab.data import load
from ddlab.distill import distill
from ddlab.experiments import fair
from ddlab.methods import rded
from ddlab.sources import teachers


def make(method: str, ipc: int, data, temperature: float | None = None, factor: int | None = None):
    """The course recipe's set of `method` with `ipc` images per class (relabelled at `temperature`
    if given, else at the paper's; RDED: `factor` patches per side if given), and its config."""
    if method == "sre2l":
        config = recipes.sre2l_mnist(ipc)
        config = config if temperature is None else dataclasses.replace(config, temperature=temperature)
        return distill(config, data, seed=0, validate=False, progress=False), config  # theirs keeps the last images
    if method == "rded":
        config = recipes.rded_mnist(ipc)
        config = config if temperature is None else dataclasses.replace(config, temperature=temperature)
        config = config if factor is None else dataclasses.replace(config, factor=factor)
        return rded(config, data, seed=0), config
    raise ValueError(f"unknown method {method!r}; use sre2l or rded")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--runs", nargs="+", default=["sre2l:1", "rded:1", "sre2l:10", "rded:10"], metavar="METHOD:IPC[:FACTOR]"
    )
    parser.add_argument(
        "--temperature",
        type=float,
        default=None,
        help="relabel at this temperature instead of the paper's (SRe2L 30, RDED 20)",
    )
    parser.add_argument("--dataset", default="mnist", help="the real data: mnist (default) or fashion_mnist")
    args = parser.parse_args()
    data = load(args.dataset)
    plan = recipes.leaderboard()
    began = time.perf_counter()
    teacher = teachers.load_or_train(recipes.sre2l_mnist().teacher(), data)
    print(
        f"teacher: BatchNorm ConvNet width {teacher.spec.width}, {teacher.spec.epochs} epoch(s) on "
        f"{teacher.spec.train_examples} images: {100 * teacher.test_accuracy:.1f}% on the test set, trained in "
        f"{teacher.seconds:.0f} s on {teacher.built_on} (this call: {time.perf_counter() - began:.0f} s)",
        flush=True,
    )
    rows = []
    for run in args.runs:
        method, ipc, *factor = run.split(":")
        began = time.perf_counter()
        made, config = make(method, int(ipc), data, args.temperature, int(factor[0]) if factor else None)
        seconds = time.perf_counter() - began
        judge = fair.Judge(protocol.sized(made.config, plan.evaluation), plan.evaluation.n_models, plan.test_examples)
        scores = fair.fair_scores(
            made, data, judge, teacher=lambda images, t=config.temperature: teacher.soft_labels(images, t)
        )
        name = method.upper().replace("SRE2L", "SRe2L") + (f" (factor {factor[0]})" if factor else "")
        rows.append(
            f"| {name} | {ipc} | {scores.hard.format()} | "
            f"{scores.random_hard.format()} | {fair.points(scores.gain)} | {config.temperature:g} | "
            f"{scores.soft.format()} | {scores.random_soft.format()} | {fair.points(scores.soft_gain)} | "
            f"{scores.whole.format()} | {seconds:.0f} s |"
        )
        print(rows[-1], flush=True)
    print(
        f"\n{data.name} test accuracy (first {plan.test_examples} test images), profile {profile.current()}: "
        f"{plan.evaluation.n_models} ConvNets of width {plan.width}, {plan.evaluation.epoch_fraction:g} of the "
        f"protocol's epochs, DSA; {platform.machine()}, {torch.get_num_threads()} thread(s), torch {torch.__version__}"
    )
    print(
        "| method | ipc | hard labels | random real, hard | gain | T | teacher's labels | random real, teacher's | "
        "gain | all real data | make time |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
