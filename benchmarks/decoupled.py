"""SRe2L, RDED and IDC on MNIST or Fashion-MNIST at 1 and 10 images per class, judged fairly: each
set with class labels and (SRe2L, RDED) with its teacher's soft labels, beside random real images of
the same counts under both (`ddlab.experiments.fair`, the random images relabelled by the same teacher
at the same temperature). DD-Ranking's question: how much of a method's score is its images, and how
much its labels?

    OMP_NUM_THREADS=1 DDLAB_PROFILE=default python benchmarks/decoupled.py                 # all four runs
    OMP_NUM_THREADS=1 DDLAB_PROFILE=default python benchmarks/decoupled.py --runs rded:1
    OMP_NUM_THREADS=1 DDLAB_PROFILE=default python benchmarks/decoupled.py --temperature 1   # labels as they are
    OMP_NUM_THREADS=1 DDLAB_PROFILE=default python benchmarks/decoupled.py --runs rded:1:2 rded:10:2   # their ImageNet factor
    OMP_NUM_THREADS=1 DDLAB_PROFILE=default python benchmarks/decoupled.py --dataset fashion_mnist   # the same recipes on clothes
    OMP_NUM_THREADS=1 DDLAB_PROFILE=default python benchmarks/decoupled.py --record --runs sre2l:1 rded:1 idc:1 \
        sre2l:10 rded:10 idc:10            # the table notebook 15 prints (benchmarks/fair_scores.json)

The sets are the course's recipes (`recipes.sre2l_mnist`, `recipes.rded_mnist`), or with `--record`
the reference set in assets/ where one exists (`sre2l_mnist_10`: their 1,000 recovery steps); IDC is
always a reference set (its runs take CPU-hours), judged on its decoded images with IDC's augmentation
and class labels only (its method has no teacher). Every set is judged like a leaderboard row
(`recipes.leaderboard()`'s evaluation: the ConvNet of the plan's width, DSA augmentation but for IDC,
its share of the epochs, its networks and test images). The table goes into
benchmarks/RESULTS.md; `--record` also merges its rows into benchmarks/fair_scores.json (one row per
dataset, method and images per class), which notebook 15 prints.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import platform
import subprocess
import time
from pathlib import Path

import torch

from ddlab import profile, protocol, recipes
from ddlab.data import load
from ddlab.distill import distill
from ddlab.experiments import fair
from ddlab.methods import rded
from ddlab.sources import assets, teachers

RECORD = Path(__file__).with_name("fair_scores.json")


def reference(method: str, ipc: int, data) -> tuple[str, object] | None:
    """The reference set of `method` with `ipc` images per class for `data` in assets/ (IDC: with
    multi-formation), and its name; None if there is none."""
    name = f"{method}_{data.name}_{10 * ipc}"
    return (name, assets.load(name, data.device)) if name in assets.SHA256 else None


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
    raise ValueError(f"unknown method {method!r}; use sre2l or rded (idc: a reference set, with --record)")


def scored_row(scores: fair.FairScores, dataset: str, method: str, ipc: int, source: str, seconds, temperature):
    """One row of benchmarks/fair_scores.json: every score as mean, std and networks."""
    as_dict = lambda s: None if s is None else {"mean": s.mean, "std": s.std, "n": len(s.accuracies)}  # noqa: E731
    return {
        "dataset": dataset,
        "method": method,
        "ipc": ipc,
        "source": source,
        "seconds": seconds,
        "temperature": temperature,
        **{k: as_dict(getattr(scores, k)) for k in ("hard", "random_hard", "soft", "random_soft", "whole")},
    }


def record(rows: list[dict], judge: str) -> None:
    """Merge `rows` into benchmarks/fair_scores.json, replacing rows of the same dataset, method and ipc."""
    kept = json.loads(RECORD.read_text())["rows"] if RECORD.is_file() else []
    key = lambda r: (r["dataset"], r["method"], r["ipc"])  # noqa: E731
    new = {key(r) for r in rows}
    merged = sorted([r for r in kept if key(r) not in new] + rows, key=key)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    RECORD.write_text(
        json.dumps(
            {
                "command": "benchmarks/decoupled.py --record (see its docstring)",
                "judge": judge,
                "machine": f"{platform.machine()}, {torch.get_num_threads()} thread(s), torch {torch.__version__}",
                "date": datetime.date.today().isoformat(),
                "commit": commit,
                "rows": merged,
            },
            indent=1,
        )
        + "\n"
    )


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
    parser.add_argument(
        "--record", action="store_true", help="use reference sets where they exist; merge the rows into " + RECORD.name
    )
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
    rows, recorded = [], []
    for run in args.runs:
        method, ipc, *factor = run.split(":")
        ipc, began = int(ipc), time.perf_counter()
        found = reference(method, ipc, data) if args.record or method == "idc" else None
        if found is not None:
            source, made = found
            seconds = float(assets.summary(source)["seconds"])
        elif method == "idc":
            raise SystemExit(f"no IDC reference set {method}_{data.name}_{10 * ipc} in assets/")
        else:
            made, config = make(method, ipc, data, args.temperature, int(factor[0]) if factor else None)
            source, seconds = f"recipes.{method}_mnist({ipc})", time.perf_counter() - began
        judge = fair.Judge(protocol.sized(made.config, plan.evaluation), plan.evaluation.n_models, plan.test_examples)
        relabel = teachers.relabeller(made.config, data)
        if relabel is not None and args.temperature is not None:
            relabel = lambda images, t=args.temperature: teacher.soft_labels(images, t)  # noqa: E731
        scores = fair.fair_scores(made, data, judge, teacher=relabel)
        temperature = made.config.get("temperature") if args.temperature is None else args.temperature
        name = {"sre2l": "SRe2L"}.get(method, method.upper()) + (f" (factor {factor[0]})" if factor else "")
        rows.append(
            f"| {name} | {ipc} | {scores.hard.format()} | {scores.random_hard.format()} | {fair.points(scores.gain)} | "
            f"{'—' if temperature is None else f'{temperature:g}'} | {_cell(scores.soft)} | "
            f"{_cell(scores.random_soft)} | {fair.points(scores.soft_gain)} | {scores.whole.format()} | {seconds:.0f} s |"
        )
        recorded.append(scored_row(scores, data.name, method, ipc, source, seconds, temperature))
        print(rows[-1], flush=True)
    print(
        f"\n{data.name} test accuracy (first {plan.test_examples} test images), profile {profile.current()}: "
        f"{plan.evaluation.n_models} ConvNets of width {plan.width}, {plan.evaluation.epoch_fraction:g} of the "
        f"protocol's epochs, each set's augmentation (IDC: its own; else DSA); {platform.machine()}, "
        f"{torch.get_num_threads()} thread(s), torch {torch.__version__}"
    )
    print(
        "| method | ipc | hard labels | random real, hard | gain | T | teacher's labels | random real, teacher's | "
        "gain | all real data | make time |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    if args.record:
        whole = plan.fair
        record(
            recorded,
            f"{plan.describe()}, each set with its paper's augmentation (SRe2L, RDED: DSA; IDC: its own); all real "
            f"data: {whole.n_models} ConvNet(s) trained {whole.epochs} epoch(s) on {whole.examples or 'all'} images",
        )
        print(f"merged {len(recorded)} row(s) into {RECORD}")


def _cell(scores) -> str:
    return "—" if scores is None else scores.format()


if __name__ == "__main__":
    main()
