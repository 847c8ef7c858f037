"""The leaderboard: every method of the course on MNIST with the same number of images per class.

One entry is one way to get `ipc` images per class — a distillation method (DD under random inits,
DC, DSA, DM, MTT) run through `ddlab.distill`, a reference set from `assets/`, or a coreset of real
images (`ddlab.baselines`: random, herding, k-center) — and `run` turns it into a `Row`: the set,
its test accuracy (mean ± std over fresh networks), the wall time and peak memory of making it, and
where it came from. `Leaderboard` renders the rows as a table beside the papers' numbers,
`cross_architecture` trains other networks on the ConvNet-made sets, `show_sets` draws them.

Fairness. Every set but DD's is judged the same way: the DC/DSA/DM/MTT protocol (`ddlab.protocol`,
each set with its paper's augmentation; MTT with its learned step size) on a ConvNet of one width,
the same networks' seeds and the same test images for every row; only the images differ. DD's set
is a training *schedule* (images with learned step sizes for LeNet), so it is replayed under Wang et
al.'s protocol on unseen random LeNet initialisations instead, and left out of the cross-architecture
table (it was not made on a ConvNet).

Budgets (`budget()`, from the active `ddlab.profile`). Live runs start from each method's course
recipe (`ddlab.recipes`, what its own notebook runs). A CPU cannot run the papers' budgets, so the
default profile cuts each live run to a minute or so at width 32 (`Budget.overrides`), evaluates on
fewer networks, epochs and test images, and uses a reference set from `assets/` where one exists for
the method and size; each row says which it is and what was changed. Quick compares 1 image per
class; default and full compare 1 and 10 (at 10 per class the default profile takes every distilled
set from `assets/`: live runs of that size cost CPU-hours). The full profile (a GPU) runs the
recipes' full settings and uses no reference sets.

Peak memory is what Binder and GPUs limit: on a GPU the CUDA allocator's peak, on a CPU the peak
resident set of the whole process (Linux: VmHWM, reset before each row), data included; beside it,
how far it rose above what was in use before the row (what making the set itself needed).
"""
from __future__ import annotations

import json
import math
import re
import resource
import sys
import time
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Iterable

import torch

from . import assets, baselines, profile, protocol, recipes
from .callbacks import Callback
from .comparison import PAPER_DD
from .data import Dataset
from .distill import distill
from .evaluate import Scores, evaluate
from .experts import cache_path
from .methods.dd import DD
from .methods.mtt import expert_spec
from .synthetic import SyntheticSet

DISTILLED = ("dd", "dc", "dsa", "dm", "mtt")            # methods that learn their images
CORESETS = ("random_real", "herding", "kcenter")         # real images picked by a rule
METHODS = DISTILLED + CORESETS
ARCHS = ("convnet", "mlp", "lenet")                      # networks of the cross-architecture table

# (method, images per class) -> the paper's MNIST accuracy (%), only where checked against a public
# source: DC (Zhao et al. 2021) and DSA (Zhao & Bilen 2021) as quoted in Table 1 of Nguyen et al.
# 2021 ("Dataset Distillation with Infinitely Wide Convolutional Networks"); DD under random inits
# from Wang et al.'s project page (`ddlab.comparison`: 10 steps x 1 image per class). DM's and the
# coresets' numbers could not be checked from here and are left out rather than quoted from memory.
PAPER = {("dc", 1): "91.7 ± 0.5", ("dc", 10): "97.4 ± 0.2", ("dsa", 1): "88.7 ± 0.6", ("dsa", 10): "97.8 ± 0.1",
         ("dd", 10): PAPER_DD[("mnist", "lenet", 1, 10, 3, "random")]}


@dataclass(frozen=True)
class Budget:
    """What the active profile affords the leaderboard."""
    ipcs: tuple[int, ...]                 # images per class compared
    width: int                            # ConvNet channels of every evaluation (and of live DC/DSA/DM runs)
    epoch_fraction: float                 # of the paper protocol's epochs (1000 with augmentation)
    n_models: int                         # fresh networks per evaluation: mean ± std over them
    test_examples: int                    # test images each network is scored on (the first ones)
    use_assets: bool                      # take a reference set from assets/ where one exists
    checks: int                           # validation checks per live run (the driver returns the best)
    check_models: int                     # networks per validation check
    check_examples: int                   # training images in the validation slice
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)  # method -> settings of its live run

    def describe(self) -> str:
        return (f"{self.n_models} fresh networks per set, tested on the first {self.test_examples} test images; "
                f"ConvNet width {self.width}, {self.epoch_fraction:g} x the protocol's epochs")


def budget() -> Budget:
    """The leaderboard's budget for the active profile. Live runs start from each method's course
    recipe (`recipe`): quick = seconds; default = about a CPU-minute each, so fewer iterations than the
    recipes (DC/DSA: 80 with 64 real images per class, DC from real images as its noise start needs
    far more; DM: its recipe's 200; MTT: 100; DD: 150); full = the recipes' full profile, the papers'
    settings. Seconds per iteration: benchmarks/RESULTS.md."""
    return profile.pick(
        quick=Budget(ipcs=(1,), width=16, epoch_fraction=0.02, n_models=2, test_examples=1000, use_assets=True,
                     checks=1, check_models=1, check_examples=500,
                     overrides={"dd": dict(iterations=3, real_batch=64), "dc": dict(iterations=3, init="real"),
                                "dsa": dict(iterations=3), "dm": dict(iterations=5), "mtt": dict(iterations=5)}),
        default=Budget(ipcs=(1, 10), width=32, epoch_fraction=0.15, n_models=3, test_examples=5000, use_assets=True,
                       checks=4, check_models=2, check_examples=1000,
                       overrides={"dd": dict(iterations=150), "dc": dict(iterations=80, init="real"),
                                  "dsa": dict(iterations=80), "mtt": dict(iterations=100)}),
        full=Budget(ipcs=(1, 10), width=128, epoch_fraction=1.0, n_models=20, test_examples=10_000, use_assets=False,
                    checks=50, check_models=4, check_examples=2000))


def recipe(method: str, ipc: int) -> tuple[str, Any]:
    """The course recipe of `method` for `ipc` images per class, and how it is called: what the
    method's own notebook runs (DD: notebook 02's random-init recipe, laid out as the paper's
    random-init runs, `ipc` steps of one image per class)."""
    if method == "dd":
        return (f"recipes.dd_init_settings_mnist_10() as {ipc} step(s) of one image per class",
                replace(recipes.dd_init_settings_mnist_10(), steps=ipc))
    makers = {"dc": recipes.dc_mnist, "dsa": recipes.dsa_mnist, "dm": recipes.dm_mnist, "mtt": recipes.mtt_mnist}
    if method not in makers:
        raise ValueError(f"{method!r} is not distilled; distilled methods: {', '.join(DISTILLED)}")
    return f"recipes.{makers[method].__name__}({ipc})", makers[method](ipc)


def live_config(method: str, ipc: int, plan: Budget) -> Any:
    """The config a live run of `method` uses: its course recipe (`recipe`) changed by the plan's
    overrides, DC/DSA/DM at the plan's width (DD's LeNet has none; MTT keeps its recipe's, the width
    its cached experts were trained at)."""
    width = {"width": plan.width} if method in ("dc", "dsa", "dm") else {}
    return replace(recipe(method, ipc)[1], **width, **plan.overrides.get(method, {}))


def reference_asset(method: str, ipc: int) -> tuple[str, SyntheticSet] | None:
    """A reference set in assets/ made by `method` with `ipc` images per class (DD: under random
    inits), verified and loaded (on the CPU), with its name; None if there is none. Where several
    match, the first by name: `mtt_dsa_mnist_10` (MTT with DSA, as its paper) before `mtt_mnist_10`,
    a set before its earlier `_stage` runs. Read from the sets' own configs, which every copy carries
    (the JSON summaries exist only in a clone)."""
    for name in sorted(assets.SHA256):
        reference = assets.load(name)
        made = reference.config
        per_class = int(made.get("ipc", 0)) * int(made.get("steps", 1))
        if made.get("method") == method and per_class == ipc and (method != "dd" or made.get("init") == "random"):
            return name, reference
    return None


def coreset(name: str, data: Dataset, ipc: int, seed: int = 0, width: int = 128) -> SyntheticSet:
    """`ipc` real images per class picked by baseline `name` (`CORESETS`), laid out for
    `ddlab.protocol`: class-major labels, no step sizes; `width`: the ConvNet it is evaluated on."""
    if name not in CORESETS:
        raise ValueError(f"unknown coreset {name!r}; available: {', '.join(CORESETS)}")
    per_class = baselines.BASELINES[name](data, DD(ipc=ipc, steps=1), seed)        # (classes, ipc, C, H, W)
    labels = torch.arange(data.num_classes, device=data.device).repeat_interleave(ipc)
    config = {"method": name, "ipc": ipc, "width": width, "dataset": data.name}
    return SyntheticSet(per_class.flatten(0, 1).clone(), labels, None, config, seed=seed)


class PeakMemory:
    """``with PeakMemory(device) as peak: ...`` then ``peak.mib``: the peak memory inside the block,
    in MiB, and ``peak.added``: how far it rose above the memory in use on entry. On a GPU the CUDA
    allocator's; else the process's resident set (on Linux its high-water mark is reset on entry;
    elsewhere ``ru_maxrss``, the peak since the process started, and no `added`)."""

    def __init__(self, device: torch.device):
        self.device, self.mib, self.added = torch.device(device), float("nan"), float("nan")

    def __enter__(self) -> "PeakMemory":
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
            self._start = torch.cuda.memory_allocated(self.device) / 2 ** 20
            return self
        try:
            Path("/proc/self/clear_refs").write_text("5")          # resets VmHWM to the current RSS
            self._start = _proc_status_mib("VmRSS")
        except (OSError, AttributeError):
            self._start = float("nan")                              # not Linux: ru_maxrss below
        return self

    def __exit__(self, *exc) -> None:
        if self.device.type == "cuda":
            self.mib = torch.cuda.max_memory_allocated(self.device) / 2 ** 20
        else:
            try:
                self.mib = _proc_status_mib("VmHWM")
            except (OSError, AttributeError):
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss   # KiB on Linux, bytes on macOS
                self.mib = peak / (2 ** 20 if sys.platform == "darwin" else 1024)
        self.added = self.mib - self._start


def _proc_status_mib(field_name: str) -> float:
    """A memory field of /proc/self/status (Linux), in MiB."""
    status = Path("/proc/self/status").read_text()
    return int(re.search(rf"{field_name}:\s+(\d+) kB", status).group(1)) / 1024


@dataclass(frozen=True)
class Row:
    method: str                   # a name of METHODS
    ipc: int                      # images per class
    synthetic: SyntheticSet       # the set that was evaluated
    scores: Scores                # test accuracy of every evaluated network
    seconds: float | None         # wall time of making the set (an asset: of its recorded run, if known)
    peak_mib: float | None        # peak memory while making it (None: loaded from assets/)
    added_mib: float | None       # how far that peak rose above the memory in use before
    source: str                   # how the set was made: live with which budget, or which asset

    @property
    def paper(self) -> str | None:
        return PAPER.get((self.method, self.ipc))


def evaluation(synthetic: SyntheticSet, plan: Budget, arch: str | None = None) -> protocol.Protocol:
    """The protocol every non-DD row is judged with: its paper's (augmentation; MTT: learned step size),
    at the plan's ConvNet width and share of the epochs, on `arch` (default: the ConvNet)."""
    chosen = protocol.paper(synthetic.config)
    return replace(chosen, width=plan.width, epochs=max(1, round(plan.epoch_fraction * chosen.epochs)),
                   arch=arch or chosen.arch)


def score(synthetic: SyntheticSet, data: Dataset, plan: Budget, arch: str | None = None, seed: int = 0) -> Scores:
    """Test accuracy of `plan.n_models` fresh networks trained on `synthetic` (see `evaluation`; a DD
    set: replayed on unseen random LeNet initialisations), on the first `plan.test_examples` test images."""
    on = (data.x_test[:plan.test_examples], data.y_test[:plan.test_examples])
    if synthetic.lrs is not None:
        return evaluate(synthetic, data, init="random", n_models=plan.n_models, seed=seed, on=on)
    return evaluate(synthetic, data, n_models=plan.n_models, seed=seed, on=on,
                    protocol=evaluation(synthetic, plan, arch))


def run(method: str, ipc: int, data: Dataset, seed: int = 0, plan: Budget | None = None,
        callbacks: Iterable[Callback] = ()) -> Row:
    """Make the set of `method` with `ipc` images per class (a reference asset if the plan uses them
    and one exists, else live: distilled with `callbacks`, or selected) and score it."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; available: {', '.join(METHODS)}")
    if isinstance(ipc, bool) or not isinstance(ipc, int) or ipc < 1:
        raise ValueError(f"ipc must be a positive integer, got {ipc!r}")
    plan = plan or budget()
    found = reference_asset(method, ipc) if plan.use_assets else None
    if found is not None:
        name, synthetic = found
        synthetic, seconds, peak, added = synthetic.to(data.device), _recorded_seconds(name), None, None
        source = f"reference set assets/{name}.pt, made by `{synthetic.config.get('command', '?')}`"
    else:
        with PeakMemory(data.device) as memory:
            start = time.perf_counter()
            synthetic, source = _make(method, ipc, data, seed, plan, list(callbacks))
            seconds = time.perf_counter() - start
        peak, added = memory.mib, memory.added
    return Row(method, ipc, synthetic, score(synthetic, data, plan, seed=seed), seconds, peak, added, source)


def _recorded_seconds(name: str) -> float | None:
    """How long the run that made asset `name` took, from its JSON summary (only in a clone)."""
    summary = assets.ASSETS_DIR / f"{name}.json"
    return float(json.loads(summary.read_text())["seconds"]) if summary.is_file() else None


def _make(method: str, ipc: int, data: Dataset, seed: int, plan: Budget,
          callbacks: list[Callback]) -> tuple[SyntheticSet, str]:
    if method in CORESETS:
        return coreset(method, data, ipc, seed, plan.width), "live: selected from the training images"
    config = live_config(method, ipc, plan)
    note = ""
    if method == "mtt":
        cached = cache_path(expert_spec(config), data).is_file()
        note = ", experts from the cache" if cached else ", experts built first (cached for next time)"
    eval_every = -(-config.iterations // plan.checks)
    synthetic = distill(config, data, callbacks=callbacks, seed=seed, eval_every=eval_every,
                        eval_models=plan.check_models, eval_examples=plan.check_examples)
    call, base = recipe(method, ipc)
    changed = ", ".join(f"{f.name} {getattr(config, f.name)}" for f in fields(config)
                        if f.name != "iterations" and getattr(config, f.name) != getattr(base, f.name))
    return synthetic, f"live: {config.iterations} iterations of {call}{'; changed: ' * bool(changed)}{changed}{note}"


def _cell(scores: Scores) -> str:
    return f"{100 * scores.mean:.1f} ± {100 * scores.std:.1f}"


@dataclass(frozen=True)
class Leaderboard:
    rows: tuple[Row, ...]
    plan: Budget

    def __str__(self) -> str:
        lines = ["| method | images / class | accuracy (%) | paper (%) | time to make (s) | peak memory, MiB (+ rise) | made by |",
                 "|---|---|---|---|---|---|---|"]
        for row in sorted(self.rows, key=lambda r: (r.ipc, -r.scores.mean)):
            peak = "—" if row.peak_mib is None else f"{row.peak_mib:.0f}" + (
                "" if row.added_mib is None or math.isnan(row.added_mib) else f" (+{row.added_mib:.0f})")
            seconds = "—" if row.seconds is None else f"{row.seconds:.1f}"
            lines.append(f"| {row.method} | {row.ipc} | {_cell(row.scores)} | {row.paper or '—'} | "
                         f"{seconds} | {peak} | {row.source} |")
        lines += ["", f"MNIST, mean ± std over {self.plan.describe()}, the paper protocol's augmentation "
                  "(MTT: its learned step size). DD: LeNet replaying its learned step sizes from unseen "
                  "random initialisations. Time and memory: making the set, not evaluating it; memory is "
                  "the whole process's peak (data included) on a CPU, the CUDA allocator's on a GPU, and "
                  "in brackets how far it rose above what was in use before. "
                  "Paper: only numbers checked against a public source (see `ddlab.leaderboard.PAPER`)."]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return str(self)


@dataclass(frozen=True)
class CrossArchitecture:
    rows: tuple[tuple[str, int, dict[str, Scores]], ...]   # (method, ipc, arch -> scores)
    archs: tuple[str, ...]
    plan: Budget

    def __str__(self) -> str:
        lines = ["| method | images / class | " + " | ".join(self.archs) + " |", "|---" * (len(self.archs) + 2) + "|"]
        for method, ipc, scores in self.rows:
            lines.append(f"| {method} | {ipc} | " + " | ".join(_cell(scores[a]) for a in self.archs) + " |")
        lines += ["", f"Test accuracy (%) of networks trained on each ConvNet-made set: {self.plan.describe()} "
                  "(the MLP and LeNet under the same protocol). DD's set was made for LeNet and is left out."]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return str(self)


def cross_architecture(rows: Iterable[Row], data: Dataset, archs: tuple[str, ...] = ARCHS, seed: int = 0,
                       plan: Budget | None = None) -> CrossArchitecture:
    """Every ConvNet-made row's set trained on each of `archs` under the leaderboard's protocol (the
    ConvNet column is the row's own score)."""
    plan = plan or budget()
    unknown = [a for a in archs if a not in protocol.ARCHITECTURES]
    if unknown:
        raise ValueError(f"unknown architecture {unknown[0]!r}; available: {', '.join(protocol.ARCHITECTURES)}")
    table = []
    for row in rows:
        if row.synthetic.lrs is not None:
            continue
        scores = {a: row.scores if a == "convnet" else score(row.synthetic, data, plan, arch=a, seed=seed)
                  for a in archs}
        table.append((row.method, row.ipc, scores))
    return CrossArchitecture(tuple(table), tuple(archs), plan)


def show_sets(rows: Iterable[Row], data: Dataset):
    """Every row's images, one panel per row (one column per class), titled with its accuracy.
    Returns the Axes."""
    import matplotlib.pyplot as plt

    from .plots import show_images

    rows = list(rows)
    if not rows:
        raise ValueError("show_sets needs at least one row")
    heights = [row.ipc for row in rows]                       # one grid row per image of a class
    _, axes = plt.subplots(len(rows), 1, figsize=(6, 0.75 * sum(heights) + 0.6 * len(rows)),
                           gridspec_kw={"height_ratios": heights}, squeeze=False)
    for ax, row in zip(axes[:, 0], rows):
        show_images(data.to_pixels(row.synthetic.images.to(data.device)), labels=row.synthetic.labels,
                    classes=data.classes, ax=ax, title=f"{row.method}, {row.ipc}/class: {_cell(row.scores)}%")
    plt.tight_layout()
    return axes[:, 0]
