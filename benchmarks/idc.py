"""IDC on MNIST at one stored image per class: what multi-formation buys, judged as IDC's code judges.

    OMP_NUM_THREADS=1 python benchmarks/idc.py                   # the reference sets and their inits
    OMP_NUM_THREADS=1 python benchmarks/idc.py --models 2 --epochs 100   # a quicker look

The reference sets were made by (default profile, one thread; recorded in each set's JSON), the
three runs side by side on one shared core:

    python -m ddlab distill idc --ipc 1 --factor 2 --lr 0.05 --iterations 300 --eval-every 50 --n-models 5 \\
        --out assets/idc_mnist_10_stage1.pt --checkpoint-every 25
    python -m ddlab distill idc ... --start-from idc_mnist_10_stage1 --out assets/idc_mnist_10.pt   (300 more)
    python -m ddlab distill idc --ipc 1 --factor 1 --lr 0.3 ... --out assets/idc_i_mnist_10.pt
    python -m ddlab distill idc --ipc 1 --factor 2 --lr 0.3 ...            (not shipped: scored lower)

For factor 2 (IDC) and factor 1 (IDC-I) it scores, under IDC's published protocol (`protocol.as_published`:
ConvNets of width 128, 1000 epochs in minibatches of 64, IDC's augmentation and schedule, CutMix for
IDC-I, the stored set decoded):

(a) where distillation starts: IDC's init (four random real digits per class, each shrunk into a
    quarter of one stored image) and IDC-I's (one random real digit per class), without a single
    update — the part of IDC's gain that comes from the parameterisation alone;
(b) the reference set in assets/, if it is there;
(c) the paper's number (`ddlab.papers`, IDC's README).
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import time

import torch

from ddlab import papers, protocol
from ddlab.data import load
from ddlab.evaluate import evaluate
from ddlab.methods.idc import IDC, SyntheticDataParameterization
from ddlab.sources import assets
from ddlab.synthetic import SyntheticSet

REFERENCE_SETS = {2: "idc_mnist_10", 1: "idc_i_mnist_10"}


def judged(synthetic: SyntheticSet, data, models: int, epochs: int | None) -> tuple[float, float]:
    """Mean and std (in %) of `models` width-128 ConvNets trained on the decoded set, IDC's protocol."""
    chosen = protocol.as_published(synthetic.config)
    if epochs is not None:
        chosen = dataclasses.replace(chosen, epochs=epochs)
    scores = evaluate(synthetic, data, n_models=models, protocol=chosen)
    return 100 * scores.mean, 100 * scores.std


def initial_set(factor: int, data, seed: int) -> SyntheticSet:
    """The set IDC starts from at this factor, before any update."""
    return SyntheticDataParameterization(IDC(factor=factor), data, torch.Generator().manual_seed(seed)).snapshot()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=5, help="networks per score (default 5, as the paper's judge)")
    parser.add_argument(
        "--epochs", type=int, default=None, help="fewer epochs than the protocol's 300, for a quick look"
    )
    parser.add_argument("--inits", type=int, default=2, help="random inits scored per factor")
    args = parser.parse_args()
    torch.manual_seed(0)
    data = load("mnist")
    print(
        f"# IDC on MNIST, 1 stored image per class; {platform.processor() or platform.machine()}, "
        f"{torch.get_num_threads()} thread(s); {args.models} networks per score, "
        f"{args.epochs or 300} epochs"
    )
    print("| factor | set | IDC's judge | paper |")
    print("|---|---|---|---|")
    for factor, name in REFERENCE_SETS.items():
        paper = papers.number(paper="idc", dataset="mnist", ipc=1, factor=factor).value
        for seed in range(args.inits):
            start = time.perf_counter()
            mean, std = judged(initial_set(factor, data, seed), data, args.models, args.epochs)
            print(
                f"| {factor} | init, seed {seed} (no update) | {mean:.1f} ± {std:.1f}% | {paper} |"
                f"  <!-- {time.perf_counter() - start:.0f} s -->"
            )
        path = assets.ASSETS_DIR / f"{name}.pt"
        if path.exists():
            mean, std = judged(SyntheticSet.load(path), data, args.models, args.epochs)
            print(f"| {factor} | `{name}` | {mean:.1f} ± {std:.1f}% | {paper} |")


if __name__ == "__main__":
    main()
