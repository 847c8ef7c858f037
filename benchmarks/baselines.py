"""Benchmark: distilled data against real-image baselines of the same size (Wang et al. 2018, Table 1).

One table per DD layout of the course, each baseline with a tuned fixed step size, under both init
settings, beside the reference distilled sets of that layout: "fixed" — 1 step x 3 epochs, 10
images, `assets/dd_fixed_mnist_10`; "random" — 10 steps x 3 epochs, 100 images,
`assets/dd_random_mnist_100` (distilled for random inits) and `assets/dd_fixed_mnist_100` (for the
fixed init), as in the paper's Table 1. Also prints the wall and CPU seconds of each table.

    OMP_NUM_THREADS=1 python benchmarks/baselines.py --layout fixed --models 10 --sets 3
"""

from __future__ import annotations

import argparse
import time

import ddlab
from ddlab.experiments.baselines import BASELINES
from ddlab.experiments.comparison import compare

# layout -> its distilled reference sets
LAYOUTS = {"fixed": ("dd_fixed_mnist_10",), "random": ("dd_random_mnist_100", "dd_fixed_mnist_100")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layout", default="both", choices=(*LAYOUTS, "both"))
    parser.add_argument("--models", type=int, default=10, help="unseen networks per set under a random init")
    parser.add_argument("--sets", type=int, default=3, help="draws of each random baseline")
    parser.add_argument(
        "--names",
        nargs="+",
        default=list(BASELINES),
        choices=list(BASELINES),
        help="baselines to include (default: all)",
    )
    parser.add_argument("--device", default=None)
    args = parser.parse_args()

    data = ddlab.load("mnist", device=args.device)
    for name in LAYOUTS if args.layout == "both" else (args.layout,):
        like = [ddlab.assets.load(asset, data.device) for asset in LAYOUTS[name]]
        wall, cpu = time.perf_counter(), time.process_time()
        table = compare(like, data, names=tuple(args.names), n_models=args.models, n_sets=args.sets)
        print(table)
        print(
            f"\n({name} layout: {time.perf_counter() - wall:.0f} s wall, {time.process_time() - cpu:.0f} s CPU "
            f"on {data.device}, {args.models} unseen networks per set, up to {args.sets} draws per baseline)\n",
            flush=True,
        )


if __name__ == "__main__":
    main()
