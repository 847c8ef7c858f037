"""Benchmark: the default profile's cuts of issue 16, each old path against the new one in one run.

Each pair does the same job the old way and the new way on this machine, one after the other, and
prints both times, their ratio and what the results agree on:

1. a reference set's accuracy under the default judge (notebooks 05-08): trained again by
   ``ddlab.evaluate`` (old) vs read from its record by ``ddlab.assets.recorded_score`` (new);
2. MTT's default experts (notebooks 08, 09): built on this machine (old) vs loaded from
   ``assets/experts/``, verified (new);
3. notebook 07's DM run (shared with 10-12): the driver's default of a validation check every 10
   iterations (old) vs the course's four checks (``recipes.validation_pace``, new).

    OMP_NUM_THREADS=1 python benchmarks/course_speedups.py        # about 8 minutes on one core
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable

os.environ["DDLAB_PROFILE"] = "default"  # before ddlab reads it: the default profile's budgets

import torch  # noqa: E402

import ddlab  # noqa: E402
from ddlab import recipes  # noqa: E402
from ddlab.methods.mtt import expert_spec  # noqa: E402
from ddlab.sources import experts  # noqa: E402


def timed(job: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    made = job()
    return time.perf_counter() - start, made


def row(what: str, old: float, new: float, agree: str) -> None:
    ratio = old / new
    print(f"| {what} | {old:.1f} s | {new:.3g} s | {ratio:,.{0 if ratio >= 10 else 1}f}x | {agree} |", flush=True)


def main() -> None:
    data = ddlab.load("mnist")
    print(f"{torch.get_num_threads()} thread(s), PyTorch {torch.__version__}\n")
    print("| job | old | new | ratio | results |\n|---|---|---|---|---|")

    reference = ddlab.assets.load("dm_mnist_10", data.device)
    old, scores = timed(lambda: ddlab.evaluate(reference, data))
    new, recorded = timed(lambda: ddlab.assets.recorded_score("dm_mnist_10"))
    row(
        "dm_mnist_10's accuracy, default judge (4 ConvNets, 300 epochs)",
        old,
        new,
        f"retrained {scores.format()} vs recorded {recorded.mean * 100:.1f} ± {recorded.std * 100:.1f}%",
    )

    spec = expert_spec(recipes.mtt_mnist(1))
    with tempfile.TemporaryDirectory() as root:
        old, built = timed(lambda: experts.load_or_build(spec, data, root=root, rebuild=True, progress=False))
    new, shipped = timed(lambda: experts.load_or_build(spec, data, root=tempfile.gettempdir()))
    same = all(torch.equal(built.params[k], shipped.params[k]) for k in built.params)
    row(
        f"MTT experts ({spec.n_experts} x {spec.epochs} epochs, width {spec.width})",
        old,
        new,
        "bit-identical weights"
        if same
        else f"other weights (built on {shipped.built_on} when shipped); last-epoch accuracy "
        f"{100 * experts.accuracy_per_epoch(built, data, 2000)[:, -1].mean():.1f}% vs "
        f"{100 * experts.accuracy_per_epoch(shipped, data, 2000)[:, -1].mean():.1f}% on 2,000 test images",
    )

    config = recipes.dm_mnist(1)
    old, every_10 = timed(lambda: ddlab.distill(config, data, seed=0, progress=False))
    new, four = timed(
        lambda: ddlab.distill(config, data, seed=0, progress=False, eval_every=recipes.validation_pace(config))
    )
    row(
        f"notebook 07's DM run ({config.iterations} iterations)",
        old,
        new,
        f"{len(every_10.history['accuracy'])} vs {len(four.history['accuracy'])} checks; best validation "
        f"{100 * max(every_10.history['accuracy']):.1f}% vs {100 * max(four.history['accuracy']):.1f}%",
    )


if __name__ == "__main__":
    main()
