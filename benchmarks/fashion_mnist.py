"""DM and DC on Fashion-MNIST at 1 and 10 images per class: the course's recipes (default profile),
each beside random real images of the same counts trained under the same protocol (labels,
augmentation, epochs: `ddlab.experiments.fair`), and beside the papers' numbers.

    OMP_NUM_THREADS=1 DDLAB_PROFILE=default python benchmarks/fashion_mnist.py            # all four runs
    OMP_NUM_THREADS=1 DDLAB_PROFILE=default python benchmarks/fashion_mnist.py --runs dm:1 dm:10
    OMP_NUM_THREADS=1 DDLAB_PROFILE=default python benchmarks/fashion_mnist.py --runs dc:10:real   # another init

Nothing is tuned for Fashion-MNIST: the MNIST recipes run unchanged, which is the point of a second
dataset. The table goes into benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import time

import torch

from ddlab import papers, profile, protocol, recipes
from ddlab.data import load
from ddlab.distill import distill
from ddlab.experiments import fair

RECIPES = {"dm": recipes.dm_mnist, "dc": recipes.dc_mnist}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--runs",
        nargs="+",
        default=["dm:1", "dm:10", "dc:1", "dc:10"],
        metavar="METHOD:IPC[:INIT]",
        help="runs of the course recipes; INIT (noise or real) replaces the recipe's init",
    )
    args = parser.parse_args()
    data = load("fashion_mnist")
    budget = recipes.evaluation()
    rows = []
    for run in args.runs:
        method, ipc, *init = run.split(":")
        config = RECIPES[method](int(ipc))
        config = dataclasses.replace(config, init=init[0]) if init else config
        began = time.perf_counter()
        made = distill(config, data, seed=0, eval_every=max(10, config.iterations // 4), progress=False)
        seconds = time.perf_counter() - began
        judge = fair.Judge(protocol.sized(made.config, budget), budget.n_models)
        scores = fair.fair_scores(made, data, judge)
        paper = "; ".join(
            f"{n.method.upper()} {n.value}"
            for n in papers.numbers(dataset="fashion_mnist", ipc=int(ipc))
            if n.method in ("dc", "dsa")
        )
        rows.append(
            f"| {method.upper()}{f' ({init[0]} init)' * bool(init)} | {ipc} | {scores.hard.format()} | {scores.random_hard.format()} | "
            f"{fair.points(scores.gain)} | {scores.whole.format()} | {paper} | {seconds:.0f} s |"
        )
        print(rows[-1], flush=True)
    print(
        f"\nFashion-MNIST test accuracy (10,000 images), profile {profile.current()}; {platform.machine()}, "
        f"{torch.get_num_threads()} thread(s), torch {torch.__version__}"
    )
    print(
        "| method | ipc | distilled | random real, same protocol | gain (points) | all real data | papers | distil time |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
