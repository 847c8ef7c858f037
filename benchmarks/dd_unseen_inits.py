"""Benchmark: random-init DD sets compared on the *same*, larger draw of unseen initialisations.

A reference set's JSON reports 20 unseen inits drawn from its run's seed, so two runs with
different seeds are scored on different networks, and 20 LeNets leave a standard error of about
0.5 points; that is as large as the differences between continuations. This scores every set
named (reference sets by name, other runs by path) on the same `--n-models` unseen inits and
prints mean ± std, the standard error of the mean, and the mean of the first 20 of them.

    OMP_NUM_THREADS=2 python benchmarks/dd_unseen_inits.py dd_random_mnist_100_stage1 dd_random_mnist_100
"""

from __future__ import annotations

import argparse
import time

import ddlab


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", metavar="SET", help="reference set names or paths to saved sets")
    parser.add_argument("--n-models", type=int, default=100, help="unseen random inits (default: 100)")
    parser.add_argument("--seed", type=int, default=0, help="which draw of unseen inits (default: 0)")
    parser.add_argument("--device", default=None)
    args = parser.parse_args()

    data = ddlab.load("mnist", device=args.device)
    for name in args.sets:
        synthetic = (
            ddlab.SyntheticSet.load(name, data.device) if name.endswith(".pt") else ddlab.assets.load(name, data.device)
        )
        began = time.perf_counter()
        accuracies = (
            100 * ddlab.evaluate(synthetic, data, init="random", n_models=args.n_models, seed=args.seed).accuracies
        )
        print(
            f"{name}: {accuracies.mean():.2f} ± {accuracies.std():.2f}% on {len(accuracies)} unseen inits "
            f"(standard error {accuracies.std() / len(accuracies) ** 0.5:.2f}; first 20: "
            f"{accuracies[:20].mean():.2f}%) in {time.perf_counter() - began:.0f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
