"""`train_many` of this checkout against the one of an earlier commit, in one process: the same
networks, set and seed through both, results compared bit for bit, then both timed alternately.
For changes to the training loop that must not change what it computes (issue 28's CutMix hook and
decay factor; defaults keep the old arithmetic).

    OMP_NUM_THREADS=1 python benchmarks/train_many_against.py 2d84182
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]


def functional_at(folder: Path):
    """`ddlab.functional` imported from the package in `folder` (the modules it loads are then forgotten)."""
    sys.path.insert(0, str(folder))
    try:
        for name in [m for m in sys.modules if m == "ddlab" or m.startswith("ddlab.")]:
            del sys.modules[name]
        return importlib.import_module("ddlab.functional")
    finally:
        sys.path.remove(str(folder))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("commit", help="the earlier commit whose train_many is the reference")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old_tree = Path(tmp) / "old"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(old_tree), args.commit], check=True
        )
        try:
            versions = {"old": functional_at(old_tree), "new": functional_at(ROOT)}
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old_tree)], check=True)
    from ddlab.nets import make_net, sample_inits

    net = make_net("convnet", 1, 10, 28, width=32)
    x, y = torch.randn(40, 1, 28, 28, generator=torch.Generator().manual_seed(2)), torch.arange(10).repeat(4)
    inits = sample_inits(net, 2, "default", torch.Generator().manual_seed(0), torch.device("cpu"))

    def run(functional):
        schedule = functional.Schedule(
            epochs=60, batch_size=64, lr=0.01, momentum=0.9, weight_decay=5e-4, decay_at=(0.5,)
        )
        return functional.train_many(net, inits, x, y, schedule, torch.Generator().manual_seed(1))

    old, new = run(versions["old"]), run(versions["new"])
    equal = all(torch.equal(old[k], new[k]) for k in old)
    times = {name: [] for name in versions}
    for _ in range(args.rounds):
        for name, functional in versions.items():
            start = time.perf_counter()
            run(functional)
            times[name].append(time.perf_counter() - start)
    old_s, new_s = (statistics.median(times[name]) for name in versions)
    print(
        f"train_many, 2 ConvNets of width 32, 40 images, 60 epochs, {torch.get_num_threads()} thread(s): "
        f"{args.commit} {old_s:.3f} s, this checkout {new_s:.3f} s ({old_s / new_s:.3f}x); "
        f"trained weights {'bit-equal' if equal else 'DIFFERENT'}"
    )


if __name__ == "__main__":
    main()
